/** Administration: users (role, ban), invitations, and the audit log (filters, paging, export). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'wouter';
import { api } from '../api/client.js';
import type { AdminUser, Me } from '../api/contract.js';
import { ErrorText, PageTitle, Spinner, formatDate } from '../components/common.js';
import { Audit } from '../admin/audit.js';
import { Invitations } from '../admin/invitations.js';

type Tab = 'users' | 'invitations' | 'audit';
const tabs: { id: Tab; label: string }[] = [
  { id: 'users', label: 'Users' },
  { id: 'invitations', label: 'Invitations' },
  { id: 'audit', label: 'Audit log' },
];

export function AdminScreen({ me }: { me: Me }) {
  const [params, setParams] = useSearchParams();
  const tab = (tabs.find((t) => t.id === params.get('tab'))?.id ?? 'users') as Tab;
  return (
    <section>
      <PageTitle>Administration</PageTitle>
      <div role="tablist" aria-label="Administration" className="tabs">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setParams({ tab: t.id })}
            onKeyDown={(e) => {
              const i = tabs.findIndex((x) => x.id === tab);
              const next =
                e.key === 'ArrowRight'
                  ? tabs[(i + 1) % tabs.length]
                  : e.key === 'ArrowLeft'
                    ? tabs[(i + tabs.length - 1) % tabs.length]
                    : undefined;
              if (next) {
                setParams({ tab: next.id });
                requestAnimationFrame(() => document.getElementById(`tab-${next.id}`)?.focus());
              }
            }}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'users' ? <Users me={me} /> : tab === 'invitations' ? <Invitations me={me} /> : <Audit />}
      </div>
    </section>
  );
}

function Users({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const users = useQuery({ queryKey: ['admin', 'users'], queryFn: () => api.adminUsers() });
  const [rowError, setRowError] = useState<{ id: string; error: unknown } | null>(null);
  const update = useMutation({
    mutationFn: (v: { id: string; role?: string; banned?: boolean }) =>
      api.adminUpdateUser(v.id, { role: v.role, banned: v.banned }),
    onMutate: () => setRowError(null),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['admin', 'users'] }),
    onError: (error, v) => setRowError({ id: v.id, error }),
  });
  if (users.isPending) return <Spinner label="Loading users…" />;
  if (users.isError) return <ErrorText error={users.error} />;
  return (
    <div className="card table-wrap" role="region" aria-label="Users" tabIndex={0}>
      <table className="stack-on-small">
        <caption className="visually-hidden">Users</caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col">Role</th>
            <th scope="col">Status</th>
            <th scope="col">Joined</th>
          </tr>
        </thead>
        <tbody>
          {users.data.items.map((u: AdminUser) => {
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
                  {u.banned ? (
                    <span className="status status-failed">Banned</span>
                  ) : (
                    <span className="status status-ready">Active</span>
                  )}{' '}
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
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
