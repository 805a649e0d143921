CREATE TABLE "auth_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"window_start" timestamp with time zone NOT NULL,
	"attempts" integer NOT NULL,
	"previous_window_start" timestamp with time zone,
	"previous_attempts" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
DROP TABLE "auth_failures" CASCADE;