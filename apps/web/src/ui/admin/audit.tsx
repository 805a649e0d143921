/**
 * Administration → Audit log: filter by action (chosen from the actions the
 * log holds, e.g. `user.sign_in`), by the actor's e-mail address and by time;
 * page through, export. Targets show their name beside the id.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client.js';
import { ErrorText, Field, Spinner, formatDate } from '../components/common.js';

interface AuditFilters {
  action: string;
  actorEmail: string;
  since: string;
  until: string;
}

const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

export function Audit() {
  const empty: AuditFilters = { action: '', actorEmail: '', since: '', until: '' };
  const [draft, setDraft] = useState<AuditFilters>(empty);
  const [filters, setFilters] = useState<AuditFilters>(empty);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const actions = useQuery({ queryKey: ['admin', 'audit-actions'], queryFn: api.adminAuditActions });
  const query = {
    action: filters.action || undefined,
    actorEmail: filters.actorEmail.trim() || undefined,
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
          // A new action may have been recorded since the list was loaded.
          void actions.refetch();
        }}
      >
        <Field label="Action">
          {(id) => (
            <select id={id} value={draft.action} onChange={set('action')}>
              <option value="">Any action</option>
              {(actions.data?.items ?? []).map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Actor e-mail">
          {(id) => (
            <input
              id={id}
              type="email"
              value={draft.actorEmail}
              placeholder="name@example.com"
              onChange={set('actorEmail')}
            />
          )}
        </Field>
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
      <ErrorText error={actions.error} />
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
                    <td className="small" data-testid="audit-actor">
                      {ev.actorEmail ?? ev.actorId ?? '—'}
                    </td>
                    <td className="mono small" data-testid="audit-action">
                      {ev.action}
                    </td>
                    <td className="small" data-testid="audit-target">
                      {ev.targetType ? (
                        <>
                          {ev.targetName ? <span>{ev.targetName}</span> : null}
                          <span className="muted mono audit-target-id">
                            {ev.targetType} {ev.targetId ?? ''}
                          </span>
                        </>
                      ) : (
                        '—'
                      )}
                    </td>
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
