CREATE TABLE `webhook_fanout` (
	`id` integer PRIMARY KEY NOT NULL,
	`last_event_id` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `next_attempt_at` integer;--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `round_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `webhook_deliveries_due_idx` ON `webhook_deliveries` (`next_attempt_at`) WHERE next_attempt_at IS NOT NULL;--> statement-breakpoint
-- Pending deliveries carry their own next attempt now: take it (and the round's count) from their queued job.
UPDATE `webhook_deliveries` SET
  `next_attempt_at` = coalesce((SELECT min(j.run_at) FROM jobs j WHERE j.type = 'webhook.deliver' AND j.status IN ('queued', 'running') AND json_extract(j.payload, '$.delivery_id') = webhook_deliveries.id), updated_at),
  `round_attempts` = coalesce((SELECT max(json_extract(j.payload, '$.try')) - 1 FROM jobs j WHERE j.type = 'webhook.deliver' AND j.status IN ('queued', 'running') AND json_extract(j.payload, '$.delivery_id') = webhook_deliveries.id), 0)
WHERE `status` = 'pending';--> statement-breakpoint
DELETE FROM `jobs` WHERE `type` = 'webhook.deliver' AND `status` IN ('queued', 'running');--> statement-breakpoint
-- Events written before this migration were fanned out in their own transactions.
INSERT INTO `webhook_fanout` (`id`, `last_event_id`, `updated_at`) VALUES (1, coalesce((SELECT max(`id`) FROM `events`), 0), CAST(strftime('%s', 'now') AS INTEGER) * 1000);
