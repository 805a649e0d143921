/**
 * The one place Quarry reads its environment. Everything else receives a typed
 * `Config`; no other module touches `process.env`.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const postgresUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v);
      return (u.protocol === 'postgres:' || u.protocol === 'postgresql:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'must look like postgres://user:password@host:5432/database');

/** Each entry: the schema and the fix to print when the value is wrong. */
const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(2000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('./data'),
  // The pre-initialised embedded cluster a fresh DATA_DIR is copied from: a directory, or `off` (initdb).
  // Unset: the one `npm run build` made beside the server bundle, if any.
  PGLITE_TEMPLATE: z.string().min(1).optional(),
  // The embedded database's buffer pool: `auto` (sized by the data at each start, 32–128 MB) or e.g. `256MB`.
  PGLITE_SHARED_BUFFERS: z
    .string()
    .regex(/^(auto|\d{1,5}MB)$/, 'must be `auto` or a size in MB such as `128MB`')
    .default('auto')
    .transform((v) => (v === 'auto' ? ('auto' as const) : Number(v.slice(0, -2))))
    .refine((v) => v === 'auto' || (v >= 16 && v <= 16384), 'must be between 16MB and 16384MB'),
  DATABASE_URL: postgresUrl.optional().or(z.literal('').transform(() => undefined)),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  // `quarry migrate` only: the role the app serves with (created if missing, granted DML; docs/security.md §5).
  DATABASE_APP_ROLE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL role name (a-z, 0-9, _)')
    .optional()
    .or(z.literal('').transform(() => undefined)),
  DATABASE_APP_PASSWORD: optionalString,
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional().or(z.literal('').transform(() => undefined)),
  AUTH_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  ADMIN_EMAIL: z.email().optional().or(z.literal('').transform(() => undefined)),
  SIGNUP_MODE: z.enum(['open', 'invite', 'closed']).optional(),
  // Single sign-on (OpenID Connect): the issuer's discovery document names every endpoint.
  OIDC_ISSUER: z.url({ protocol: /^https?$/ }).optional().or(z.literal('').transform(() => undefined)),
  OIDC_CLIENT_ID: optionalString,
  OIDC_CLIENT_SECRET: optionalString,
  OIDC_DISPLAY_NAME: z.string().trim().min(1).max(40).default('single sign-on'),
  OIDC_SCOPES: z.string().default('openid email profile'),
  OIDC_ALLOWED_DOMAINS: z.string().default(''),
  OIDC_GROUPS_CLAIM: z.string().trim().min(1).max(100).default('groups'),
  OIDC_ADMIN_GROUP: optionalString,
  OIDC_WORKSPACE_GROUPS: z.string().max(10_000).default(''),
  PASSWORD_SIGNIN: z.enum(['on', 'off']).default('on'),
  TRUSTED_PROXIES: z.string().default(''),
  MAX_UPLOAD_MB: z.coerce.number().int().min(1).max(10_240).default(100),
  // The slowest upload accepted (averaged from the start, after the grace period); 0 turns the cutoff off.
  UPLOAD_MIN_BYTES_PER_SECOND: z.coerce.number().int().min(0).max(1_073_741_824).default(1024),
  UPLOAD_RATE_GRACE_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  DISK_RESERVE_MB: z.coerce.number().int().min(16).max(1_048_576).default(256),
  STORAGE_DRIVER: z.enum(['fs', 's3']).optional(),
  R2_ACCOUNT_ID: optionalString,
  R2_ACCESS_KEY_ID: optionalString,
  R2_SECRET_ACCESS_KEY: optionalString,
  R2_BUCKET: optionalString,
  S3_ENDPOINT: z.url().optional().or(z.literal('').transform(() => undefined)),
  S3_REGION: z.string().default('auto'),
  S3_FORCE_PATH_STYLE: bool.default(true),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: z.url().default('https://api.openai.com/v1'),
  EMBEDDING_MODEL: optionalString,
  EMBEDDING_DIMENSIONS: z.coerce.number().int().min(8).max(4096).optional(),
  CHAT_MODEL: optionalString,
  // Chat and embeddings may live on different servers (a local Ollama for one, OpenAI for the other);
  // each falls back to the OPENAI_* pair.
  CHAT_BASE_URL: z.url().optional().or(z.literal('').transform(() => undefined)),
  CHAT_API_KEY: optionalString,
  EMBEDDING_BASE_URL: z.url().optional().or(z.literal('').transform(() => undefined)),
  EMBEDDING_API_KEY: optionalString,
  ASK_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(20),
  ASK_LIMIT_PER_DAY: z.coerce.number().int().min(1).max(1_000_000).default(500),
  MODEL_CACHE_DIR: optionalString,
  EMBEDDING_THREADS: z.coerce.number().int().min(1).max(16).optional(),
  EMBEDDING_PRECISION: z.enum(['int8', 'fp32']).default('int8'),
  AI_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  INGEST_CONCURRENCY: z.coerce.number().int().min(0).max(32).default(2),
  INGEST_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  INGEST_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(3600).default(300),
  CHUNK_TOKENS: z.coerce.number().int().min(50).max(8000).default(800),
  CHUNK_OVERLAP: z.coerce.number().min(0).max(0.5).default(0.15),
  SEARCH_LANGUAGE: z.enum(['simple', 'english', 'german', 'french', 'spanish', 'italian', 'dutch', 'portuguese']).default('english'),
  SEARCH_MEMORY_PASSAGES: z.coerce.number().int().min(0).max(100_000_000).default(200_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
});

const fixes: Record<string, string> = {
  PORT: 'set PORT to a TCP port number such as 2000',
  HOST: 'set HOST to an address to listen on, e.g. 127.0.0.1 or 0.0.0.0',
  DATABASE_URL: 'set DATABASE_URL=postgres://user:password@host:5432/db, or unset it to use the embedded database',
  PUBLIC_URL: 'set PUBLIC_URL to the address users open, e.g. https://quarry.example.com',
  AUTH_SECRET: 'generate one with: openssl rand -base64 32',
  ADMIN_EMAIL: 'set ADMIN_EMAIL to the e-mail address of the first administrator',
  SIGNUP_MODE: 'use one of open, invite, closed',
  OIDC_ISSUER: "set OIDC_ISSUER to your provider's issuer URL (the part before /.well-known/openid-configuration)",
  OIDC_DISPLAY_NAME: 'set OIDC_DISPLAY_NAME to a short provider name for the sign-in button (at most 40 characters)',
  PASSWORD_SIGNIN: 'use on or off (off needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET)',
  S3_ENDPOINT: 'set S3_ENDPOINT to the https URL of your S3-compatible endpoint',
  OPENAI_BASE_URL: 'set OPENAI_BASE_URL to the /v1 URL of an OpenAI-compatible server',
  CHAT_BASE_URL: 'set CHAT_BASE_URL to the /v1 URL of the chat server (e.g. http://127.0.0.1:11434/v1 for Ollama), or unset it to use OPENAI_BASE_URL',
  EMBEDDING_BASE_URL: 'set EMBEDDING_BASE_URL to the /v1 URL of the embedding server, or unset it to use OPENAI_BASE_URL',
  ASK_LIMIT_PER_MINUTE: 'set ASK_LIMIT_PER_MINUTE to the questions one user (or API key) may ask per minute, e.g. 20',
  ASK_LIMIT_PER_DAY: 'set ASK_LIMIT_PER_DAY to the questions one user (or API key) may ask per day, e.g. 500',
  NODE_ENV: 'use development, production or test',
  DATABASE_APP_ROLE: 'set DATABASE_APP_ROLE to a new role name such as quarry_web (not the owner in DATABASE_URL)',
  DATABASE_APP_PASSWORD: 'set DATABASE_APP_PASSWORD (openssl rand -hex 32) together with DATABASE_APP_ROLE',
  DISK_RESERVE_MB: 'set DISK_RESERVE_MB to the megabytes to keep free under DATA_DIR (at least 16; default 256)',
};

export type Config = ReturnType<typeof finalize>;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
    readonly fix: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem} (${fix})`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /**
   * `quarry migrate` touches only the database: it needs no AUTH_SECRET even in production, so the
   * compose stack's one-shot migrate service never receives it.
   */
  command?: 'migrate';
}

function finalize(env: z.infer<typeof schema>, options: LoadConfigOptions = {}) {
  const production = env.NODE_ENV === 'production';
  const r2 = env.R2_ACCOUNT_ID !== undefined || env.R2_BUCKET !== undefined;
  const storageDriver = env.STORAGE_DRIVER ?? (r2 || env.S3_ENDPOINT ? 's3' : 'fs');
  if (production && env.AUTH_SECRET === undefined && options.command !== 'migrate') {
    throw new ConfigError('AUTH_SECRET', 'is required in production', fixes.AUTH_SECRET!);
  }
  if (env.DATABASE_APP_ROLE !== undefined || env.DATABASE_APP_PASSWORD !== undefined) {
    if (env.DATABASE_URL === undefined) {
      throw new ConfigError('DATABASE_APP_ROLE', 'needs DATABASE_URL (the embedded database has a single owner)', 'unset DATABASE_APP_ROLE and DATABASE_APP_PASSWORD, or set DATABASE_URL');
    }
    if (env.DATABASE_APP_ROLE === undefined) throw new ConfigError('DATABASE_APP_ROLE', 'is missing while DATABASE_APP_PASSWORD is set', fixes.DATABASE_APP_ROLE!);
    if (env.DATABASE_APP_PASSWORD === undefined) throw new ConfigError('DATABASE_APP_PASSWORD', 'is missing while DATABASE_APP_ROLE is set', fixes.DATABASE_APP_PASSWORD!);
  }
  if (storageDriver === 's3') {
    for (const name of ['R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'R2_BUCKET'] as const) {
      if (env[name] === undefined) {
        throw new ConfigError(name, 'is required when object storage (R2/S3) is used', `set ${name} from your R2 API token, or unset R2_* to store files on local disk`);
      }
    }
    if (env.S3_ENDPOINT === undefined && env.R2_ACCOUNT_ID === undefined) {
      throw new ConfigError('R2_ACCOUNT_ID', 'is required for Cloudflare R2 (or set S3_ENDPOINT)', 'copy the account id from the Cloudflare dashboard');
    }
  }
  const oidc = oidcConfig(env);
  if (env.PASSWORD_SIGNIN === 'off' && !oidc) {
    throw new ConfigError('PASSWORD_SIGNIN', 'is off but single sign-on is not configured (nobody could sign in)', fixes.PASSWORD_SIGNIN!);
  }
  const publicUrl = env.PUBLIC_URL ?? `http://localhost:${env.PORT}`;
  return {
    env: env.NODE_ENV,
    production,
    host: env.HOST,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    dataDir: env.DATA_DIR,
    database: env.DATABASE_URL
      ? ({ kind: 'postgres', url: env.DATABASE_URL, poolMax: env.DATABASE_POOL_MAX } as const)
      : ({
          kind: 'pglite',
          dir: env.DATA_DIR,
          ...(env.PGLITE_TEMPLATE === undefined ? {} : { template: env.PGLITE_TEMPLATE === 'off' ? (false as const) : env.PGLITE_TEMPLATE }),
          sharedBuffers: env.PGLITE_SHARED_BUFFERS,
        } as const),
    /** `quarry migrate` creates or updates this role and grants it what the app needs (PostgreSQL only). */
    appRole:
      env.DATABASE_APP_ROLE !== undefined && env.DATABASE_APP_PASSWORD !== undefined
        ? { name: env.DATABASE_APP_ROLE, password: env.DATABASE_APP_PASSWORD }
        : undefined,
    publicUrl: publicUrl.replace(/\/+$/, ''),
    auth: {
      secret: env.AUTH_SECRET,
      adminEmail: env.ADMIN_EMAIL?.toLowerCase(),
      signupMode: env.SIGNUP_MODE ?? (production ? 'invite' : 'open'),
      trustedProxies: env.TRUSTED_PROXIES.split(',').map((s) => s.trim()).filter(Boolean),
      /** OpenID Connect sign-in (auth/oidc.ts); undefined: e-mail and password only. */
      oidc,
      /** `PASSWORD_SIGNIN=off`: e-mail/password sign-in and sign-up answer 403 (single sign-on only). */
      passwordSignIn: env.PASSWORD_SIGNIN === 'on',
    },
    uploads: {
      maxBytes: env.MAX_UPLOAD_MB * 1024 * 1024,
      maxMb: env.MAX_UPLOAD_MB,
      /** A client trickling an upload holds a connection and a slot; below this it gets 408. */
      minimumRate: { minBytesPerSecond: env.UPLOAD_MIN_BYTES_PER_SECOND, graceMs: env.UPLOAD_RATE_GRACE_SECONDS * 1000 },
    },
    /** Kept free on the DATA_DIR filesystem so the embedded database never meets a full disk. */
    disk: { reserveBytes: env.DISK_RESERVE_MB * 1024 * 1024 },
    storage:
      storageDriver === 's3'
        ? ({
            driver: 's3',
            endpoint: env.S3_ENDPOINT ?? `https://${env.R2_ACCOUNT_ID}.r2.cloudflarestorage.com`,
            region: env.S3_REGION,
            bucket: env.R2_BUCKET!,
            accessKeyId: env.R2_ACCESS_KEY_ID!,
            secretAccessKey: env.R2_SECRET_ACCESS_KEY!,
            forcePathStyle: env.S3_FORCE_PATH_STYLE,
          } as const)
        : ({
            driver: 'fs',
            dir: `${env.DATA_DIR.replace(/\/+$/, '')}/objects`,
            reserveBytes: env.DISK_RESERVE_MB * 1024 * 1024,
            watchDirs: [env.DATA_DIR],
          } as const),
    ai: {
      // Without EMBEDDING_MODEL embeddings are offline and without CHAT_MODEL answers are extractive, whatever
      // URLs are set. The embedding endpoint is still known when only a key or URL is set: a remote space that
      // stays active while the offline model re-embeds must embed its queries there.
      embedding:
        env.EMBEDDING_MODEL !== undefined || env.EMBEDDING_BASE_URL !== undefined || env.EMBEDDING_API_KEY !== undefined || env.OPENAI_API_KEY !== undefined
          ? {
              baseUrl: (env.EMBEDDING_BASE_URL ?? env.OPENAI_BASE_URL).replace(/\/+$/, ''),
              apiKey: env.EMBEDDING_API_KEY ?? env.OPENAI_API_KEY,
            }
          : undefined,
      chat:
        env.CHAT_MODEL !== undefined
          ? { baseUrl: (env.CHAT_BASE_URL ?? env.OPENAI_BASE_URL).replace(/\/+$/, ''), apiKey: env.CHAT_API_KEY ?? env.OPENAI_API_KEY }
          : undefined,
      embeddingModel: env.EMBEDDING_MODEL,
      embeddingDimensions: env.EMBEDDING_DIMENSIONS,
      chatModel: env.CHAT_MODEL,
      timeoutMs: env.AI_TIMEOUT_MS,
      embeddingThreads: env.EMBEDDING_THREADS,
      embeddingPrecision: env.EMBEDDING_PRECISION,
      // The local model's built ONNX file (~90 MB, rebuilt if missing). Tests share one cache instead of
      // building into every temporary DATA_DIR.
      modelCacheDir:
        env.MODEL_CACHE_DIR ??
        (env.NODE_ENV === 'test' ? path.join(os.tmpdir(), 'quarry-models') : `${env.DATA_DIR.replace(/\/+$/, '')}/models`),
    },
    ingest: {
      concurrency: env.INGEST_CONCURRENCY,
      maxAttempts: env.INGEST_MAX_ATTEMPTS,
      timeoutMs: env.INGEST_TIMEOUT_SECONDS * 1000,
      chunkTokens: env.CHUNK_TOKENS,
      chunkOverlap: env.CHUNK_OVERLAP,
    },
    /** memoryPassages: passages held in memory for keyword ranking, across workspaces (0: SQL only). */
    search: { language: env.SEARCH_LANGUAGE, memoryPassages: env.SEARCH_MEMORY_PASSAGES },
    /** Questions per user and per API key (Ask), counted in the database so every replica shares them. */
    ask: { perMinute: env.ASK_LIMIT_PER_MINUTE, perDay: env.ASK_LIMIT_PER_DAY },
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  };
}

/** The OIDC settings, all three of issuer, client id and secret or none of them. */
function oidcConfig(env: z.infer<typeof schema>) {
  const parts = { OIDC_ISSUER: env.OIDC_ISSUER, OIDC_CLIENT_ID: env.OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: env.OIDC_CLIENT_SECRET };
  const set = Object.entries(parts).filter(([, v]) => v !== undefined);
  if (set.length === 0) return undefined;
  for (const [name, value] of Object.entries(parts)) {
    if (value === undefined) {
      throw new ConfigError(name, `is missing while ${set.map(([n]) => n).join(' and ')} ${set.length === 1 ? 'is' : 'are'} set`, 'set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together (from the client you registered at your provider), or none of them');
    }
  }
  const scopes = env.OIDC_SCOPES.split(/[\s,]+/).filter(Boolean);
  const domains = env.OIDC_ALLOWED_DOMAINS.split(',').map((d) => d.trim().toLowerCase().replace(/^@/, '')).filter(Boolean);
  const workspaceGroups = parseWorkspaceGroups(env.OIDC_WORKSPACE_GROUPS);
  const bad = domains.find((d) => !/^[a-z0-9.-]+\.[a-z]{2,}$/.test(d));
  if (bad) throw new ConfigError('OIDC_ALLOWED_DOMAINS', `is invalid (${JSON.stringify(bad)} is not a domain)`, 'list e-mail domains separated by commas, e.g. example.com,example.org');
  return {
    issuer: env.OIDC_ISSUER!.replace(/\/+$/, ''),
    clientId: env.OIDC_CLIENT_ID!,
    clientSecret: env.OIDC_CLIENT_SECRET!,
    displayName: env.OIDC_DISPLAY_NAME,
    scopes: scopes.includes('openid') ? scopes : ['openid', ...scopes],
    /** New accounts from these e-mail domains only (any mode); empty: SIGNUP_MODE decides alone. */
    allowedDomains: domains,
    groupsClaim: env.OIDC_GROUPS_CLAIM,
    /** Members of this provider group are administrators, others are not (checked at every sign-in). */
    adminGroup: env.OIDC_ADMIN_GROUP,
    /** Provider groups → a role in a workspace: for these workspaces, membership follows the groups at every sign-in. */
    workspaceGroups,
  };
}

export interface WorkspaceGroupMapping {
  group: string;
  workspaceId: string;
  role: 'owner' | 'editor' | 'viewer';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `group=workspace-id:role` entries separated by commas or new lines (groups may hold spaces, not `=` or `,`). */
export function parseWorkspaceGroups(value: string): WorkspaceGroupMapping[] {
  const hint = 'list group=workspace-id:role entries separated by commas, e.g. engineering=3f2a…:editor; the role is owner, editor or viewer';
  const out: WorkspaceGroupMapping[] = [];
  for (const raw of value.split(/[,\n]/)) {
    const entry = raw.trim();
    if (entry === '') continue;
    const m = /^(.+?)\s*=\s*([^:\s]+)\s*:\s*(\w+)$/.exec(entry);
    if (!m) throw new ConfigError('OIDC_WORKSPACE_GROUPS', `has an entry that is not group=workspace-id:role (${JSON.stringify(entry.slice(0, 80))})`, hint);
    const [, group, workspaceId, role] = m;
    if (!UUID.test(workspaceId!)) throw new ConfigError('OIDC_WORKSPACE_GROUPS', `names ${JSON.stringify(workspaceId)}, which is not a workspace id`, `${hint} (a workspace's id is in its URL: /w/<id>)`);
    if (role !== 'owner' && role !== 'editor' && role !== 'viewer') throw new ConfigError('OIDC_WORKSPACE_GROUPS', `gives the role ${JSON.stringify(role)}`, hint);
    out.push({ group: group!, workspaceId: workspaceId!.toLowerCase(), role });
  }
  return out;
}

/** Parses an environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env, options: LoadConfigOptions = {}): Config {
  // Compose passes unset optional variables as empty strings: treat `VAR=` as unset everywhere.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const result = schema.safeParse(present);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    const value = present[variable];
    const problem = value === undefined ? `is missing: ${issue.message}` : `is invalid (${issue.message})`;
    throw new ConfigError(variable, problem, fixes[variable] ?? `check the value of ${variable}`);
  }
  return finalize(result.data, options);
}

/** Every variable Quarry reads, for documentation and drift tests. */
export const configVariables = Object.keys(schema.shape);
