/**
 * What an operator asks "is it working?" about, gathered for Admin → System:
 * the build, the database and its size, file storage, the embedding model and
 * the state of its embedding space (re-embedding progress while a switch runs),
 * answers, the ingest queue, and the sign-in settings. Never a secret: no
 * URLs with credentials, keys, or passwords; hosts and bucket names only.
 */
import { sql } from 'drizzle-orm';
import type { EmbedderStatus } from '@quarry/ai';
import type { Config } from '@quarry/config';
import { queryRows, type Database } from '@quarry/db';
import { createJobQueue } from '@quarry/ingest';
import type { ObjectStorage } from '@quarry/storage';
import { version } from '../version.js';

export interface EmbeddingSpaceState {
  id: number;
  provider: string;
  model: string;
  dimensions: number;
  status: 'active' | 'building';
  /** Passages with a vector in this space, of all passages. */
  vectors: number;
  passages: number;
  activatedAt: string | null;
}

const startedAt = Date.now();

/** Host (and port) of a URL, never its credentials or path; undefined when it does not parse. */
export function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

export function createSystemService(deps: { db: Database; config: Config; storage: ObjectStorage }) {
  const { db, config, storage } = deps;
  // The same counting (and its 5 s cache) as /api/health's queue check.
  const queue = createJobQueue(db, { defaultMaxAttempts: config.ingest.maxAttempts });
  // Known only once the runtime has chosen the embedder (the default model, or its fallback): set by runtime.ts.
  let embedderStatus: (() => EmbedderStatus | undefined) | undefined;

  async function databaseFacts() {
    const [row] = await queryRows<{ bytes: number | string; server: string }>(
      db,
      sql`SELECT pg_database_size(current_database()) AS bytes, current_setting('server_version') AS server`,
    );
    return { sizeBytes: Number(row?.bytes ?? 0), serverVersion: row?.server ?? 'unknown' };
  }

  /** The active space and a building one (a model switch under way), each with how many passages it covers. */
  async function spaces(): Promise<EmbeddingSpaceState[]> {
    const rows = await queryRows<{
      id: number | string;
      provider: string;
      model: string;
      dimensions: number | string;
      status: 'active' | 'building';
      activated_at: Date | string | null;
      vectors: number | string;
      passages: number | string;
    }>(
      db,
      sql`SELECT s.id, s.provider, s.model, s.dimensions, s.status, s.activated_at,
            (SELECT count(*) FROM passage_embeddings e WHERE e.space_id = s.id) AS vectors,
            (SELECT count(*) FROM passages) AS passages
          FROM embedding_spaces s WHERE s.status IN ('active', 'building') ORDER BY s.status, s.id`,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      provider: r.provider,
      model: r.model,
      dimensions: Number(r.dimensions),
      status: r.status,
      vectors: Number(r.vectors),
      passages: Number(r.passages),
      activatedAt: r.activated_at === null ? null : new Date(r.activated_at).toISOString(),
    }));
  }

  async function counts() {
    const [row] = await queryRows<{ users: number | string; admins: number | string; workspaces: number | string; documents: number | string; failed: number | string; oldest: number | string | null }>(
      db,
      sql`SELECT (SELECT count(*) FROM users) AS users,
                 (SELECT count(*) FROM users WHERE role = 'admin') AS admins,
                 (SELECT count(*) FROM workspaces) AS workspaces,
                 (SELECT count(*) FROM documents) AS documents,
                 (SELECT count(*) FROM documents WHERE status = 'failed') AS failed,
                 (SELECT extract(epoch FROM now() - min(run_at)) FROM jobs WHERE status = 'queued' AND run_at <= now()) AS oldest`,
    );
    return {
      users: Number(row?.users ?? 0),
      admins: Number(row?.admins ?? 0),
      workspaces: Number(row?.workspaces ?? 0),
      documents: Number(row?.documents ?? 0),
      failedDocuments: Number(row?.failed ?? 0),
      oldestDueSeconds: row?.oldest === null || row?.oldest === undefined ? null : Math.max(0, Math.round(Number(row.oldest))),
    };
  }

  return {
    /** Called once the runtime has its embedder. */
    useEmbedder(status: () => EmbedderStatus | undefined) {
      embedderStatus = status;
    },

    async overview() {
      const [database, storageCheck, jobCounts, spaceStates, totals] = await Promise.all([
        databaseFacts(),
        storage.check().catch(() => ({ ok: false, driver: storage.driver, error: 'storage check failed', disk: undefined })),
        queue.counts(5_000),
        spaces(),
        counts(),
      ]);
      let embedder: EmbedderStatus | undefined;
      try {
        embedder = embedderStatus?.();
      } catch {
        embedder = undefined;
      }
      const active = spaceStates.find((s) => s.status === 'active') ?? null;
      const building = spaceStates.find((s) => s.status === 'building') ?? null;
      const s3 = config.storage.driver === 's3' ? config.storage : undefined;
      const oidc = config.auth.oidc;
      return {
        version,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        node: process.version,
        production: config.production,
        publicUrl: config.publicUrl,
        database: {
          driver: config.database.kind,
          sizeBytes: database.sizeBytes,
          serverVersion: database.serverVersion,
          ...(config.database.kind === 'postgres' ? { host: hostOf(config.database.url) ?? null } : {}),
        },
        storage: {
          driver: storage.driver,
          ok: storageCheck.ok,
          ...(storageCheck.error ? { error: storageCheck.error } : {}),
          ...(s3 ? { bucket: s3.bucket, endpointHost: hostOf(s3.endpoint) ?? null } : {}),
          ...(storageCheck.disk ? { disk: storageCheck.disk } : {}),
        },
        embedding: {
          /** What this process embeds new passages with (null before the runtime chose). */
          model: embedder
            ? {
                provider: embedder.provider,
                model: embedder.model,
                dimensions: embedder.dimensions,
                runtime: embedder.runtime,
                ...(embedder.state ? { state: embedder.state } : {}),
                ...(embedder.fallbackReason ? { fallbackReason: embedder.fallbackReason } : {}),
                ...(embedder.error ? { error: embedder.error } : {}),
                ...(embedder.restarts !== undefined ? { restarts: embedder.restarts } : {}),
              }
            : null,
          endpointHost: config.ai.embeddingModel !== undefined ? (hostOf(config.ai.embedding?.baseUrl) ?? null) : null,
          activeSpace: active,
          /** A model switch under way: search keeps using the active space until this one covers every passage. */
          buildingSpace: building,
        },
        answers: config.ai.chatModel !== undefined
          ? { mode: 'generated' as const, model: config.ai.chatModel, endpointHost: hostOf(config.ai.chat?.baseUrl) ?? null }
          : { mode: 'extractive' as const, model: null, endpointHost: null },
        queue: { pending: jobCounts.pending, running: jobCounts.running, failed: jobCounts.failed, oldestDueSeconds: totals.oldestDueSeconds, concurrency: config.ingest.concurrency },
        content: { users: totals.users, admins: totals.admins, workspaces: totals.workspaces, documents: totals.documents, failedDocuments: totals.failedDocuments },
        uploads: { maxMb: config.uploads.maxMb },
        auth: {
          signupMode: config.auth.signupMode,
          passwordSignIn: config.auth.passwordSignIn,
          adminEmailSet: config.auth.adminEmail !== undefined,
          oidc: oidc ? { enabled: true, displayName: oidc.displayName, issuerHost: hostOf(oidc.issuer) ?? null } : { enabled: false, displayName: null, issuerHost: null },
          /** Quarry sends no e-mail: password-reset and set-up links are shown to the admin who makes them. */
          mail: 'none' as const,
        },
      };
    },
  };
}

export type SystemService = ReturnType<typeof createSystemService>;
