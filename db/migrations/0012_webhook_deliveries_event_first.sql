DROP INDEX `webhook_deliveries_event_uq`;--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_event_uq` ON `webhook_deliveries` (`event_id`,`endpoint_id`);