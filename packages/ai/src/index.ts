export * from './types.js';
export * from './embedders/index.js';
