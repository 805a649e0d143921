/**
 * A workspace's sections: loads the workspace (a non-member gets the not-found
 * page), then picks the screen for the path. This router is the only module
 * that knows every workspace screen; screens share what they need through
 * workspace/context, passage-links and api/queries.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useLocation } from 'wouter';
import { ApiError, api } from '../api/client.js';
import type { Me } from '../api/contract.js';
import { documentsQuery } from '../api/queries.js';
import { ErrorText, Spinner } from '../components/common.js';
import { NotFoundScreen } from '../components/not-found.js';
import { AskScreen } from '../screens/ask.js';
import { DocumentScreen } from '../screens/document.js';
import { DocumentsScreen } from '../screens/documents.js';
import { SearchScreen } from '../screens/search.js';
import { SettingsScreen } from '../screens/settings.js';
import type { WorkspaceContext } from './context.js';

export function WorkspaceRoutes({ ws, me }: { ws: string; me: Me }) {
  const [location] = useLocation();
  const queryClient = useQueryClient();
  const workspace = useQuery({ queryKey: ['workspace', ws], queryFn: () => api.getWorkspace(ws) });
  // Fetch the document list alongside the workspace rather than after it.
  useEffect(() => {
    void queryClient.prefetchQuery(documentsQuery(ws));
  }, [queryClient, ws]);
  if (workspace.isPending) return <Spinner label="Loading workspace…" />;
  if (workspace.isError) {
    if (workspace.error instanceof ApiError && workspace.error.status === 404)
      return <NotFoundScreen what="workspace" />;
    return <ErrorText error={workspace.error} />;
  }
  const role = workspace.data.role ?? me.workspaces.find((w) => w.id === ws)?.role ?? 'viewer';
  const ctx: WorkspaceContext = { ws, name: workspace.data.name, role, me };
  const section = location.slice(`/w/${ws}`.length);
  const doc = /^\/documents\/([^/]+)$/.exec(section);
  if (section === '' || section === '/') return <DocumentsScreen ctx={ctx} />;
  if (section === '/search') return <SearchScreen ctx={ctx} />;
  if (section === '/ask') return <AskScreen ctx={ctx} />;
  if (section === '/settings') return <SettingsScreen ctx={ctx} />;
  if (doc?.[1]) return <DocumentScreen ctx={ctx} documentId={decodeURIComponent(doc[1])} />;
  return <NotFoundScreen />;
}
