/**
 * Queries more than one screen reads: who is signed in, how sign-up works, and
 * a workspace's documents. Screens share these through here, never through
 * each other.
 */
import { useQuery } from '@tanstack/react-query';
import { ApiError, api } from './client.js';
import type { QuarryDocument } from './contract.js';

/** The signed-in user and their workspaces; null when signed out. */
export const meQuery = {
  queryKey: ['me'],
  queryFn: async () => {
    try {
      return await api.me();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }
  },
};

export const authStatusQuery = {
  queryKey: ['auth-status'],
  queryFn: async () => {
    try {
      return await api.authStatus();
    } catch (error) {
      // Older servers without the endpoint: assume an existing install with sign-in only.
      if (error instanceof ApiError && error.status === 404)
        return { needsAdmin: false, signupMode: 'invite' as const };
      throw error;
    }
  },
};

export const inFlight = (d: QuarryDocument) => d.status === 'queued' || d.status === 'processing';
/** Ready for keyword search, its vectors still being computed. */
export const embedding = (d: QuarryDocument) =>
  d.status === 'ready' && d.vectors !== undefined && d.vectors.ready < d.vectors.total;

export const documentsQuery = (ws: string) => ({
  queryKey: ['documents', ws],
  queryFn: async () => {
    // Walk every page: a workspace's document list is what the user manages here.
    const items: QuarryDocument[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await api.listDocuments(ws, cursor);
      items.push(...page.items);
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    return items;
  },
});

export function useDocuments(ws: string) {
  return useQuery({
    ...documentsQuery(ws),
    refetchInterval: (query) => (query.state.data?.some((d) => inFlight(d) || embedding(d)) ? 1000 : false),
  });
}
