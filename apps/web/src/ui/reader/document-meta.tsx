/** A document's facts (file, status, size, pages, passages, index progress), folded under its title. */
import type { QuarryDocument } from '../api/contract.js';
import { formatBytes, formatDate } from '../components/common.js';

export function DocumentMeta({ d }: { d: QuarryDocument }) {
  const facts: Array<[string, React.ReactNode]> = [
    ['File', d.filename],
    [
      'Status',
      <>
        <span className={`status status-${d.status}`}>{d.status}</span>
        {d.status === 'failed' && d.error ? <span className="error small"> {d.error}</span> : null}
      </>,
    ],
    ['Size', formatBytes(d.sizeBytes)],
  ];
  if (d.pageCount) facts.push(['Pages', d.pageCount]);
  if (d.passageCount) facts.push(['Passages', d.passageCount]);
  if (d.vectors && d.vectors.total > 0)
    facts.push([
      'Semantic index',
      d.vectors.ready === d.vectors.total
        ? 'complete'
        : `${d.vectors.ready} of ${d.vectors.total} passages (keyword search already works)`,
    ]);
  if (d.createdAt) facts.push(['Added', formatDate(d.createdAt)]);
  return (
    <dl className="meta card">
      {facts.map(([label, value]) => (
        <div key={label}>
          <dt>{label}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
