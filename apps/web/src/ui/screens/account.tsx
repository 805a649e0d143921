/** Account: change password, signed-in sessions, API keys (shown once on creation, revocable). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client.js';
import { useSubmit } from '../api/submit.js';
import type { ApiKey, Me } from '../api/contract.js';
import { ConfirmDialog, ErrorText, Field, PageTitle, PasswordField, Spinner, formatDate } from '../components/common.js';

export function AccountScreen({ me }: { me: Me }) {
  return (
    <section className="narrow">
      <PageTitle>Account</PageTitle>
      <p className="muted">
        Signed in as <strong>{me.user.email}</strong>
        {me.user.role === 'admin' ? ' (administrator)' : ''}.
      </p>
      <PasswordForm />
      <Sessions />
      <ApiKeys workspaces={me.workspaces} />
    </section>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [revokeOthers, setRevokeOthers] = useState(true);
  const queryClient = useQueryClient();
  const change = useSubmit(
    () => api.changePassword({ currentPassword: current, newPassword: next, revokeOtherSessions: revokeOthers }),
    {
      onSuccess: () => {
        setCurrent('');
        setNext('');
        void queryClient.invalidateQueries({ queryKey: ['sessions'] });
      },
    },
  );
  return (
    <form
      className="card"
      onSubmit={(e) => {
        e.preventDefault();
        change.submit();
      }}
    >
      <h2>Change password</h2>
      <PasswordField label="Current password" purpose="current" value={current} onChange={setCurrent} />
      <PasswordField label="New password" purpose="new" value={next} onChange={setNext} />
      <label className="checkbox">
        <input type="checkbox" checked={revokeOthers} onChange={(e) => setRevokeOthers(e.target.checked)} /> Sign out my
        other sessions
      </label>
      <ErrorText error={change.error} />
      {change.isSuccess ? (
        <p className="success small" role="status">
          Password changed.
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={change.busy}>
        {change.busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}

function Sessions() {
  const queryClient = useQueryClient();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: api.listSessions });
  const current = useQuery({ queryKey: ['session'], queryFn: api.getSession });
  const revoke = useMutation({
    mutationFn: (token: string) => api.revokeSession(token),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['sessions'] }),
  });
  return (
    <div className="card">
      <h2>Sessions</h2>
      {sessions.isPending ? <Spinner label="Loading sessions…" /> : null}
      <ErrorText error={sessions.error} />
      <ErrorText error={revoke.error} />
      {sessions.data ? (
        <ul className="plain-list" aria-label="Sessions">
          {sessions.data.map((s) => (
            <li key={s.id} className="row-between">
              <div>
                <div className="small">
                  {s.userAgent ? summarizeAgent(s.userAgent) : 'Unknown device'}
                  {current.data?.session.id === s.id ? <span className="badge subtle"> This session</span> : null}
                </div>
                <div className="muted small">
                  {s.ipAddress ? `${s.ipAddress} · ` : ''}signed in {formatDate(s.createdAt)} · expires{' '}
                  {formatDate(s.expiresAt)}
                </div>
              </div>
              {current.data?.session.id !== s.id ? (
                <button
                  type="button"
                  className="link-button danger-text"
                  onClick={() => revoke.mutate(s.token)}
                  disabled={revoke.isPending}
                >
                  Revoke
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

function summarizeAgent(ua: string): string {
  const browser = /(Firefox|Edg|Chrome|Chromium|Safari)\/[\d.]+/.exec(ua)?.[0] ?? ua.slice(0, 60);
  const os = /(Windows|Mac OS X|Linux|Android|iPhone|iPad)/.exec(ua)?.[0];
  return os ? `${browser} on ${os}` : browser;
}

/** A key's reach in words: which workspaces, read or write, until when. */
function scopeText(k: ApiKey) {
  const where = k.workspaceId ? `only ${k.workspaceName ?? 'one workspace'}` : 'all your workspaces';
  const what = k.readOnly ? 'read-only' : 'read and write';
  return `${where} · ${what}`;
}

const EXPIRY_CHOICES = [
  { value: '', label: 'Never' },
  { value: '7', label: 'In 7 days' },
  { value: '30', label: 'In 30 days' },
  { value: '90', label: 'In 90 days' },
  { value: '365', label: 'In a year' },
];

function ApiKeys({ workspaces }: { workspaces: Me['workspaces'] }) {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: ['api-keys'], queryFn: api.listApiKeys });
  const [name, setName] = useState('');
  const [workspaceId, setWorkspaceId] = useState('');
  const [readOnly, setReadOnly] = useState(false);
  const [expiresInDays, setExpiresInDays] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const create = useSubmit(
    (_: void, idempotencyKey) =>
      api.createApiKey(
        {
          name: name.trim(),
          workspaceId: workspaceId || null,
          readOnly,
          expiresAt: expiresInDays ? new Date(Date.now() + Number(expiresInDays) * 86_400_000).toISOString() : null,
        },
        idempotencyKey,
      ),
    {
      onSuccess: async (key) => {
        setName('');
        setWorkspaceId('');
        setReadOnly(false);
        setExpiresInDays('');
        setCreated(key.key);
        await queryClient.invalidateQueries({ queryKey: ['api-keys'] });
      },
    },
  );
  const revoke = useMutation({
    mutationFn: (id: string) => api.revokeApiKey(id),
    onSuccess: async () => {
      setRevoking(null);
      await queryClient.invalidateQueries({ queryKey: ['api-keys'] });
    },
  });
  return (
    <div className="card">
      <h2>API keys</h2>
      <p className="muted small">
        A key acts as you in scripts: send it in the <code>x-api-key</code> header. Limit it to one workspace, to
        reading (read, search and ask), or to a time, and it can do no more than that.
      </p>
      {created ? (
        <div className="notice" role="status">
          <p>
            <strong>Copy your new key now.</strong> It is shown only once.
          </p>
          <div className="inline-form">
            <label htmlFor="new-key" className="visually-hidden">
              New API key
            </label>
            <input id="new-key" readOnly value={created} onFocus={(e) => e.target.select()} className="mono" />
            <button type="button" onClick={() => void navigator.clipboard?.writeText(created)}>
              Copy
            </button>
            <button type="button" className="link-button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}
      {keys.isPending ? <Spinner label="Loading keys…" /> : null}
      <ErrorText error={keys.error} />
      {keys.data?.items.length ? (
        <ul className="plain-list" aria-label="API keys">
          {keys.data.items.map((k) => (
            <li key={k.id} className="row-between">
              <div>
                <div>{k.name || 'Unnamed key'}</div>
                <div className="muted small">{scopeText(k)}</div>
                <div className="muted small">
                  <span className="mono">{k.prefix}…</span> · created {formatDate(k.createdAt)}
                  {k.lastUsedAt ? ` · last used ${formatDate(k.lastUsedAt)}` : ' · never used'}
                  {k.expired ? (
                    <strong className="danger-text"> · expired {formatDate(k.expiresAt!)}</strong>
                  ) : k.expiresAt ? (
                    ` · expires ${formatDate(k.expiresAt)}`
                  ) : (
                    ' · never expires'
                  )}
                </div>
              </div>
              <button
                type="button"
                className="link-button danger-text"
                onClick={() => setRevoking({ id: k.id, name: k.name })}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      ) : keys.data ? (
        <p className="muted small">No keys yet.</p>
      ) : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.submit();
        }}
      >
        <div className="inline-form">
          <Field label="Key name">
            {(id) => (
              <input
                id={id}
                required
                maxLength={64}
                value={name}
                placeholder="e.g. nightly import"
                onChange={(e) => setName(e.target.value)}
              />
            )}
          </Field>
          <Field label="Workspaces">
            {(id) => (
              <select id={id} value={workspaceId} onChange={(e) => setWorkspaceId(e.target.value)}>
                <option value="">All my workspaces</option>
                {workspaces.map((w) => (
                  <option key={w.id} value={w.id}>
                    Only {w.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Expires">
            {(id) => (
              <select id={id} value={expiresInDays} onChange={(e) => setExpiresInDays(e.target.value)}>
                {EXPIRY_CHOICES.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <label className="checkbox">
            <input type="checkbox" checked={readOnly} onChange={(e) => setReadOnly(e.target.checked)} /> Read-only
          </label>
          <button type="submit" disabled={create.busy}>
            {create.busy ? 'Creating…' : 'Create key'}
          </button>
        </div>
        <ErrorText error={create.error} />
      </form>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        confirmLabel="Revoke key"
        danger
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        onCancel={() => setRevoking(null)}
      >
        <p>Scripts using {revoking?.name ? <strong>{revoking.name}</strong> : 'this key'} will stop working at once.</p>
      </ConfirmDialog>
    </div>
  );
}
