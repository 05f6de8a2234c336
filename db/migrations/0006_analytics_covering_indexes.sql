DROP INDEX `orders_kind_created_idx`;--> statement-breakpoint
DROP INDEX `orders_completed_idx`;--> statement-breakpoint
CREATE INDEX `orders_kind_status_created_idx` ON `orders` (`kind`,`status`,`created_at`,`expert_id`,`duration_minutes`);--> statement-breakpoint
CREATE INDEX `orders_completed_idx` ON `orders` (`completed_at`,`currency`,`price`) WHERE completed_at IS NOT NULL;--> statement-breakpoint
DROP INDEX `ledger_transfers_credit_created_idx`;--> statement-breakpoint
DROP INDEX `ledger_transfers_debit_created_idx`;--> statement-breakpoint
CREATE INDEX `ledger_transfers_credit_created_idx` ON `ledger_transfers` (`credit_account_id`,`created_at`,`amount`);--> statement-breakpoint
CREATE INDEX `ledger_transfers_debit_created_idx` ON `ledger_transfers` (`debit_account_id`,`created_at`,`amount`);--> statement-breakpoint
DROP INDEX `reviews_created_idx`;--> statement-breakpoint
CREATE INDEX `reviews_created_idx` ON `reviews` (`created_at`,`rating`);--> statement-breakpoint
CREATE INDEX `users_verified_idx` ON `users` (`id`) WHERE email_verified_at IS NOT NULL OR telegram_id IS NOT NULL;--> statement-breakpoint
CREATE INDEX `course_enrollments_course_stats_idx` ON `course_enrollments` (`course_id`,`status`,`progress`,`rating`);