export * from './types.js';
export * from './embedders/index.js';
export * from './chat/openai.js';
