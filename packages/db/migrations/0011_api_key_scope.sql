-- Scoped, expiring API keys (issue 16): a key may be limited to one workspace (deleted with it) and to
-- reads, and may expire. Existing keys keep their old meaning: every workspace of their user, read and
-- write, no expiry.
ALTER TABLE "api_keys" ADD COLUMN "workspace_id" uuid REFERENCES "workspaces"("id") ON DELETE CASCADE;
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "read_only" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "expires_at" timestamp with time zone;
