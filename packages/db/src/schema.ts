/**
 * The data model in one file. better-auth owns `users`, `sessions`, `accounts`
 * and `verifications` (their column names follow its adapter's expectations);
 * everything else is Quarry's.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  bigserial,
} from 'drizzle-orm/pg-core';

const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A pgvector column without a fixed dimension: one column holds every embedding space. */
export const anyVector = customType<{ data: number[]; driverData: string }>({
  dataType: () => 'vector',
  toDriver: (v) => `[${v.join(',')}]`,
  fromDriver: (v) => JSON.parse(v) as number[],
});

export const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

// ---------------------------------------------------------------- accounts

export const users = pgTable('users', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email').notNull().unique(),
  emailVerified: boolean('email_verified').notNull().default(false),
  image: text('image'),
  role: text('role').notNull().default('member'),
  banned: boolean('banned').notNull().default(false),
  banReason: text('ban_reason'),
  banExpires: tstz('ban_expires'),
  createdAt: tstz('created_at').notNull().defaultNow(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    token: text('token').notNull().unique(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: tstz('expires_at').notNull(),
    ipAddress: text('ip_address'),
    userAgent: text('user_agent'),
    impersonatedBy: text('impersonated_by'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const accounts = pgTable(
  'accounts',
  {
    id: text('id').primaryKey(),
    accountId: text('account_id').notNull(),
    providerId: text('provider_id').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    accessToken: text('access_token'),
    refreshToken: text('refresh_token'),
    idToken: text('id_token'),
    accessTokenExpiresAt: tstz('access_token_expires_at'),
    refreshTokenExpiresAt: tstz('refresh_token_expires_at'),
    scope: text('scope'),
    password: text('password'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('accounts_user_idx').on(t.userId)],
);

export const verifications = pgTable('verifications', {
  id: text('id').primaryKey(),
  identifier: text('identifier').notNull(),
  value: text('value').notNull(),
  expiresAt: tstz('expires_at').notNull(),
  createdAt: tstz('created_at').notNull().defaultNow(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});

/** API keys act as their user; only a SHA-256 of the secret is stored. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    prefix: text('prefix').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    createdAt: tstz('created_at').notNull().defaultNow(),
    lastUsedAt: tstz('last_used_at'),
    revokedAt: tstz('revoked_at'),
    /** Limits the key to this one workspace; null: every workspace of its user. */
    workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'cascade' }),
    /** Reads only (GET/HEAD, search and ask): see services/api-keys.ts. */
    readOnly: boolean('read_only').notNull().default(false),
    /** After this the key answers 401 `api_key_expired`; null: never. */
    expiresAt: tstz('expires_at'),
  },
  (t) => [index('api_keys_user_idx').on(t.userId)],
);

/**
 * Single-use sign-up invitations created by admins; only the token's hash is
 * stored. An invitation is for one e-mail address (`email`) or, when the admin
 * says so explicitly, for anyone with the link (`email` null); it may add the
 * new account to a workspace with a role. A workspace deleted later leaves a
 * plain sign-up invitation.
 */
export const invitations = pgTable('invitations', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: text('token_hash').notNull().unique(),
  email: text('email'),
  createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
  expiresAt: tstz('expires_at').notNull(),
  usedAt: tstz('used_at'),
  usedBy: text('used_by').references(() => users.id, { onDelete: 'set null' }),
  workspaceId: uuid('workspace_id').references(() => workspaces.id, { onDelete: 'set null' }),
  workspaceRole: text('workspace_role', { enum: ['owner', 'editor', 'viewer'] }),
  revokedAt: tstz('revoked_at'),
  createdAt: tstz('created_at').notNull().defaultNow(),
});

/**
 * Idempotency keys (the `Idempotency-Key` header of create requests): the
 * first request with a key reserves the row and stores its response; a repeat
 * (a double click, a retried script, a hundred at once) waits for and gets that
 * response instead of creating again. The response may hold a secret shown
 * once (an API key, an invitation link), so it is stored encrypted and rows
 * are deleted after a day.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** Method, path and a hash of the body: a key reused for a different request is refused. */
    fingerprint: text('fingerprint').notNull(),
    status: integer('status'),
    response: text('response'),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

/**
 * Attempt limits (sign-in per account and per IP, sign-up per IP): one row per
 * key and window, reserved atomically by one upsert before a password is
 * checked (auth/rate-limit.ts), so limits hold across parallel requests,
 * restarts and replicas. `attempts` counts every attempt of the window, the
 * refused ones included (refused = attempts - limit); the previous window's
 * count waits here until one request writes its audit summary.
 */
export const authLimits = pgTable('auth_limits', {
  key: text('key').primaryKey(),
  windowStart: tstz('window_start').notNull(),
  attempts: integer('attempts').notNull(),
  previousWindowStart: tstz('previous_window_start'),
  previousAttempts: integer('previous_attempts').notNull().default(0),
});

// ---------------------------------------------------------------- workspaces

export const workspaces = pgTable('workspaces', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  createdAt: tstz('created_at').notNull().defaultNow(),
  updatedAt: tstz('updated_at').notNull().defaultNow(),
});

export const memberships = pgTable(
  'memberships',
  {
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['owner', 'editor', 'viewer'] }).notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.userId] }), index('memberships_user_idx').on(t.userId)],
);

// ---------------------------------------------------------------- documents

export const documents = pgTable(
  'documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    filename: text('filename').notNull(),
    mimeType: text('mime_type').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    sha256: text('sha256').notNull(),
    storageKey: text('storage_key').notNull(),
    status: text('status', { enum: ['queued', 'processing', 'ready', 'failed'] })
      .notNull()
      .default('queued'),
    error: text('error'),
    pageCount: integer('page_count'),
    passageCount: integer('passage_count').notNull().default(0),
    /** Where the file sat in an uploaded or imported folder (`reports/2026/q1.pdf`); null for a single file. */
    path: text('path'),
    /** What extraction is doing right now ("OCR page 3 of 40"); null when idle. */
    progress: text('progress'),
    /** Pages whose text was recognised by OCR, not read from a text layer. */
    ocrPages: integer('ocr_pages').array().notNull().default(sql`'{}'::integer[]`),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('documents_workspace_sha256_idx').on(t.workspaceId, t.sha256),
    index('documents_workspace_created_idx').on(t.workspaceId, t.createdAt, t.id),
    index('documents_workspace_path_idx').on(t.workspaceId, t.path),
  ],
);

export const passages = pgTable(
  'passages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    documentId: uuid('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id').notNull(),
    ordinal: integer('ordinal').notNull(),
    page: integer('page'),
    headingPath: text('heading_path').array().notNull().default(sql`'{}'::text[]`),
    text: text('text').notNull(),
    tokenCount: integer('token_count').notNull(),
    tsv: tsvector('tsv').notNull(),
    /** Lexeme occurrences in `tsv` (BM25's document length); set by a trigger from `tsv`. */
    lexemeCount: integer('lexeme_count').notNull().default(0),
  },
  (t) => [
    index('passages_document_idx').on(t.documentId, t.ordinal),
    index('passages_workspace_idx').on(t.workspaceId),
    index('passages_tsv_idx').using('gin', t.tsv),
  ],
);

/**
 * BM25 term statistics per workspace, kept exact by statement triggers on
 * `passages` (migration 0003): how many passages hold each lexeme, and how
 * many passages and lexeme occurrences the workspace has in all.
 */
export const searchTerms = pgTable(
  'search_terms',
  {
    workspaceId: uuid('workspace_id').notNull(),
    term: text('term').notNull(),
    df: integer('df').notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.term] })],
);

export const searchStats = pgTable('search_stats', {
  workspaceId: uuid('workspace_id').primaryKey(),
  passages: bigint('passages', { mode: 'number' }).notNull(),
  lexemes: bigint('lexemes', { mode: 'number' }).notNull(),
  /**
   * Drawn from a sequence by triggers (migration 0005) on every change to the
   * workspace's passages, to their embeddings (`vectorGeneration`), and to what
   * search filters its documents by (`documentGeneration`: status, type,
   * date): a process holding a copy of the index in memory knows it is
   * current when the number has not moved.
   */
  generation: bigint('generation', { mode: 'number' }).notNull().default(0),
  vectorGeneration: bigint('vector_generation', { mode: 'number' }).notNull().default(0),
  documentGeneration: bigint('document_generation', { mode: 'number' }).notNull().default(0),
});

/** One embedding model = one space; vectors of different spaces are never compared. */
export const embeddingSpaces = pgTable(
  'embedding_spaces',
  {
    id: integer('id').primaryKey().generatedAlwaysAsIdentity(),
    provider: text('provider').notNull(),
    model: text('model').notNull(),
    dimensions: integer('dimensions').notNull(),
    status: text('status', { enum: ['building', 'active', 'retired'] }).notNull(),
    createdAt: tstz('created_at').notNull().defaultNow(),
    activatedAt: tstz('activated_at'),
  },
  (t) => [uniqueIndex('embedding_spaces_identity_idx').on(t.provider, t.model, t.dimensions)],
);

export const passageEmbeddings = pgTable(
  'passage_embeddings',
  {
    passageId: uuid('passage_id')
      .notNull()
      .references(() => passages.id, { onDelete: 'cascade' }),
    spaceId: integer('space_id')
      .notNull()
      .references(() => embeddingSpaces.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id').notNull(),
    embedding: anyVector('embedding').notNull(),
  },
  (t) => [primaryKey({ columns: [t.spaceId, t.passageId] }), index('passage_embeddings_ws_idx').on(t.spaceId, t.workspaceId)],
);

// ---------------------------------------------------------------- jobs

export const jobs = pgTable(
  'jobs',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').notNull().$type<Record<string, unknown>>(),
    documentId: uuid('document_id').references(() => documents.id, { onDelete: 'cascade' }),
    status: text('status', { enum: ['queued', 'running', 'done', 'failed'] })
      .notNull()
      .default('queued'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(5),
    runAt: tstz('run_at').notNull().defaultNow(),
    leaseUntil: tstz('lease_until'),
    lastError: text('last_error'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('jobs_ready_idx').on(t.status, t.runAt), index('jobs_document_idx').on(t.documentId)],
);

// ---------------------------------------------------------------- conversations (Ask)

/** One user's conversation in one workspace; `sharedAt` set: every member of the workspace may read it. */
export const askThreads = pgTable(
  'ask_threads',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    sharedAt: tstz('shared_at'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    updatedAt: tstz('updated_at').notNull().defaultNow(),
  },
  (t) => [
    index('ask_threads_owner_idx').on(t.workspaceId, t.userId, t.updatedAt, t.id),
    index('ask_threads_shared_idx').on(t.workspaceId, t.updatedAt, t.id).where(sql`${t.sharedAt} IS NOT NULL`),
  ],
);

/**
 * A question and its answer. `status` is `pending` while the answer is written (the row exists from the
 * start, so a reconnecting client finds it), then `done`, `stopped` (the asker stopped it; `answer` holds
 * what came) or `failed`.
 */
export const askMessages = pgTable(
  'ask_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    threadId: uuid('thread_id')
      .notNull()
      .references(() => askThreads.id, { onDelete: 'cascade' }),
    workspaceId: uuid('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    question: text('question').notNull(),
    /** What retrieval searched for: the question, or a follow-up made standalone. */
    retrievalQuery: text('retrieval_query').notNull(),
    status: text('status', { enum: ['pending', 'done', 'stopped', 'failed'] }).notNull().default('pending'),
    answer: text('answer').notNull().default(''),
    citations: jsonb('citations').$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    closestMatches: jsonb('closest_matches').$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    /** `[n]` the model wrote that named no passage it was given (removed from `answer`). */
    removedCitations: jsonb('removed_citations').$type<number[]>().notNull().default(sql`'[]'::jsonb`),
    mode: text('mode', { enum: ['generated', 'extractive'] }),
    model: text('model'),
    errorCode: text('error_code'),
    stopRequestedAt: tstz('stop_requested_at'),
    /** The asker's rating: 1 helpful, -1 not. */
    feedback: smallint('feedback'),
    feedbackAt: tstz('feedback_at'),
    createdAt: tstz('created_at').notNull().defaultNow(),
    completedAt: tstz('completed_at'),
  },
  (t) => [
    uniqueIndex('ask_messages_thread_ordinal_idx').on(t.threadId, t.ordinal),
    index('ask_messages_workspace_idx').on(t.workspaceId),
    index('ask_messages_feedback_idx').on(t.feedbackAt, t.id).where(sql`${t.feedback} IS NOT NULL`),
  ],
);

// ---------------------------------------------------------------- audit

/** Append-only: a trigger in the migrations refuses UPDATE, DELETE and TRUNCATE. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: tstz('at').notNull().defaultNow(),
    actorId: text('actor_id'),
    actorEmail: text('actor_email'),
    action: text('action').notNull(),
    targetType: text('target_type'),
    targetId: text('target_id'),
    ip: text('ip'),
    userAgent: text('user_agent'),
    outcome: text('outcome', { enum: ['success', 'failure'] }).notNull(),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_events_at_idx').on(t.at, t.id), index('audit_events_action_idx').on(t.action, t.at), index('audit_events_actor_idx').on(t.actorId, t.at),
    // The admin console filters by e-mail address (any case).
    index('audit_events_actor_email_idx').on(sql`lower(${t.actorEmail})`, t.at),
  ],
);

export type WorkspaceRole = (typeof memberships.$inferSelect)['role'];
export type DocumentStatus = (typeof documents.$inferSelect)['status'];
