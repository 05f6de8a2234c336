CREATE TABLE `daily_metrics` (
	`date` text PRIMARY KEY NOT NULL,
	`currency` text NOT NULL,
	`new_users` integer DEFAULT 0 NOT NULL,
	`active_users` integer DEFAULT 0 NOT NULL,
	`orders_created` integer DEFAULT 0 NOT NULL,
	`orders_completed` integer DEFAULT 0 NOT NULL,
	`orders_cancelled` integer DEFAULT 0 NOT NULL,
	`disputes_opened` integer DEFAULT 0 NOT NULL,
	`gmv` integer DEFAULT 0 NOT NULL,
	`platform_revenue` integer DEFAULT 0 NOT NULL,
	`purchases_count` integer DEFAULT 0 NOT NULL,
	`purchases_amount` integer DEFAULT 0 NOT NULL,
	`minutes_purchased_seconds` integer DEFAULT 0 NOT NULL,
	`minutes_used_seconds` integer DEFAULT 0 NOT NULL,
	`avg_rating` real,
	`sla_breaches` integer DEFAULT 0 NOT NULL,
	`computed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `client_stats` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`orders_total` integer DEFAULT 0 NOT NULL,
	`orders_cancelled` integer DEFAULT 0 NOT NULL,
	`orders_completed` integer DEFAULT 0 NOT NULL,
	`negative_flags` integer DEFAULT 0 NOT NULL,
	`reviews_received` integer DEFAULT 0 NOT NULL,
	`rating_sum` integer DEFAULT 0 NOT NULL,
	`risk_score` real NOT NULL,
	`risk_level` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `client_stats_risk_idx` ON `client_stats` (`risk_score`);--> statement-breakpoint
CREATE TABLE `expert_stats` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`reviews_count` integer DEFAULT 0 NOT NULL,
	`rating_sum` integer DEFAULT 0 NOT NULL,
	`orders_taken` integer DEFAULT 0 NOT NULL,
	`orders_completed` integer DEFAULT 0 NOT NULL,
	`orders_failed` integer DEFAULT 0 NOT NULL,
	`sla_breaches` integer DEFAULT 0 NOT NULL,
	`take_hours_sum` real DEFAULT 0 NOT NULL,
	`rating_score` real NOT NULL,
	`success_score` real NOT NULL,
	`timeliness_score` real NOT NULL,
	`response_score` real NOT NULL,
	`master_score` real NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `expert_stats_score_idx` ON `expert_stats` (`master_score`);--> statement-breakpoint
CREATE INDEX `users_created_idx` ON `users` (`created_at`);--> statement-breakpoint
CREATE INDEX `grants_created_idx` ON `grants` (`created_at`);--> statement-breakpoint
CREATE INDEX `purchases_paid_idx` ON `purchases` (`paid_at`) WHERE paid_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `ledger_transfers_credit_created_idx` ON `ledger_transfers` (`credit_account_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ledger_transfers_debit_created_idx` ON `ledger_transfers` (`debit_account_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_created_idx` ON `orders` (`created_at`);--> statement-breakpoint
CREATE INDEX `orders_completed_idx` ON `orders` (`completed_at`) WHERE completed_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `orders_cancelled_idx` ON `orders` (`cancelled_at`) WHERE cancelled_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `orders_sla_breached_idx` ON `orders` (`sla_breached_at`) WHERE sla_breached_at IS NOT NULL;--> statement-breakpoint
CREATE INDEX `orders_kind_created_idx` ON `orders` (`kind`,`created_at`);--> statement-breakpoint
CREATE INDEX `reviews_author_idx` ON `reviews` (`author_id`);--> statement-breakpoint
CREATE INDEX `reviews_created_idx` ON `reviews` (`created_at`);