/**
 * Test and benchmark helpers: a tiny deterministic embedder and direct
 * inserts of documents, passages and embeddings (what ingestion produces),
 * so search can be tested without the ingest pipeline.
 */
import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows, type Database } from '@quarry/db';
import type { Embedder } from '@quarry/ai';

/** Hashed bag of (crudely stemmed) words: similar wording → similar vectors. Not for production. */
export function bagOfWordsEmbedder(dimensions = 64, model = 'test-bow'): Embedder {
  const vectorOf = (text: string) => {
    const v = new Array<number>(dimensions).fill(0);
    for (const raw of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      const word = raw.replace(/(ing|ed|es|s)$/, '');
      const h = createHash('sha1').update(word).digest();
      v[h.readUInt32BE(0) % dimensions]! += h[4]! & 1 ? 1 : -1;
    }
    const norm = Math.hypot(...v) || 1;
    return v.map((x) => x / norm);
  };
  return {
    space: { provider: 'test', model, dimensions },
    embed: async (texts) => texts.map(vectorOf),
  };
}

export async function createWorkspace(db: Database, name: string): Promise<string> {
  const [row] = await queryRows<{ id: string }>(db, sql`INSERT INTO workspaces (name) VALUES (${name}) RETURNING id`);
  return row!.id;
}

export async function activateSpace(db: Database, embedder: Embedder): Promise<{ id: number; dimensions: number }> {
  const { provider, model, dimensions } = embedder.space;
  const [row] = await queryRows<{ id: number }>(
    db,
    sql`INSERT INTO embedding_spaces (provider, model, dimensions, status, activated_at)
        VALUES (${provider}, ${model}, ${dimensions}, 'active', now())
        ON CONFLICT (provider, model, dimensions) DO UPDATE SET status = 'active'
        RETURNING id`,
  );
  return { id: Number(row!.id), dimensions };
}

export interface FixturePassage {
  text: string;
  page?: number | null;
  headingPath?: string[];
}

export interface FixtureDocument {
  title: string;
  mimeType?: string;
  status?: 'queued' | 'processing' | 'ready' | 'failed';
  createdAt?: Date;
  passages: FixturePassage[];
}

/** Inserts a document with its passages (tsv via the given language) and their embeddings. */
export async function insertDocument(
  db: Database,
  workspaceId: string,
  doc: FixtureDocument,
  embedder: Embedder,
  space: { id: number },
  language = 'english',
): Promise<{ documentId: string; passageIds: string[] }> {
  const sha = createHash('sha256').update(`${workspaceId}:${doc.title}:${Math.random()}`).digest('hex');
  const [d] = await queryRows<{ id: string }>(
    db,
    sql`INSERT INTO documents (workspace_id, title, filename, mime_type, size_bytes, sha256, storage_key, status, passage_count, created_at)
        VALUES (${workspaceId}::uuid, ${doc.title}, ${`${doc.title}.txt`}, ${doc.mimeType ?? 'text/plain'}, 1, ${sha}, ${`k/${sha}`},
                ${doc.status ?? 'ready'}, ${doc.passages.length}, ${(doc.createdAt ?? new Date()).toISOString()}::timestamptz)
        RETURNING id`,
  );
  const vectors = await embedder.embed(
    doc.passages.map((p) => p.text),
    'passage',
  );
  const passageIds: string[] = [];
  for (const [i, p] of doc.passages.entries()) {
    const [row] = await queryRows<{ id: string }>(
      db,
      sql`INSERT INTO passages (document_id, workspace_id, ordinal, page, heading_path, text, token_count, tsv)
          VALUES (${d!.id}::uuid, ${workspaceId}::uuid, ${i}, ${p.page ?? null},
                  ${`{${(p.headingPath ?? []).map((h) => `"${h.replace(/["\\]/g, '\\$&')}"`).join(',')}}`}::text[],
                  ${p.text}, ${p.text.split(/\s+/).length}, to_tsvector(${language}::regconfig, ${p.text}))
          RETURNING id`,
    );
    await db.execute(
      sql`INSERT INTO passage_embeddings (passage_id, space_id, workspace_id, embedding)
          VALUES (${row!.id}::uuid, ${space.id}, ${workspaceId}::uuid, ${`[${vectors[i]!.join(',')}]`}::vector)`,
    );
    passageIds.push(row!.id);
  }
  return { documentId: d!.id, passageIds };
}
