/** Typed Hono context variables shared by middleware and routes. */
import type { Config } from '@quarry/config';
import type { Logger } from '../logger.js';

export interface RequestVariables {
  requestId: string;
  logger: Logger;
}

export interface AppEnv {
  Variables: RequestVariables;
}

export type { Config };
