DROP INDEX `orders_kind_status_created_idx`;--> statement-breakpoint
CREATE INDEX `orders_kind_status_expert_idx` ON `orders` (`kind`,`status`,`expert_id`,`created_at`,`duration_minutes`);