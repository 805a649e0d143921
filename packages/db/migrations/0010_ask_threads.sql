-- Ask as conversations (issue 13): a thread belongs to one user in one workspace; its messages keep the
-- question, the query retrieval used, the answer, its citations and how it was made. Both tables hang off
-- the workspace (ON DELETE CASCADE), so deleting a workspace deletes its threads; messages carry the
-- workspace id too, so every read can be scoped without a join.
CREATE TABLE "ask_threads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
	"user_id" text NOT NULL REFERENCES "users"("id") ON DELETE CASCADE,
	"title" text NOT NULL,
	"shared_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ask_threads_owner_idx" ON "ask_threads" ("workspace_id", "user_id", "updated_at", "id");
--> statement-breakpoint
CREATE INDEX "ask_threads_shared_idx" ON "ask_threads" ("workspace_id", "updated_at", "id") WHERE "shared_at" IS NOT NULL;
--> statement-breakpoint
CREATE TABLE "ask_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"thread_id" uuid NOT NULL REFERENCES "ask_threads"("id") ON DELETE CASCADE,
	"workspace_id" uuid NOT NULL REFERENCES "workspaces"("id") ON DELETE CASCADE,
	"ordinal" integer NOT NULL,
	"question" text NOT NULL,
	"retrieval_query" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL CHECK ("status" IN ('pending', 'done', 'stopped', 'failed')),
	"answer" text DEFAULT '' NOT NULL,
	"citations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"closest_matches" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"removed_citations" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"mode" text CHECK ("mode" IN ('generated', 'extractive')),
	"model" text,
	"error_code" text,
	"stop_requested_at" timestamp with time zone,
	"feedback" smallint CHECK ("feedback" IN (-1, 1)),
	"feedback_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "ask_messages_thread_ordinal_idx" ON "ask_messages" ("thread_id", "ordinal");
--> statement-breakpoint
CREATE INDEX "ask_messages_workspace_idx" ON "ask_messages" ("workspace_id");
--> statement-breakpoint
CREATE INDEX "ask_messages_feedback_idx" ON "ask_messages" ("feedback_at", "id") WHERE "feedback" IS NOT NULL;
