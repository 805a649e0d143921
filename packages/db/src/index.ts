export * from './app-role.js';
export * from './client.js';
export * from './data-dir-lock.js';
export * from './lanes.js';
export * from './migrate.js';
export * from './pglite-template.js';
export * as schema from './schema.js';
export * from './schema.js';
export * from './vector-index.js';
