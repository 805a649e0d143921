/** Administration: users (role, ban), invitations, and the audit log (filters, paging, export). */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSearchParams } from 'wouter';
import { api } from '../api/client.js';
import type { AdminUser, Me } from '../api/contract.js';
import { ErrorText, Field, PageTitle, Spinner, formatDate } from '../components/common.js';

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
        {tab === 'users' ? <Users me={me} /> : tab === 'invitations' ? <Invitations /> : <Audit />}
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

function Invitations() {
  const queryClient = useQueryClient();
  const invitations = useQuery({ queryKey: ['admin', 'invitations'], queryFn: api.adminInvitations });
  const [email, setEmail] = useState('');
  const [link, setLink] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['admin', 'invitations'] });
  const create = useMutation({
    mutationFn: () => api.adminCreateInvitation(email.trim() ? { email: email.trim() } : {}),
    onSuccess: async (inv) => {
      setEmail('');
      setLink(inv.url);
      await refresh();
    },
  });
  return (
    <div className="card">
      <h2>Invite someone</h2>
      <p className="muted small">
        An invitation link works once and expires. Hand it over yourself; Quarry sends no e-mail.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate();
        }}
      >
        <div className="inline-form">
          <Field label="Email (optional)">
            {(id) => <input id={id} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create invitation'}
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
                  {inv.usedAt ? `Used ${formatDate(inv.usedAt)}` : `Expires ${formatDate(inv.expiresAt)}`}
                </div>
              </div>
              <span
                className={`status ${inv.usedAt ? 'status-ready' : new Date(inv.expiresAt) < new Date() ? 'status-failed' : 'status-queued'}`}
              >
                {inv.usedAt ? 'Used' : new Date(inv.expiresAt) < new Date() ? 'Expired' : 'Open'}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

interface AuditFilters {
  action: string;
  actorId: string;
  since: string;
  until: string;
}

const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

function Audit() {
  const empty: AuditFilters = { action: '', actorId: '', since: '', until: '' };
  const [draft, setDraft] = useState<AuditFilters>(empty);
  const [filters, setFilters] = useState<AuditFilters>(empty);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const query = {
    action: filters.action || undefined,
    actorId: filters.actorId || undefined,
    since: toIso(filters.since),
    until: toIso(filters.until),
  };
  const events = useQuery({
    queryKey: ['admin', 'audit', query, cursor],
    queryFn: () => api.adminAudit({ ...query, cursor }),
    placeholderData: keepPreviousData,
  });
  const set = (k: keyof AuditFilters) => (e: { target: { value: string } }) =>
    setDraft((d) => ({ ...d, [k]: e.target.value }));
  return (
    <div className="card">
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
          setCursors([undefined]);
        }}
      >
        <Field label="Action">
          {(id) => <input id={id} value={draft.action} placeholder="e.g. sign_in" onChange={set('action')} />}
        </Field>
        <Field label="Actor id">{(id) => <input id={id} value={draft.actorId} onChange={set('actorId')} />}</Field>
        <Field label="Since">
          {(id) => <input id={id} type="datetime-local" value={draft.since} onChange={set('since')} />}
        </Field>
        <Field label="Until">
          {(id) => <input id={id} type="datetime-local" value={draft.until} onChange={set('until')} />}
        </Field>
        <div className="filter-actions">
          <button type="submit" className="primary">
            Apply
          </button>
          <a className="button" href={api.adminAuditExportUrl(query)} download>
            Export JSON Lines
          </a>
        </div>
      </form>
      {events.isPending ? <Spinner label="Loading events…" /> : null}
      <ErrorText error={events.error} />
      {events.data ? (
        <>
          <div className="table-wrap" role="region" aria-label="Audit events" tabIndex={0}>
            <table className="audit">
              <caption className="visually-hidden">Audit events</caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">IP</th>
                </tr>
              </thead>
              <tbody>
                {events.data.items.map((ev) => (
                  <tr key={ev.id}>
                    <td className="small nowrap">{formatDate(ev.at)}</td>
                    <td className="small">{ev.actorEmail ?? ev.actorId ?? '—'}</td>
                    <td className="mono small" data-testid="audit-action">
                      {ev.action}
                    </td>
                    <td className="small">{ev.targetType ? `${ev.targetType} ${ev.targetId ?? ''}` : '—'}</td>
                    <td>
                      <span className={`status ${ev.outcome === 'success' ? 'status-ready' : 'status-failed'}`}>
                        {ev.outcome}
                      </span>
                    </td>
                    <td className="small mono">{ev.ip ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {!events.data.items.length ? <p className="muted small">No events match.</p> : null}
          <div className="pager">
            <button type="button" disabled={cursors.length < 2} onClick={() => setCursors((c) => c.slice(0, -1))}>
              Newer
            </button>
            <span className="muted small">Page {cursors.length}</span>
            <button
              type="button"
              disabled={!events.data.nextCursor}
              onClick={() => setCursors((c) => [...c, events.data.nextCursor ?? undefined])}
            >
              Older
            </button>
          </div>
        </>
      ) : null}
    </div>
  );
}
