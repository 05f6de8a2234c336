CREATE INDEX `gateway_orders_status_idx` ON `gateway_orders` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `gateway_orders_direction_idx` ON `gateway_orders` (`direction`,`id`);--> statement-breakpoint
CREATE INDEX `gateway_orders_amount_idx` ON `gateway_orders` (`amount`,`id`);