import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

describe('loadConfig', () => {
  it('runs with no configuration at all: embedded database, local files, offline AI', () => {
    const config = loadConfig({});
    expect(config.port).toBe(2000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.database).toEqual({ kind: 'pglite', dir: './data', sharedBuffers: 'auto' });
    expect(config.storage).toEqual({ driver: 'fs', dir: './data/objects', reserveBytes: 256 * 1024 * 1024, watchDirs: ['./data'] });
    expect(config.ai.embedding).toBeUndefined();
    expect(config.ai.chat).toBeUndefined();
    expect(config.auth.signupMode).toBe('open');
  });

  it('chat and embeddings each default to the OPENAI_* endpoint and key, and may point elsewhere', () => {
    const shared = loadConfig({ OPENAI_API_KEY: 'sk-shared', CHAT_MODEL: 'gpt-4o-mini', EMBEDDING_MODEL: 'text-embedding-3-small' });
    expect(shared.ai.chat).toEqual({ baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-shared' });
    expect(shared.ai.embedding).toEqual({ baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-shared' });
    const split = loadConfig({
      OPENAI_API_KEY: 'sk-shared',
      CHAT_MODEL: 'llama3.2',
      CHAT_BASE_URL: 'http://127.0.0.1:11434/v1/',
      CHAT_API_KEY: 'ollama',
      EMBEDDING_MODEL: 'text-embedding-3-small',
      EMBEDDING_BASE_URL: 'http://127.0.0.1:8080/v1',
    });
    expect(split.ai.chat).toEqual({ baseUrl: 'http://127.0.0.1:11434/v1', apiKey: 'ollama' });
    expect(split.ai.embedding).toEqual({ baseUrl: 'http://127.0.0.1:8080/v1', apiKey: 'sk-shared' });
    // A chat server alone: embeddings stay offline (no EMBEDDING_MODEL), answers are generated.
    const chatOnly = loadConfig({ CHAT_MODEL: 'llama3.2', CHAT_BASE_URL: 'http://127.0.0.1:11434/v1' });
    expect(chatOnly.ai.embeddingModel).toBeUndefined();
    expect(chatOnly.ai.chat?.baseUrl).toBe('http://127.0.0.1:11434/v1');
    expect(() => loadConfig({ CHAT_BASE_URL: 'not a url' })).toThrow(/CHAT_BASE_URL/);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://nope' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ AUTH_SECRET: 'short' }, 'AUTH_SECRET'],
    [{ NODE_ENV: 'production' }, 'AUTH_SECRET'],
    [{ R2_BUCKET: 'files' }, 'R2_ACCESS_KEY_ID'],
    [{ SIGNUP_MODE: 'sometimes' }, 'SIGNUP_MODE'],
    [{ DATABASE_APP_ROLE: 'quarry_web', DATABASE_APP_PASSWORD: 'x'.repeat(32) }, 'DATABASE_APP_ROLE'],
    [{ DATABASE_URL: 'postgres://o:p@db/q', DATABASE_APP_ROLE: 'quarry_web' }, 'DATABASE_APP_PASSWORD'],
    [{ DATABASE_URL: 'postgres://o:p@db/q', DATABASE_APP_PASSWORD: 'x'.repeat(32) }, 'DATABASE_APP_ROLE'],
    [{ DATABASE_URL: 'postgres://o:p@db/q', DATABASE_APP_ROLE: 'web"; drop', DATABASE_APP_PASSWORD: 'x' }, 'DATABASE_APP_ROLE'],
  ])('rejects %j naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toContain(variable);
  });

  it('builds the R2 endpoint from the account id and defaults production sign-up to invite', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      AUTH_SECRET: 'x'.repeat(40),
      R2_ACCOUNT_ID: 'abc123',
      R2_ACCESS_KEY_ID: 'id',
      R2_SECRET_ACCESS_KEY: 'secret',
      R2_BUCKET: 'quarry',
    });
    expect(config.storage).toMatchObject({ driver: 's3', endpoint: 'https://abc123.r2.cloudflarestorage.com', bucket: 'quarry' });
    expect(config.auth.signupMode).toBe('invite');
  });

  it('sizes the embedded buffer pool by the data unless PGLITE_SHARED_BUFFERS fixes it, and refuses a malformed size', () => {
    expect(loadConfig({}).database).toMatchObject({ kind: 'pglite', sharedBuffers: 'auto' });
    expect(loadConfig({ PGLITE_SHARED_BUFFERS: '256MB' }).database).toMatchObject({ kind: 'pglite', sharedBuffers: 256 });
    expect(() => loadConfig({ PGLITE_SHARED_BUFFERS: '1GB' })).toThrow(/PGLITE_SHARED_BUFFERS/);
    expect(() => loadConfig({ PGLITE_SHARED_BUFFERS: '8MB' })).toThrow(/PGLITE_SHARED_BUFFERS/);
  });

  it('treats empty values as unset (compose passes unset optional variables as "")', () => {
    const config = loadConfig({ SIGNUP_MODE: '', STORAGE_DRIVER: '', EMBEDDING_DIMENSIONS: '', S3_REGION: '', OPENAI_BASE_URL: '', PORT: '' });
    expect(config.port).toBe(2000);
    expect(config.auth.signupMode).toBe('open');
    expect(config.storage.driver).toBe('fs');
  });

  it('accepts CIDR ranges in TRUSTED_PROXIES', () => {
    expect(loadConfig({ TRUSTED_PROXIES: '10.0.0.0/8, 172.16.0.0/12' }).auth.trustedProxies).toEqual(['10.0.0.0/8', '172.16.0.0/12']);
  });

  it('reads the app role for `quarry migrate`, which needs no AUTH_SECRET even in production', () => {
    const env = { NODE_ENV: 'production', DATABASE_URL: 'postgres://owner:pw@postgres:5432/quarry', DATABASE_APP_ROLE: 'quarry_web', DATABASE_APP_PASSWORD: 'f'.repeat(64) };
    expect(() => loadConfig(env)).toThrow(/AUTH_SECRET/);
    const config = loadConfig(env, { command: 'migrate' });
    expect(config.appRole).toEqual({ name: 'quarry_web', password: 'f'.repeat(64) });
    expect(loadConfig({}).appRole).toBeUndefined();
  });
});
