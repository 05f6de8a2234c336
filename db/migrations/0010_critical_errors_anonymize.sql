CREATE TABLE `critical_errors` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`message` text NOT NULL,
	`error_name` text,
	`stack` text,
	`request_id` text,
	`method` text,
	`route` text,
	`status` integer,
	`actor_id` integer,
	`job_id` integer,
	`job_type` text,
	`details` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `critical_errors_created_idx` ON `critical_errors` (`created_at`);--> statement-breakpoint
CREATE INDEX `critical_errors_kind_idx` ON `critical_errors` (`kind`,`created_at`);--> statement-breakpoint
ALTER TABLE `users` ADD `anonymized_at` integer;