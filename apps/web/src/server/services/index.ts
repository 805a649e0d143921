/**
 * The service container handed to the HTTP layer and workers. Built once in
 * runtime.ts; routes never open their own database handles.
 */
import type { Config } from '@quarry/config';
import type { Database } from '@quarry/db';
import type { ObjectStorage } from '@quarry/storage';
import type { Logger } from '../logger.js';
import { createAuth, type Auth } from '../auth/better-auth.js';
import { createTrustedProxyList } from '../auth/client-ip.js';
import { createAttemptLimiter } from '../auth/rate-limit.js';
import { resolveAuthSecret } from '../auth/secret.js';
import { createApiKeyService } from './api-keys.js';
import { createAuditLog } from './audit.js';
import { createDocumentService } from './documents.js';
import { createIdempotency } from './idempotency.js';
import { createReaderService } from './reader.js';
import { createSearchServices } from './search.js';
import { createSystemService } from './system.js';
import { createUserAdministration } from './user-admin.js';
import { createConversationService } from './conversations.js';
import { createThreadService } from './threads.js';
import { createInvitationService } from './invitations.js';
import { createUserService } from './users.js';
import { createWorkspaceService, type WorkspaceCleanup } from './workspaces.js';

/** Origins whose cookie-authenticated writes are accepted. */
export function trustedOrigins(config: Config): string[] {
  const origins = new Set([new URL(config.publicUrl).origin]);
  if (!config.production) {
    // Local runs: the same server under its other loopback names, and Vite's dev server.
    for (const host of ['localhost', '127.0.0.1']) origins.add(`http://${host}:${config.port}`);
    origins.add('http://localhost:5173');
    origins.add('http://127.0.0.1:5173');
  }
  return [...origins];
}

export interface ServiceOptions {
  workspaceCleanups?: WorkspaceCleanup[];
  /** Where document files live (config.storage's adapter). */
  storage: ObjectStorage;
  /** Wakes the in-process ingest worker after a document is queued. */
  onDocumentQueued?: () => void;
  /** better-auth's own log lines go here (sanitized), not to the console. */
  logger?: Logger;
}

export function createServices(config: Config, db: Database, options: ServiceOptions) {
  const audit = createAuditLog(db);
  const users = createUserService(db, { adminEmail: config.auth.adminEmail, production: config.production });
  const workspaceCleanups: WorkspaceCleanup[] = [...(options.workspaceCleanups ?? [])];
  const documents = createDocumentService({
    db,
    storage: options.storage,
    maxBytes: config.uploads.maxBytes,
    maxAttempts: config.ingest.maxAttempts,
    onQueued: () => options.onDocumentQueued?.(),
  });
  workspaceCleanups.push(async (workspaceId) => {
    await documents.deleteWorkspaceFiles(workspaceId);
  });
  const workspaces = createWorkspaceService(db, workspaceCleanups);
  const origins = trustedOrigins(config);
  const auth: Auth = createAuth({
    config,
    db,
    secret: resolveAuthSecret(config.auth.secret, config.dataDir),
    trustedOrigins: origins,
    logger: options.logger,
    hooks: {
      roleForNewUser: (email) => users.roleForNewUser(email),
      afterUserCreated: async (user) => {
        const ws = await workspaces.create(user.id, 'Personal');
        await audit.record({ action: 'workspace.created', outcome: 'success', actor: user, targetType: 'workspace', targetId: ws.id, details: { personal: true } });
      },
    },
  });
  const searchServices = createSearchServices(config, db);
  const threads = createThreadService(db);
  return {
    config,
    db,
    auth,
    audit,
    users,
    workspaces,
    documents,
    reader: createReaderService(db, { language: config.search.language }),
    ...searchServices,
    threads,
    conversations: createConversationService({ threads, answers: searchServices.answers, ...(options.logger ? { logger: options.logger } : {}) }),
    storage: options.storage,
    /** Admin → System: what an operator checks first. */
    system: createSystemService({ db, config, storage: options.storage }),
    /** Admin: create, reset-link and delete accounts. */
    userAdmin: createUserAdministration({ db, auth, publicUrl: config.publicUrl, workspaceCleanups }),
    /** Later layers (documents) register what must be removed with a workspace. */
    workspaceCleanups,
    apiKeys: createApiKeyService(db),
    invitations: createInvitationService(db, config.publicUrl),
    idempotency: createIdempotency(db, resolveAuthSecret(config.auth.secret, config.dataDir)),
    limiter: createAttemptLimiter(db),
    trustedOrigins: origins,
    trustedProxies: createTrustedProxyList(config.auth.trustedProxies),
  };
}

export type Services = ReturnType<typeof createServices>;
