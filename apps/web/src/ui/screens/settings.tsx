/** Workspace settings: members and roles (owner), rename (owner), delete (owner), leave (anyone). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { api } from '../api/client.js';
import { useSubmit } from '../api/submit.js';
import type { Member, WorkspaceRole } from '../api/contract.js';
import { ConfirmDialog, ErrorText, Field, PageTitle, Spinner } from '../components/common.js';
import type { WorkspaceContext } from '../workspace/context.js';

const roles: { value: WorkspaceRole; label: string }[] = [
  { value: 'viewer', label: 'Viewer — search and ask' },
  { value: 'editor', label: 'Editor — also upload and delete documents' },
  { value: 'owner', label: 'Owner — also manage members and the workspace' },
];

export function SettingsScreen({ ctx }: { ctx: WorkspaceContext }) {
  const owner = ctx.role === 'owner';
  return (
    <section>
      <PageTitle>{`${ctx.name}: settings`}</PageTitle>
      {owner ? (
        <RenameForm ctx={ctx} />
      ) : (
        <p className="muted">
          You are {ctx.role === 'editor' ? 'an editor' : 'a viewer'} in this workspace. Owners manage its members and
          settings.
        </p>
      )}
      <Members ctx={ctx} />
      <DangerZone ctx={ctx} />
    </section>
  );
}

function RenameForm({ ctx }: { ctx: WorkspaceContext }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(ctx.name);
  const rename = useSubmit(() => api.renameWorkspace(ctx.ws, name.trim()), {
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['workspace', ctx.ws] });
      await queryClient.invalidateQueries({ queryKey: ['me'] });
    },
  });
  return (
    <form
      className="card"
      onSubmit={(e) => {
        e.preventDefault();
        rename.submit();
      }}
    >
      <h2>Name</h2>
      <div className="inline-form">
        <Field label="Workspace name">
          {(id) => <input id={id} required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <button type="submit" disabled={rename.busy || !name.trim() || name.trim() === ctx.name}>
          {rename.busy ? 'Saving…' : 'Rename'}
        </button>
      </div>
      <ErrorText error={rename.error} />
      {rename.isSuccess ? (
        <p className="success small" role="status">
          Renamed.
        </p>
      ) : null}
    </form>
  );
}

function Members({ ctx }: { ctx: WorkspaceContext }) {
  const queryClient = useQueryClient();
  const owner = ctx.role === 'owner';
  const members = useQuery({ queryKey: ['members', ctx.ws], queryFn: () => api.listMembers(ctx.ws) });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['members', ctx.ws] });
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<WorkspaceRole>('viewer');
  const [rowError, setRowError] = useState<{ userId: string; error: unknown } | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const add = useSubmit(() => api.addMember(ctx.ws, email.trim(), role), {
    onSuccess: async () => {
      setEmail('');
      await refresh();
    },
  });
  const change = useMutation({
    mutationFn: (v: { userId: string; role: WorkspaceRole }) => api.updateMember(ctx.ws, v.userId, v.role),
    onMutate: () => setRowError(null),
    onSuccess: () => refresh(),
    onError: (error, v) => setRowError({ userId: v.userId, error }),
  });
  const remove = useMutation({
    mutationFn: (userId: string) => api.removeMember(ctx.ws, userId),
    onSuccess: async () => {
      setRemoving(null);
      await refresh();
    },
  });

  const soleOwner = (members.data?.items.filter((m) => m.role === 'owner').length ?? 0) === 1;
  return (
    <div className="card">
      <h2>Members</h2>
      {members.isPending ? <Spinner label="Loading members…" /> : null}
      <ErrorText error={members.error} />
      {members.data ? (
        <ul className="member-list" aria-label="Members">
          {members.data.items.map((m) => (
            <li key={m.userId} className="member">
              <div className="member-who">
                <span>{m.name || m.email}</span>
                <span className="muted small">{m.email}</span>
                {rowError?.userId === m.userId ? <ErrorText error={rowError.error} /> : null}
              </div>
              {owner ? (
                <>
                  <label className="visually-hidden" htmlFor={`role-${m.userId}`}>
                    Role of {m.email}
                  </label>
                  <select
                    id={`role-${m.userId}`}
                    value={m.role}
                    disabled={change.isPending || (m.role === 'owner' && soleOwner)}
                    onChange={(e) => change.mutate({ userId: m.userId, role: e.target.value as WorkspaceRole })}
                  >
                    {roles.map((r) => (
                      <option key={r.value} value={r.value}>
                        {r.value[0]!.toUpperCase() + r.value.slice(1)}
                      </option>
                    ))}
                  </select>
                  {m.role === 'owner' && soleOwner ? (
                    // The server refuses to remove or demote the last owner; say so instead of offering it.
                    <span className="muted small">Sole owner</span>
                  ) : (
                    <button
                      type="button"
                      className="link-button danger-text"
                      onClick={() => {
                        remove.reset();
                        setRemoving(m);
                      }}
                      aria-label={`Remove ${m.email}`}
                    >
                      Remove
                    </button>
                  )}
                </>
              ) : (
                <span className="badge subtle">{m.role}</span>
              )}
            </li>
          ))}
        </ul>
      ) : null}
      {owner ? (
        <form
          className="add-member"
          onSubmit={(e) => {
            e.preventDefault();
            add.submit();
          }}
        >
          <h3>Add a member</h3>
          <p className="muted small">
            They need an account on this Quarry first (an administrator can send an invitation).
          </p>
          <div className="inline-form">
            <Field label="Email">
              {(id) => <input id={id} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
            </Field>
            <Field label="Role">
              {(id) => (
                <select id={id} value={role} onChange={(e) => setRole(e.target.value as WorkspaceRole)}>
                  {roles.map((r) => (
                    <option key={r.value} value={r.value}>
                      {r.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <button type="submit" className="primary" disabled={add.busy}>
              {add.busy ? 'Adding…' : 'Add member'}
            </button>
          </div>
          <ErrorText error={add.error} />
        </form>
      ) : null}
      <ConfirmDialog
        open={removing !== null}
        title="Remove this member?"
        confirmLabel="Remove member"
        danger
        busy={remove.isPending}
        error={remove.error}
        onConfirm={() => removing && remove.mutate(removing.userId)}
        onCancel={() => setRemoving(null)}
      >
        <p>{removing?.email} will lose access to this workspace and its documents.</p>
      </ConfirmDialog>
    </div>
  );
}

function DangerZone({ ctx }: { ctx: WorkspaceContext }) {
  const queryClient = useQueryClient();
  const [, navigate] = useLocation();
  const [action, setAction] = useState<'delete' | 'leave' | null>(null);
  const [typed, setTyped] = useState('');
  const done = async () => {
    setAction(null);
    await queryClient.invalidateQueries({ queryKey: ['me'] });
    queryClient.removeQueries({ queryKey: ['workspace', ctx.ws] });
    navigate('/', { replace: true });
  };
  const del = useMutation({ mutationFn: () => api.deleteWorkspace(ctx.ws), onSuccess: done });
  const leave = useMutation({ mutationFn: () => api.removeMember(ctx.ws, ctx.me.user.id), onSuccess: done });
  const owner = ctx.role === 'owner';
  return (
    <div className="card danger-zone">
      <h2>{owner ? 'Leave or delete' : 'Leave'}</h2>
      <div className="row-between">
        <p className="muted small">Leaving removes your access. The last owner cannot leave.</p>
        <button type="button" onClick={() => setAction('leave')}>
          Leave workspace
        </button>
      </div>
      {owner ? (
        <div className="row-between">
          <p className="muted small">Deleting removes every document, passage and stored file in this workspace.</p>
          <button
            type="button"
            className="danger"
            onClick={() => {
              setTyped('');
              setAction('delete');
            }}
          >
            Delete workspace
          </button>
        </div>
      ) : null}
      <ConfirmDialog
        open={action === 'leave'}
        title="Leave this workspace?"
        confirmLabel="Leave"
        danger
        busy={leave.isPending}
        error={leave.error}
        onConfirm={() => leave.mutate()}
        onCancel={() => setAction(null)}
      >
        <p>You will no longer see {ctx.name}.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={action === 'delete'}
        title="Delete this workspace?"
        confirmLabel="Delete workspace"
        danger
        busy={del.isPending}
        disabled={typed !== ctx.name}
        error={del.error}
        onConfirm={() => del.mutate()}
        onCancel={() => setAction(null)}
      >
        <p>
          This deletes <strong>{ctx.name}</strong> with all of its documents. It cannot be undone.
        </p>
        <Field label="Type the workspace name to confirm">
          {(id) => <input id={id} value={typed} onChange={(e) => setTyped(e.target.value)} />}
        </Field>
      </ConfirmDialog>
    </div>
  );
}
