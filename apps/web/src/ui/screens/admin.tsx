/** Administration: users (add, role, ban, reset link, delete), invitations, the audit log (filters, paging, export), and the system. */
import { useSearchParams } from 'wouter';
import type { Me } from '../api/contract.js';
import { PageTitle } from '../components/common.js';
import { Audit } from '../admin/audit.js';
import { Invitations } from '../admin/invitations.js';
import { System } from '../admin/system.js';
import { Users } from '../admin/users.js';

type Tab = 'users' | 'invitations' | 'audit' | 'system';
const tabs: { id: Tab; label: string }[] = [
  { id: 'users', label: 'Users' },
  { id: 'invitations', label: 'Invitations' },
  { id: 'audit', label: 'Audit log' },
  { id: 'system', label: 'System' },
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
        {tab === 'users' ? <Users me={me} /> : tab === 'invitations' ? <Invitations me={me} /> : tab === 'audit' ? <Audit /> : <System />}
      </div>
    </section>
  );
}
