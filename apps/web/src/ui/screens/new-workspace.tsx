/** "New workspace" (and the first one, right after sign-up). */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { api } from '../api/client.js';
import { useSubmit } from '../api/submit.js';
import { ErrorText, Field, PageTitle } from '../components/common.js';

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
