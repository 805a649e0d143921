/** API keys through better-auth's API-key plugin routes. */
import { pathOf, request } from './client.js';
import { endpoints } from './contract.js';

export interface ApiKeySummary {
  id: string;
  name: string | null;
  start?: string | null;
  createdAt: string;
  lastRequest?: string | null;
  expiresAt?: string | null;
}

const e = endpoints;

export const apiKeys = {
  list: async (): Promise<ApiKeySummary[]> => {
    const body = await request<ApiKeySummary[] | { apiKeys?: ApiKeySummary[]; items?: ApiKeySummary[] }>(e.listApiKeys.method, pathOf(e.listApiKeys.path));
    return Array.isArray(body) ? body : (body.apiKeys ?? body.items ?? []);
  },
  create: (name: string) => request<ApiKeySummary & { key: string }>(e.createApiKey.method, pathOf(e.createApiKey.path), { body: { name } }),
  revoke: (keyId: string) => request<unknown>(e.revokeApiKey.method, pathOf(e.revokeApiKey.path), { body: { keyId } }),
};
