/** Typed Hono context variables shared by middleware and routes. */
import type { Logger } from '../logger.js';
import type { KeyScope } from '../services/api-keys.js';

export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: string;
}

export interface RequestVariables {
  requestId: string;
  logger: Logger;
  clientIp: string;
  /** Set by the session middleware when the caller is signed in (cookie or API key). */
  user: SessionUser | undefined;
  authMethod: 'cookie' | 'api-key' | undefined;
  /** Set when the caller is an API key: how far it reaches (enforced by the session middleware). */
  apiKeyScope: KeyScope | undefined;
}

export interface AppEnv {
  Variables: RequestVariables;
}
