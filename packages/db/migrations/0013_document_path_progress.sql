-- Issue 15: a document's place in an imported folder, what its extraction is doing, and which pages OCR read.
ALTER TABLE "documents" ADD COLUMN "path" text;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "progress" text;--> statement-breakpoint
ALTER TABLE "documents" ADD COLUMN "ocr_pages" integer[] DEFAULT '{}'::integer[] NOT NULL;--> statement-breakpoint
CREATE INDEX "documents_workspace_path_idx" ON "documents" USING btree ("workspace_id", "path");
