/**
 * Administration → Users: every account with its role and ban; an account made
 * for someone (they choose their password through a set-up link: no password
 * an administrator knows); a reset link for someone who forgot theirs; and
 * deleting an account, deciding first what happens to the workspaces it alone
 * owns. Quarry sends no e-mail, so links are shown here once, to hand over.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client.js';
import type { AdminUser, Me } from '../api/contract.js';
import { useSubmit } from '../api/submit.js';
import { ConfirmDialog, ErrorText, Field, Spinner, formatDate } from '../components/common.js';

const usersKey = ['admin', 'users'] as const;

/** A link to hand over, shown once, with who it is for and when it stops working. */
function OneTimeLink({ label, link, onDone }: { label: string; link: { url: string; expiresAt: string; email: string }; onDone(): void }) {
  return (
    <div className="notice" role="status">
      <p>
        <strong>{label}</strong> for {link.email} (shown once; it works until {formatDate(link.expiresAt)}). Quarry
        sends no e-mail: hand it over yourself.
      </p>
      <div className="inline-form">
        <label htmlFor="account-link" className="visually-hidden">
          {label}
        </label>
        <input id="account-link" readOnly value={link.url} className="mono" onFocus={(e) => e.target.select()} />
        <button type="button" onClick={() => void navigator.clipboard?.writeText(link.url)}>
          Copy
        </button>
        <button type="button" className="link-button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function NewAccount({ onLink }: { onLink(link: { url: string; expiresAt: string; email: string }): void }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const create = useSubmit((_: void, key) => api.adminCreateUser({ email: email.trim(), ...(name.trim() ? { name: name.trim() } : {}), role }, key), {
    onSuccess: async (created) => {
      onLink({ ...created.setup, email: created.user.email });
      setEmail('');
      setName('');
      setRole('member');
      await queryClient.invalidateQueries({ queryKey: usersKey });
    },
  });
  return (
    <form
      className="card"
      aria-labelledby="new-account-heading"
      onSubmit={(e) => {
        e.preventDefault();
        create.submit();
      }}
    >
      <h2 id="new-account-heading">Add an account</h2>
      <p className="muted small">
        The account has no password until its owner chooses one with the set-up link you are shown next.
      </p>
      <div className="inline-form">
        <Field label="Email">
          {(id) => <input id={id} type="email" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <Field label="Name (optional)">
          {(id) => <input id={id} maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Role">
          {(id) => (
            <select id={id} value={role} onChange={(e) => setRole(e.target.value as 'member' | 'admin')}>
              <option value="member">Member</option>
              <option value="admin">Admin</option>
            </select>
          )}
        </Field>
        <button type="submit" className="primary" disabled={create.busy}>
          {create.busy ? 'Adding…' : 'Add account'}
        </button>
      </div>
      <ErrorText error={create.error} />
    </form>
  );
}

/**
 * Deleting an account: the server refuses one that alone owns a workspace until
 * the admin says what happens to those (deleted with it, or given to someone),
 * so the dialog asks first and shows what each choice touches.
 */
function DeleteAccount({ user, others, onClose }: { user: AdminUser; others: AdminUser[]; onClose(): void }) {
  const queryClient = useQueryClient();
  const owned = useQuery({ queryKey: ['admin', 'owned', user.id], queryFn: () => api.adminOwnedWorkspaces(user.id) });
  const [choice, setChoice] = useState<'delete' | 'transfer'>('transfer');
  const [transferTo, setTransferTo] = useState('');
  const workspaces = owned.data?.items ?? [];
  const remove = useMutation({
    mutationFn: () =>
      api.adminDeleteUser(
        user.id,
        workspaces.length === 0 ? undefined : choice === 'delete' ? { ownedWorkspaces: 'delete' } : { ownedWorkspaces: 'transfer', transferTo },
      ),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: usersKey });
      onClose();
    },
  });
  const needsTarget = workspaces.length > 0 && choice === 'transfer' && !transferTo;
  return (
    <ConfirmDialog
      open
      title={`Delete ${user.email}?`}
      confirmLabel="Delete account"
      danger
      busy={remove.isPending}
      disabled={owned.isPending || owned.isError || needsTarget}
      error={remove.error ?? owned.error}
      onConfirm={() => remove.mutate()}
      onCancel={onClose}
    >
      <p>Their sessions and API keys stop working at once. This cannot be undone.</p>
      {owned.isPending ? <Spinner label="Checking their workspaces…" /> : null}
      {workspaces.length > 0 ? (
        <>
          <p>They are the only owner of:</p>
          <ul>
            {workspaces.map((w) => (
              <li key={w.id}>
                {w.name} — {w.documents} document{w.documents === 1 ? '' : 's'}
                {w.otherMembers ? `, ${w.otherMembers} other member${w.otherMembers === 1 ? '' : 's'}` : ''}
              </li>
            ))}
          </ul>
          <fieldset className="choice">
            <legend>What happens to {workspaces.length === 1 ? 'it' : 'them'}</legend>
            <label>
              <input type="radio" name="owned" checked={choice === 'transfer'} onChange={() => setChoice('transfer')} /> Give{' '}
              {workspaces.length === 1 ? 'it' : 'them'} to another account
            </label>
            <label>
              <input type="radio" name="owned" checked={choice === 'delete'} onChange={() => setChoice('delete')} /> Delete{' '}
              {workspaces.length === 1 ? 'it' : 'them'}, with every document
            </label>
          </fieldset>
          {choice === 'transfer' ? (
            <Field label="New owner">
              {(id) => (
                <select id={id} value={transferTo} onChange={(e) => setTransferTo(e.target.value)}>
                  <option value="">Choose an account…</option>
                  {others.map((o) => (
                    <option key={o.id} value={o.id}>
                      {o.name} ({o.email})
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : null}
        </>
      ) : null}
    </ConfirmDialog>
  );
}

export function Users({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: usersKey, queryFn: () => api.adminUsers() });
  const [rowError, setRowError] = useState<{ id: string; error: unknown } | null>(null);
  const [link, setLink] = useState<{ label: string; url: string; expiresAt: string; email: string } | null>(null);
  const [deleting, setDeleting] = useState<AdminUser | null>(null);
  const update = useMutation({
    mutationFn: (v: { id: string; role?: string; banned?: boolean }) => api.adminUpdateUser(v.id, { role: v.role, banned: v.banned }),
    onMutate: () => setRowError(null),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: usersKey }),
    onError: (error, v) => setRowError({ id: v.id, error }),
  });
  const resetLink = useMutation({
    mutationFn: (u: AdminUser) => api.adminResetLink(u.id),
    onMutate: () => setRowError(null),
    onSuccess: (made, u) => setLink({ label: 'Password reset link', ...made, email: u.email }),
    onError: (error, u) => setRowError({ id: u.id, error }),
  });
  if (users.isPending) return <Spinner label="Loading users…" />;
  if (users.isError) return <ErrorText error={users.error} />;
  const items = users.data.items;
  return (
    <>
      <NewAccount onLink={(made) => setLink({ label: 'Set-up link', ...made })} />
      {link ? <OneTimeLink label={link.label} link={link} onDone={() => setLink(null)} /> : null}
      <div className="card table-wrap" role="region" aria-label="Users" tabIndex={0}>
        <table className="stack-on-small">
          <caption className="visually-hidden">Users</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Joined</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((u) => {
              const self = u.id === me.user.id;
              return (
                <tr key={u.id}>
                  <td>
                    <div>{u.name}</div>
                    <div className="muted small">{u.email}</div>
                    {rowError?.id === u.id ? <ErrorText error={rowError.error} /> : null}
                  </td>
                  <td>
                    <label className="visually-hidden" htmlFor={`user-role-${u.id}`}>
                      Role of {u.email}
                    </label>
                    <select
                      id={`user-role-${u.id}`}
                      value={u.role ?? 'member'}
                      disabled={self || update.isPending}
                      onChange={(e) => update.mutate({ id: u.id, role: e.target.value })}
                    >
                      <option value="member">Member</option>
                      <option value="admin">Admin</option>
                    </select>
                  </td>
                  <td>
                    {u.banned ? <span className="status status-failed">Banned</span> : <span className="status status-ready">Active</span>}{' '}
                    {!self ? (
                      <button
                        type="button"
                        className="link-button"
                        disabled={update.isPending}
                        onClick={() => update.mutate({ id: u.id, banned: !u.banned })}
                        aria-label={`${u.banned ? 'Unban' : 'Ban'} ${u.email}`}
                      >
                        {u.banned ? 'Unban' : 'Ban'}
                      </button>
                    ) : null}
                  </td>
                  <td className="small">{formatDate(u.createdAt)}</td>
                  <td className="user-actions">
                    {/* Your own password is changed under Account, your own account is not deleted from here. */}
                    {!self ? (
                      <>
                        <button
                          type="button"
                          className="link-button"
                          disabled={resetLink.isPending}
                          onClick={() => resetLink.mutate(u)}
                          aria-label={`Make a password reset link for ${u.email}`}
                        >
                          Reset link
                        </button>
                        <button type="button" className="link-button danger-text" onClick={() => setDeleting(u)} aria-label={`Delete ${u.email}`}>
                          Delete
                        </button>
                      </>
                    ) : null}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {deleting ? <DeleteAccount user={deleting} others={items.filter((o) => o.id !== deleting.id && !o.banned)} onClose={() => setDeleting(null)} /> : null}
    </>
  );
}
