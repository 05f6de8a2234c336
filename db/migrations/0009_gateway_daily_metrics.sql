ALTER TABLE `daily_metrics` ADD `gateway_orders_created` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `daily_metrics` ADD `gateway_orders_completed` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `daily_metrics` ADD `gateway_volume_usdt` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `daily_metrics` ADD `gateway_revenue_usdt` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `gateway_orders_completed_idx` ON `gateway_orders` (`completed_at`,`amount_crypto`) WHERE completed_at IS NOT NULL;