export * from './sniff.js';
export * from './chunk.js';
export * from './extract/index.js';
export { IsolatedExtractor } from './extract/isolated.js';
export * from './queue.js';
export * from './spaces.js';
export * from './pipeline.js';
export * from './orphans.js';
export * from './worker.js';
