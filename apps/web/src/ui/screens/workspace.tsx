/** A workspace's sections, "new workspace", and the not-found page (also shown to non-members). */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { ApiError, api } from '../api/client.js';
import type { Me, WorkspaceRole } from '../api/contract.js';
import { useSubmit } from '../api/submit.js';
import { ErrorText, Field, PageTitle, Spinner } from '../components/common.js';
import { AskScreen } from './ask.js';
import { DocumentScreen } from './document.js';
import { DocumentsScreen, documentsQuery } from './documents.js';
import { SearchScreen } from './search.js';
import { SettingsScreen } from './settings.js';

export interface WorkspaceContext {
  ws: string;
  name: string;
  role: WorkspaceRole;
  me: Me;
}

export const canEdit = (role: WorkspaceRole) => role === 'owner' || role === 'editor';

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

export function NewWorkspaceScreen({ firstOne = false }: { firstOne?: boolean }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [name, setName] = useState('');
  const create = useSubmit((_: void, key) => api.createWorkspace(name.trim(), key), {
    onSuccess: async (workspace) => {
      await queryClient.invalidateQueries({ queryKey: ['me'] });
      navigate(`/w/${workspace.id}`);
    },
  });
  return (
    <section className="narrow">
      <PageTitle>{firstOne ? 'Create your first workspace' : 'New workspace'}</PageTitle>
      <p className="muted">A workspace holds documents and the people who can search them.</p>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          create.submit();
        }}
      >
        <Field label="Workspace name">
          {(id) => <input id={id} required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <ErrorText error={create.error} />
        <button type="submit" className="primary" disabled={create.busy || !name.trim()}>
          {create.busy ? 'Creating…' : 'Create workspace'}
        </button>
      </form>
    </section>
  );
}

export function NotFoundScreen({ what = 'page' }: { what?: string }) {
  return (
    <section className="narrow">
      <PageTitle>Not found</PageTitle>
      <div className="card">
        <p>This {what} does not exist, or you do not have access to it.</p>
        <p>
          <Link href="/">Go to your workspaces</Link>
        </p>
      </div>
    </section>
  );
}
