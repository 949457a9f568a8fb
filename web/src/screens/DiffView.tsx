import { humanize } from '../ui/format';

interface Change<T> {
  from: T;
  to: T;
}

/** The parts of the server's PackDiff (src/packs/pack-diff-types.ts) this screen shows. */
export interface PackDiff {
  from: { version: string; as_of: string };
  to: { version: string; as_of: string };
  components: {
    added: { key: string; name: string; version: string | null }[];
    removed: { key: string; name: string; version: string | null }[];
    changed: {
      key: string;
      name: string;
      from_version: string | null;
      to_version: string | null;
    }[];
    unchanged_count: number;
    licenses: { added: string[]; removed: string[] };
  };
  findings: { new: { id: string; severity: string }[]; fixed: { id: string; severity: string }[] };
  policy: {
    violations_added: { rule_id: string; message: string }[];
    violations_resolved: { rule_id: string; message: string }[];
  };
  risk: {
    score: Change<number> & { delta: number };
    recommendation: Change<string>;
    changed_factors: string[];
    factors: Record<string, { from: { weighted: number }; to: { weighted: number } }>;
  };
  exceptions: { added: string[]; removed: string[] };
  tests: { summary: Change<string> };
  artifact: { changed: boolean };
  documents_changed: { kind: string; from: string | null; to: string | null }[];
}

const LIMIT = 10;

function List<T>({ items, render }: { items: T[]; render: (item: T) => string }) {
  if (items.length === 0) return null;
  return (
    <ul>
      {items.slice(0, LIMIT).map((item) => (
        <li key={render(item)}>{render(item)}</li>
      ))}
      {items.length > LIMIT ? <li>… and {items.length - LIMIT} more</li> : null}
    </ul>
  );
}

export function DiffView({ diff }: { diff: PackDiff }) {
  const { risk, components, findings, policy } = diff;
  const sign = risk.score.delta > 0 ? '+' : '';
  return (
    <div className="diff">
      <p>
        Version {diff.from.version} → {diff.to.version}. Risk score {risk.score.from} →{' '}
        {risk.score.to} ({sign}
        {risk.score.delta})
        {risk.recommendation.from !== risk.recommendation.to
          ? `, band ${risk.recommendation.from} → ${risk.recommendation.to}`
          : `, band ${risk.recommendation.to}`}
        {diff.artifact.changed ? '. The artifact changed.' : '. Same artifact.'}
      </p>
      <dl className="facts">
        <dt>Risk factors changed</dt>
        <dd>
          {risk.changed_factors.length
            ? risk.changed_factors
                .map((f) => {
                  const factor = risk.factors[f];
                  return factor
                    ? `${humanize(f)} ${factor.from.weighted} → ${factor.to.weighted}`
                    : humanize(f);
                })
                .join('; ')
            : 'none'}
        </dd>
        <dt>Components</dt>
        <dd>
          {components.added.length} added, {components.removed.length} removed,{' '}
          {components.changed.length} changed, {components.unchanged_count} unchanged
          <List items={components.added} render={(c) => `+ ${c.name} ${c.version ?? ''}`} />
          <List items={components.removed} render={(c) => `− ${c.name} ${c.version ?? ''}`} />
          <List
            items={components.changed}
            render={(c) => `${c.name} ${c.from_version ?? '?'} → ${c.to_version ?? '?'}`}
          />
        </dd>
        <dt>Findings</dt>
        <dd>
          {findings.new.length} new, {findings.fixed.length} fixed
          <List items={findings.new} render={(f) => `new ${f.id} (${f.severity})`} />
          <List items={findings.fixed} render={(f) => `fixed ${f.id} (${f.severity})`} />
        </dd>
        <dt>Policy</dt>
        <dd>
          {policy.violations_added.length} violation(s) added, {policy.violations_resolved.length}{' '}
          resolved
          <List items={policy.violations_added} render={(v) => `+ ${v.rule_id}: ${v.message}`} />
          <List items={policy.violations_resolved} render={(v) => `− ${v.rule_id}: ${v.message}`} />
        </dd>
        <dt>Exceptions</dt>
        <dd>
          {diff.exceptions.added.length} added, {diff.exceptions.removed.length} removed
        </dd>
        <dt>Tests</dt>
        <dd>
          {diff.tests.summary.from} → {diff.tests.summary.to}
        </dd>
        <dt>Documents changed</dt>
        <dd>
          {diff.documents_changed.length
            ? diff.documents_changed
                .map(
                  (d) =>
                    `${d.kind}${d.from === null ? ' (new)' : d.to === null ? ' (removed)' : ''}`,
                )
                .join(', ')
            : 'none'}
        </dd>
      </dl>
    </div>
  );
}
