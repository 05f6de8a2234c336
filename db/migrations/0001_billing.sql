CREATE TABLE `billing_notices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`grant_id` integer NOT NULL,
	`kind` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`grant_id`) REFERENCES `grants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `billing_notices_uq` ON `billing_notices` (`grant_id`,`kind`);--> statement-breakpoint
CREATE TABLE `grants` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`purchase_id` integer,
	`package_id` integer,
	`total_seconds` integer NOT NULL,
	`remaining_seconds` integer NOT NULL,
	`purchased_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`purchase_id`) REFERENCES `purchases`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`package_id`) REFERENCES `packages`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "grants_remaining_range" CHECK("grants"."remaining_seconds" >= 0 AND "grants"."remaining_seconds" <= "grants"."total_seconds")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `grants_purchase_uq` ON `grants` (`purchase_id`);--> statement-breakpoint
CREATE INDEX `grants_user_spend_idx` ON `grants` (`user_id`,`status`,`expires_at`,`purchased_at`,`id`);--> statement-breakpoint
CREATE INDEX `grants_expiry_idx` ON `grants` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `holds` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`seconds` integer NOT NULL,
	`remaining_seconds` integer NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`expires_at` integer NOT NULL,
	`closed_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "holds_remaining_range" CHECK("holds"."remaining_seconds" >= 0 AND "holds"."remaining_seconds" <= "holds"."seconds")
);
--> statement-breakpoint
CREATE INDEX `holds_user_open_idx` ON `holds` (`user_id`,`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `packages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`seconds` integer NOT NULL,
	`price` integer NOT NULL,
	`currency` text NOT NULL,
	`validity_days` integer NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `promo_codes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`code` text NOT NULL,
	`percent_off` integer,
	`amount_off` integer,
	`currency` text,
	`package_id` integer,
	`valid_from` integer,
	`valid_until` integer,
	`max_redemptions` integer,
	`per_user_limit` integer DEFAULT 1 NOT NULL,
	`redemptions` integer DEFAULT 0 NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`package_id`) REFERENCES `packages`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `promo_codes_code_uq` ON `promo_codes` (`code`);--> statement-breakpoint
CREATE TABLE `purchases` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`kind` text NOT NULL,
	`package_id` integer,
	`provider` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`discount` integer DEFAULT 0 NOT NULL,
	`promo_code_id` integer,
	`provider_ref` text,
	`confirmation_url` text,
	`failure_reason` text,
	`paid_at` integer,
	`refunded_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`package_id`) REFERENCES `packages`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`promo_code_id`) REFERENCES `promo_codes`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `purchases_user_idx` ON `purchases` (`user_id`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `purchases_provider_ref_uq` ON `purchases` (`provider`,`provider_ref`);--> statement-breakpoint
CREATE INDEX `purchases_status_idx` ON `purchases` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `usage_allocations` (
	`usage_event_id` integer NOT NULL,
	`grant_id` integer NOT NULL,
	`seconds` integer NOT NULL,
	PRIMARY KEY(`usage_event_id`, `grant_id`),
	FOREIGN KEY (`usage_event_id`) REFERENCES `usage_events`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`grant_id`) REFERENCES `grants`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `usage_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`usage_id` text NOT NULL,
	`seconds` integer NOT NULL,
	`billed_seconds` integer NOT NULL,
	`service` text,
	`occurred_at` integer,
	`hold_id` integer,
	`remaining_after` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`hold_id`) REFERENCES `holds`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `usage_events_user_usage_uq` ON `usage_events` (`user_id`,`usage_id`);--> statement-breakpoint
CREATE INDEX `usage_events_user_created_idx` ON `usage_events` (`user_id`,`id`);--> statement-breakpoint
CREATE TABLE `ledger_accounts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner_type` text NOT NULL,
	`owner_id` text NOT NULL,
	`kind` text NOT NULL,
	`currency` text NOT NULL,
	`balance` integer DEFAULT 0 NOT NULL,
	`allow_negative` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "ledger_balance_non_negative" CHECK("ledger_accounts"."allow_negative" = 1 OR "ledger_accounts"."balance" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_accounts_owner_uq` ON `ledger_accounts` (`owner_type`,`owner_id`,`kind`,`currency`);--> statement-breakpoint
CREATE TABLE `ledger_transfers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`debit_account_id` integer NOT NULL,
	`credit_account_id` integer NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`kind` text NOT NULL,
	`reference_type` text,
	`reference_id` text,
	`idempotency_key` text NOT NULL,
	`metadata` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`debit_account_id`) REFERENCES `ledger_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`credit_account_id`) REFERENCES `ledger_accounts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "ledger_amount_positive" CHECK("ledger_transfers"."amount" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_transfers_key_uq` ON `ledger_transfers` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `ledger_transfers_debit_idx` ON `ledger_transfers` (`debit_account_id`,`id`);--> statement-breakpoint
CREATE INDEX `ledger_transfers_credit_idx` ON `ledger_transfers` (`credit_account_id`,`id`);--> statement-breakpoint
CREATE INDEX `ledger_transfers_ref_idx` ON `ledger_transfers` (`reference_type`,`reference_id`);