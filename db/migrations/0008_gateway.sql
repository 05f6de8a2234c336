CREATE TABLE `gateway_orders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`direction` text NOT NULL,
	`store_id` integer NOT NULL,
	`client_order_id` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` text NOT NULL,
	`amount` integer NOT NULL,
	`currency` text NOT NULL,
	`rate` integer NOT NULL,
	`amount_crypto` integer NOT NULL,
	`store_bps` integer NOT NULL,
	`store_commission` integer NOT NULL,
	`trader_bps` integer,
	`trader_commission` integer,
	`payment_method` text,
	`bank` text,
	`requisite_id` integer,
	`trader_id` integer,
	`usage_day` integer DEFAULT 0 NOT NULL,
	`customer_id` text,
	`customer_ip` text,
	`recipient` text,
	`callback_url` text,
	`fraud_decision` text NOT NULL,
	`fraud_reasons` text NOT NULL,
	`selection_log` text NOT NULL,
	`excluded_traders` text NOT NULL,
	`retries` integer DEFAULT 0 NOT NULL,
	`status_reason` text,
	`customer_receipt_id` integer,
	`trader_receipt_id` integer,
	`dispute_receipt_id` integer,
	`dispute_reason` text,
	`disputed_from` text,
	`assigned_at` integer,
	`customer_confirmed_at` integer,
	`expires_at` integer,
	`completed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`store_id`) REFERENCES `gateway_stores`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`requisite_id`) REFERENCES `gateway_requisites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`trader_id`) REFERENCES `gateway_traders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_receipt_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`trader_receipt_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`dispute_receipt_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "gateway_orders_amount_positive" CHECK("gateway_orders"."amount" > 0 AND "gateway_orders"."amount_crypto" > 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gateway_orders_client_uq` ON `gateway_orders` (`store_id`,`client_order_id`);--> statement-breakpoint
CREATE INDEX `gateway_orders_expiry_idx` ON `gateway_orders` (`expires_at`) WHERE status IN ('assigned', 'customer_confirmed');--> statement-breakpoint
CREATE INDEX `gateway_orders_trader_idx` ON `gateway_orders` (`trader_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `gateway_orders_store_idx` ON `gateway_orders` (`store_id`,`id`);--> statement-breakpoint
CREATE INDEX `gateway_orders_customer_idx` ON `gateway_orders` (`store_id`,`customer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `gateway_orders_ip_idx` ON `gateway_orders` (`customer_ip`,`created_at`);--> statement-breakpoint
CREATE INDEX `gateway_orders_created_idx` ON `gateway_orders` (`created_at`);--> statement-breakpoint
CREATE TABLE `gateway_rates` (
	`currency` text PRIMARY KEY NOT NULL,
	`rate` integer NOT NULL,
	`updated_by` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`updated_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `gateway_requisites` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`trader_id` integer NOT NULL,
	`payment_method` text NOT NULL,
	`bank` text NOT NULL,
	`details` text NOT NULL,
	`owner_name` text NOT NULL,
	`pay_in` integer DEFAULT true NOT NULL,
	`pay_out` integer DEFAULT false NOT NULL,
	`currency` text NOT NULL,
	`min_amount` integer NOT NULL,
	`max_amount` integer NOT NULL,
	`daily_limit` integer NOT NULL,
	`daily_count_limit` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`usage_day` integer DEFAULT 0 NOT NULL,
	`used_amount` integer DEFAULT 0 NOT NULL,
	`used_count` integer DEFAULT 0 NOT NULL,
	`last_used_at` integer,
	`trader_priority` integer DEFAULT 100 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`trader_id`) REFERENCES `gateway_traders`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "gateway_requisites_amounts" CHECK("gateway_requisites"."min_amount" > 0 AND "gateway_requisites"."max_amount" >= "gateway_requisites"."min_amount")
);
--> statement-breakpoint
CREATE INDEX `gateway_requisites_trader_idx` ON `gateway_requisites` (`trader_id`,`id`);--> statement-breakpoint
CREATE INDEX `gateway_requisites_payin_idx` ON `gateway_requisites` (`currency`,`trader_priority`,`last_used_at`,`id`) WHERE status = 'approved' AND pay_in = 1;--> statement-breakpoint
CREATE INDEX `gateway_requisites_payout_idx` ON `gateway_requisites` (`currency`,`trader_priority`,`last_used_at`,`id`) WHERE status = 'approved' AND pay_out = 1;--> statement-breakpoint
CREATE INDEX `gateway_requisites_status_idx` ON `gateway_requisites` (`status`,`id`);--> statement-breakpoint
CREATE TABLE `gateway_stores` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`merchant_id` integer NOT NULL,
	`name` text NOT NULL,
	`callback_url` text,
	`callback_secret_sealed` text NOT NULL,
	`pay_in_bps` integer DEFAULT 0 NOT NULL,
	`pay_out_bps` integer DEFAULT 0 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`merchant_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `gateway_stores_merchant_idx` ON `gateway_stores` (`merchant_id`,`id`);--> statement-breakpoint
CREATE TABLE `gateway_traders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`teamlead_id` integer,
	`priority` integer DEFAULT 100 NOT NULL,
	`pay_in_bps` integer DEFAULT 0 NOT NULL,
	`pay_out_bps` integer DEFAULT 0 NOT NULL,
	`in_work` integer DEFAULT false NOT NULL,
	`traffic_enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`teamlead_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gateway_traders_user_uq` ON `gateway_traders` (`user_id`);--> statement-breakpoint
CREATE INDEX `gateway_traders_teamlead_idx` ON `gateway_traders` (`teamlead_id`);