/**
 * Administration → Invitations: the sign-up mode, a form for a link bound to
 * one e-mail address (or, said explicitly, anyone with it) and optionally to
 * a workspace and role, and the list with revocation.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client.js';
import type { Invitation, Me, WorkspaceRole } from '../api/contract.js';
import { useSubmit } from '../api/submit.js';
import { ConfirmDialog, ErrorText, Field, Spinner, formatDate } from '../components/common.js';
import { authStatusQuery } from '../api/queries.js';

const signupModes = {
  open: 'Open: anyone can create an account.',
  invite: 'By invitation: new accounts need a link from an administrator.',
  closed: 'Closed: invitation links do not work; accounts are made on the server (quarry admin create).',
} as const;

const statusClass: Record<Invitation['status'], string> = {
  open: 'status-queued',
  used: 'status-ready',
  expired: 'status-failed',
  revoked: 'status-failed',
};
const statusLabel: Record<Invitation['status'], string> = {
  open: 'Open',
  used: 'Used',
  expired: 'Expired',
  revoked: 'Revoked',
};

export function Invitations({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const status = useQuery(authStatusQuery);
  const invitations = useQuery({ queryKey: ['admin', 'invitations'], queryFn: api.adminInvitations });
  const [anyone, setAnyone] = useState(false);
  const [email, setEmail] = useState('');
  const [workspaceId, setWorkspaceId] = useState('');
  const [role, setRole] = useState<WorkspaceRole>('viewer');
  const [link, setLink] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['admin', 'invitations'] });
  // The server lets an admin bind invitations only to workspaces they own.
  const owned = me.workspaces.filter((w) => w.role === 'owner');
  const create = useSubmit(
    (_: void, key) =>
      api.adminCreateInvitation(
        { ...(anyone ? { anyone: true } : { email: email.trim() }), ...(workspaceId ? { workspaceId, role } : {}) },
        key,
      ),
    {
      onSuccess: async (inv) => {
        setEmail('');
        setLink(inv.url);
        await refresh();
      },
    },
  );
  const revoke = useMutation({
    mutationFn: (id: string) => api.adminRevokeInvitation(id),
    onSuccess: async () => {
      setRevoking(null);
      await refresh();
    },
  });
  const mode = status.data?.signupMode;
  return (
    <div className="card">
      <p className="small" data-testid="signup-mode">
        <strong>Sign-up mode</strong> (<code>SIGNUP_MODE</code>): {mode ? signupModes[mode] : '…'}
      </p>
      <h2>Invite someone</h2>
      <p className="muted small">
        An invitation link works once and expires in three days. Hand it over yourself; Quarry sends no e-mail.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.submit();
        }}
      >
        <fieldset className="choice">
          <legend>Who can use the link</legend>
          <label>
            <input type="radio" name="audience" checked={!anyone} onChange={() => setAnyone(false)} /> Only this e-mail
            address
          </label>
          <label>
            <input type="radio" name="audience" checked={anyone} onChange={() => setAnyone(true)} /> Anyone with the
            link
          </label>
        </fieldset>
        <div className="inline-form">
          {!anyone ? (
            <Field label="Email">
              {(id) => <input id={id} type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />}
            </Field>
          ) : null}
          <Field label="Add to workspace">
            {(id) => (
              <select id={id} value={workspaceId} onChange={(e) => setWorkspaceId(e.target.value)}>
                <option value="">None (their personal workspace only)</option>
                {owned.map((w) => (
                  <option key={w.id} value={w.id}>
                    {w.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {workspaceId ? (
            <Field label="Role in the workspace">
              {(id) => (
                <select id={id} value={role} onChange={(e) => setRole(e.target.value as WorkspaceRole)}>
                  <option value="viewer">Viewer</option>
                  <option value="editor">Editor</option>
                  <option value="owner">Owner</option>
                </select>
              )}
            </Field>
          ) : null}
          <button type="submit" className="primary" disabled={create.busy}>
            {create.busy ? 'Creating…' : 'Create invitation'}
          </button>
        </div>
        <ErrorText error={create.error} />
      </form>
      {link ? (
        <div className="notice" role="status">
          <p>
            <strong>Invitation link</strong> (shown once):
          </p>
          <div className="inline-form">
            <label htmlFor="invite-link" className="visually-hidden">
              Invitation link
            </label>
            <input id="invite-link" readOnly value={link} className="mono" onFocus={(e) => e.target.select()} />
            <button type="button" onClick={() => void navigator.clipboard?.writeText(link)}>
              Copy
            </button>
          </div>
        </div>
      ) : null}
      <h2>Invitations</h2>
      {invitations.isPending ? <Spinner label="Loading invitations…" /> : null}
      <ErrorText error={invitations.error} />
      {invitations.data && !invitations.data.items.length ? <p className="muted small">No invitations yet.</p> : null}
      {invitations.data?.items.length ? (
        <ul className="plain-list" aria-label="Invitations">
          {invitations.data.items.map((inv) => (
            <li key={inv.id} className="row-between">
              <div>
                <div>{inv.email ?? 'Anyone with the link'}</div>
                <div className="muted small">
                  {inv.workspaceName && inv.role ? `Joins ${inv.workspaceName} as ${inv.role} · ` : ''}
                  {inv.status === 'used'
                    ? `Used ${formatDate(inv.usedAt)}`
                    : inv.status === 'revoked'
                      ? `Revoked ${formatDate(inv.revokedAt)}`
                      : `Expires ${formatDate(inv.expiresAt)}`}
                </div>
              </div>
              <div className="invitation-actions">
                <span className={`status ${statusClass[inv.status]}`}>{statusLabel[inv.status]}</span>
                {inv.status === 'open' ? (
                  <button
                    type="button"
                    className="link-button danger-text"
                    aria-label={`Revoke the invitation for ${inv.email ?? 'anyone with the link'}`}
                    onClick={() => {
                      revoke.reset();
                      setRevoking(inv);
                    }}
                  >
                    Revoke
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this invitation?"
        confirmLabel="Revoke invitation"
        danger
        busy={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        onCancel={() => setRevoking(null)}
      >
        <p>The link stops working at once. {revoking?.email ? `${revoking.email} will need a new one.` : ''}</p>
      </ConfirmDialog>
    </div>
  );
}
