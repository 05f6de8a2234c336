CREATE TABLE `course_enrollments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`course_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`progress` integer DEFAULT 0 NOT NULL,
	`price_paid` integer DEFAULT 0 NOT NULL,
	`completed_at` integer,
	`rating` integer,
	`review` text,
	`rated_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`course_id`) REFERENCES `courses`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "course_enrollments_progress_range" CHECK("course_enrollments"."progress" BETWEEN 0 AND 100),
	CONSTRAINT "course_enrollments_rating_range" CHECK("course_enrollments"."rating" IS NULL OR "course_enrollments"."rating" BETWEEN 1 AND 5)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `course_enrollments_course_user_uq` ON `course_enrollments` (`course_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `course_enrollments_user_idx` ON `course_enrollments` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `courses` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`expert_id` integer NOT NULL,
	`subject_id` integer,
	`title` text NOT NULL,
	`description` text,
	`price` integer DEFAULT 0 NOT NULL,
	`currency` text DEFAULT 'RUB' NOT NULL,
	`status` text DEFAULT 'draft' NOT NULL,
	`published_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`expert_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subject_id`) REFERENCES `subjects`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "courses_price_non_negative" CHECK("courses"."price" >= 0)
);
--> statement-breakpoint
CREATE INDEX `courses_status_published_idx` ON `courses` (`status`,`published_at`);--> statement-breakpoint
CREATE INDEX `courses_expert_idx` ON `courses` (`expert_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `complexities` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`is_active` integer DEFAULT true NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `complexities_name_uq` ON `complexities` (`name`);--> statement-breakpoint
CREATE TABLE `expert_applications` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`bio` text,
	`experience_years` integer,
	`education` text,
	`skills` text,
	`reviewed_by` integer,
	`reviewed_at` integer,
	`reject_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`reviewed_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `expert_applications_pending_uq` ON `expert_applications` (`user_id`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `expert_applications_status_idx` ON `expert_applications` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `expert_documents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`file_id` integer NOT NULL,
	`title` text NOT NULL,
	`is_verified` integer DEFAULT false NOT NULL,
	`verified_by` integer,
	`verified_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`verified_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `expert_documents_user_idx` ON `expert_documents` (`user_id`);--> statement-breakpoint
CREATE TABLE `expert_profiles` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`is_active` integer DEFAULT true NOT NULL,
	`suspended_reason` text,
	`approved_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `expert_specializations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`subject_id` integer NOT NULL,
	`is_verified` integer DEFAULT false NOT NULL,
	`verified_by` integer,
	`verified_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subject_id`) REFERENCES `subjects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`verified_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `expert_specializations_user_subject_uq` ON `expert_specializations` (`user_id`,`subject_id`);--> statement-breakpoint
CREATE TABLE `files` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner_id` integer NOT NULL,
	`purpose` text NOT NULL,
	`storage_key` text NOT NULL,
	`original_name` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`sha256` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `files_storage_key_uq` ON `files` (`storage_key`);--> statement-breakpoint
CREATE INDEX `files_owner_idx` ON `files` (`owner_id`);--> statement-breakpoint
CREATE TABLE `order_messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`sender_id` integer NOT NULL,
	`body` text NOT NULL,
	`deleted_at` integer,
	`deleted_by` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`sender_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`deleted_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `order_messages_order_idx` ON `order_messages` (`order_id`,`id`);--> statement-breakpoint
CREATE TABLE `order_reads` (
	`order_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	`last_read_message_id` integer DEFAULT 0 NOT NULL,
	`read_at` integer NOT NULL,
	PRIMARY KEY(`order_id`, `user_id`),
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `orders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text DEFAULT 'work' NOT NULL,
	`status` text DEFAULT 'new' NOT NULL,
	`client_id` integer NOT NULL,
	`expert_id` integer,
	`title` text NOT NULL,
	`description` text,
	`subject_id` integer NOT NULL,
	`work_type_id` integer,
	`complexity_id` integer,
	`deadline` integer,
	`scheduled_at` integer,
	`duration_minutes` integer,
	`budget` integer,
	`price` integer,
	`currency` text DEFAULT 'RUB' NOT NULL,
	`payment_method` text,
	`payment_proof_file_id` integer,
	`escrow_amount` integer DEFAULT 0 NOT NULL,
	`sla_due_at` integer,
	`sla_breached_at` integer,
	`taken_at` integer,
	`paid_at` integer,
	`started_at` integer,
	`delivered_at` integer,
	`completed_at` integer,
	`cancelled_at` integer,
	`status_reason` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`client_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`expert_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`subject_id`) REFERENCES `subjects`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`work_type_id`) REFERENCES `work_types`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`complexity_id`) REFERENCES `complexities`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`payment_proof_file_id`) REFERENCES `files`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "orders_price_non_negative" CHECK("orders"."price" IS NULL OR "orders"."price" >= 0),
	CONSTRAINT "orders_escrow_non_negative" CHECK("orders"."escrow_amount" >= 0)
);
--> statement-breakpoint
CREATE INDEX `orders_status_subject_created_idx` ON `orders` (`status`,`subject_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_expert_status_created_idx` ON `orders` (`expert_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_client_created_idx` ON `orders` (`client_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `orders_status_delivered_idx` ON `orders` (`status`,`delivered_at`);--> statement-breakpoint
CREATE INDEX `orders_sla_due_idx` ON `orders` (`sla_due_at`) WHERE sla_breached_at IS NULL AND sla_due_at IS NOT NULL;--> statement-breakpoint
CREATE TABLE `reviews` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`order_id` integer NOT NULL,
	`direction` text NOT NULL,
	`author_id` integer NOT NULL,
	`target_id` integer NOT NULL,
	`rating` integer NOT NULL,
	`comment` text,
	`flags` text DEFAULT '[]' NOT NULL,
	`is_published` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`author_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`target_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "reviews_rating_range" CHECK("reviews"."rating" BETWEEN 1 AND 5)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reviews_order_direction_uq` ON `reviews` (`order_id`,`direction`);--> statement-breakpoint
CREATE INDEX `reviews_target_idx` ON `reviews` (`target_id`,`direction`,`is_published`,`created_at`);--> statement-breakpoint
CREATE TABLE `subjects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`is_active` integer DEFAULT true NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `subjects_name_uq` ON `subjects` (`name`);--> statement-breakpoint
CREATE TABLE `work_types` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`is_active` integer DEFAULT true NOT NULL,
	`sort_order` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `work_types_name_uq` ON `work_types` (`name`);