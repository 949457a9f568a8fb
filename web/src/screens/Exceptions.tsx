import { useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api, type components, unwrap } from '../api/client';
import { Link, navigate, useLocation } from '../router';
import { hasRole, useSession } from '../session';
import { DateTime, humanize, ShortId } from '../ui/format';
import { Pager, useCursorPages } from '../ui/paging';
import { ErrorMessage, Loading, Section } from '../ui/states';
import { Refusal } from './Detail';

type Exception = components['schemas']['Exception'];

const TYPES = ['vuln_critical', 'vuln_high', 'policy_violation'] as const;
const STATUSES = ['pending', 'approved', 'rejected', 'revoked', 'expired'] as const;
/** A pending or approved exception this close to its expiry is called out in words, not colour alone. */
const SOON_DAYS = 7;
const EXCEPTIONS_KEY = ['exceptions'] as const;

const lines = (text: string) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

interface Filters {
  status: '' | (typeof STATUSES)[number];
  /** 'mine': the signed-in user's requests (the API filters by `requested_by`). */
  requester: '' | 'mine';
  artifact: string;
  /** Live exceptions expiring within this many days; 0 for no bound. */
  expiring: number;
}

const EXPIRING_CHOICES = [7, 30, 90] as const;

function readFilters(search: URLSearchParams): Filters {
  const status = search.get('status') ?? '';
  const expiring = Number(search.get('expiring'));
  const artifact = (search.get('artifact') ?? '').trim().toLowerCase();
  return {
    status: STATUSES.find((s) => s === status) ?? '',
    requester: search.get('requester') === 'mine' ? 'mine' : '',
    artifact: /^[0-9a-f]{64}$/.test(artifact) ? artifact : '',
    expiring: Number.isInteger(expiring) && expiring >= 1 && expiring <= 3_650 ? expiring : 0,
  };
}

function writeFilters(filters: Filters): string {
  const search = new URLSearchParams();
  if (filters.status) search.set('status', filters.status);
  if (filters.requester) search.set('requester', filters.requester);
  if (filters.artifact) search.set('artifact', filters.artifact);
  if (filters.expiring) search.set('expiring', String(filters.expiring));
  const text = search.toString();
  return text ? `/exceptions?${text}` : '/exceptions';
}

export function Exceptions() {
  const { session } = useSession();
  const { search } = useLocation();
  const filters = readFilters(search);
  const userId = session.user.id;
  const pages = useCursorPages([...EXCEPTIONS_KEY, filters, userId], async (cursor) =>
    unwrap(
      await api.GET('/api/v1/exceptions', {
        params: {
          query: {
            limit: 50,
            ...(cursor ? { cursor } : {}),
            ...(filters.status ? { status: filters.status } : {}),
            ...(filters.requester === 'mine' ? { requested_by: userId } : {}),
            ...(filters.artifact ? { artifact_sha256: filters.artifact } : {}),
            ...(filters.expiring ? { expiring_within_days: filters.expiring } : {}),
          },
        },
      }),
    ),
  );
  const list = pages.query;
  const reviewer = hasRole(session, 'security_reviewer');
  return (
    <main id="main">
      <h1>Exceptions</h1>
      {hasRole(session, 'submitter') ? <RequestForm /> : null}
      <Section title="Exception list" id="exception-list">
        <ExceptionFilters key={filters.artifact} filters={filters} />
        {list.isPending ? (
          <Loading what="exceptions" />
        ) : list.isError ? (
          <ErrorMessage error={list.error} what="exceptions" retry={() => list.refetch()} />
        ) : list.data.exceptions.length === 0 ? (
          <p>No exceptions match these filters.</p>
        ) : (
          <>
            <ul className="exceptions" aria-busy={list.isFetching}>
              {list.data.exceptions.map((x) => (
                <ExceptionItem key={x.id} x={x} reviewer={reviewer} />
              ))}
            </ul>
            <Pager pages={pages} />
          </>
        )}
      </Section>
    </main>
  );
}

/** Selects apply at once; the artifact digest on Enter or the button (not per keystroke). */
function ExceptionFilters({ filters }: { filters: Filters }) {
  const [artifact, setArtifact] = useState(filters.artifact);
  const set = (patch: Partial<Filters>) => navigate(writeFilters({ ...filters, ...patch }));
  const apply = (event: FormEvent) => {
    event.preventDefault();
    set({ artifact: artifact.trim().toLowerCase() });
  };
  return (
    <form className="filters" aria-label="Exception filters" onSubmit={apply}>
      <label>
        Status
        <select
          value={filters.status}
          onChange={(e) => set({ status: STATUSES.find((s) => s === e.target.value) ?? '' })}
        >
          <option value="">Any status</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Requested by
        <select
          value={filters.requester}
          onChange={(e) => set({ requester: e.target.value === 'mine' ? 'mine' : '' })}
        >
          <option value="">Anyone</option>
          <option value="mine">Me</option>
        </select>
      </label>
      <label>
        Expiring
        <select
          value={filters.expiring}
          onChange={(e) => set({ expiring: Number(e.target.value) })}
        >
          <option value={0}>Any time</option>
          {EXPIRING_CHOICES.map((days) => (
            <option key={days} value={days}>
              Within {days} days
            </option>
          ))}
        </select>
      </label>
      <label>
        Artifact digest (SHA-256)
        <input
          type="text"
          className="digest"
          value={artifact}
          pattern="[0-9a-fA-F]{64}"
          title="64 hexadecimal digits"
          placeholder="any artifact"
          onChange={(e) => setArtifact(e.target.value)}
        />
      </label>
      <div className="buttons">
        <button type="submit" className="secondary">
          Show artifact
        </button>
        {filters.artifact ? (
          <button type="button" className="secondary" onClick={() => set({ artifact: '' })}>
            Any artifact
          </button>
        ) : null}
      </div>
    </form>
  );
}

function Expiry({ x }: { x: Exception }) {
  const live = x.status === 'pending' || x.status === 'approved';
  const soon = live && x.days_until_expiry <= SOON_DAYS;
  return (
    <span className={soon ? 'expiry-soon' : undefined}>
      <DateTime iso={x.expires_at} /> ({x.days_until_expiry}{' '}
      {x.days_until_expiry === 1 ? 'day' : 'days'} left)
      {soon ? <strong> Expires soon</strong> : null}
    </span>
  );
}

function ExceptionItem({ x, reviewer }: { x: Exception; reviewer: boolean }) {
  const titleId = useId();
  return (
    <li className="card" aria-labelledby={titleId}>
      <h3 id={titleId}>
        {humanize(x.exception_type)} · <span className="badge">{humanize(x.status)}</span>
      </h3>
      <dl className="facts">
        <dt>Id</dt>
        <dd>
          <ShortId id={x.id} />
        </dd>
        <dt>Artifact</dt>
        <dd>
          <ShortId id={x.scope.artifact_sha256} />{' '}
          <Link to={`/exceptions?artifact=${x.scope.artifact_sha256}`}>
            exceptions of this artifact
          </Link>
        </dd>
        <dt>Findings</dt>
        <dd>{x.scope.finding_ids.length ? x.scope.finding_ids.join(', ') : '—'}</dd>
        <dt>Rules</dt>
        <dd>{x.scope.rule_ids.length ? x.scope.rule_ids.join(', ') : '—'}</dd>
        <dt>Requested by</dt>
        <dd>
          {x.requested_by} on <DateTime iso={x.requested_at} />
        </dd>
        <dt>Expires</dt>
        <dd>
          <Expiry x={x} />
        </dd>
        <dt>Description</dt>
        <dd>{x.description}</dd>
        <dt>Compensating controls</dt>
        <dd>{x.compensating_controls}</dd>
        {x.compensating_control_verification ? (
          <>
            <dt>Verification</dt>
            <dd>{x.compensating_control_verification}</dd>
          </>
        ) : null}
        {x.decided_by ? (
          <>
            <dt>Decided by</dt>
            <dd>
              {x.decided_by} on <DateTime iso={x.decided_at} />
              {x.decided_reason ? `: ${x.decided_reason}` : ''}
            </dd>
          </>
        ) : null}
      </dl>
      {reviewer && x.status === 'pending' ? (
        <>
          <ActionForm x={x} action="approve" />
          <ActionForm x={x} action="reject" />
        </>
      ) : null}
      {reviewer && x.status === 'approved' ? <ActionForm x={x} action="revoke" /> : null}
    </li>
  );
}

const ACTIONS = {
  approve: { label: 'Approve', field: 'Verification steps (required)', busy: 'Approving…' },
  reject: { label: 'Reject', field: 'Reason (required)', busy: 'Rejecting…' },
  revoke: { label: 'Revoke', field: 'Reason (required)', busy: 'Revoking…' },
} as const;

function ActionForm({ x, action }: { x: Exception; action: keyof typeof ACTIONS }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const fieldId = useId();
  const meta = ACTIONS[action];
  const run = useMutation({
    mutationFn: async (value: string) => {
      const params = { path: { id: x.id } };
      if (action === 'approve') {
        return unwrap(
          await api.POST('/api/v1/exceptions/{id}/approve', {
            params,
            body: { verification_steps: value },
          }),
        );
      }
      if (action === 'reject') {
        return unwrap(
          await api.POST('/api/v1/exceptions/{id}/reject', { params, body: { reason: value } }),
        );
      }
      return unwrap(
        await api.POST('/api/v1/exceptions/{id}/revoke', { params, body: { reason: value } }),
      );
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: EXCEPTIONS_KEY }),
  });
  return (
    <form
      className="vote"
      aria-label={`${meta.label} exception ${x.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) run.mutate(text.trim());
      }}
    >
      <label htmlFor={fieldId}>
        {meta.label}: {meta.field}
      </label>
      <textarea
        id={fieldId}
        required
        rows={2}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <div className="buttons">
        <button
          type="submit"
          className={action === 'approve' ? undefined : 'danger'}
          disabled={run.isPending}
        >
          {run.isPending ? meta.busy : meta.label}
        </button>
      </div>
      {run.isError ? <Refusal error={run.error} /> : null}
    </form>
  );
}

function RequestForm() {
  const queryClient = useQueryClient();
  const [type, setType] = useState<(typeof TYPES)[number]>('vuln_critical');
  const [sha, setSha] = useState('');
  const [findings, setFindings] = useState('');
  const [rules, setRules] = useState('');
  const [description, setDescription] = useState('');
  const [controls, setControls] = useState('');
  const [expires, setExpires] = useState('');
  const ids = {
    type: useId(),
    sha: useId(),
    f: useId(),
    r: useId(),
    d: useId(),
    c: useId(),
    e: useId(),
  };
  const request = useMutation({
    mutationFn: async () => {
      const finding_ids = lines(findings);
      const rule_ids = lines(rules);
      return unwrap(
        await api.POST('/api/v1/exceptions', {
          body: {
            exception_type: type,
            scope: {
              artifact_sha256: sha.trim(),
              ...(finding_ids.length ? { finding_ids } : {}),
              ...(rule_ids.length ? { rule_ids } : {}),
            },
            description,
            compensating_controls: controls,
            // The date-time input is local time; the API takes an instant.
            expires_at: new Date(expires).toISOString(),
          },
        }),
      );
    },
    onSuccess: () => {
      setFindings('');
      setRules('');
      setDescription('');
      setControls('');
      void queryClient.invalidateQueries({ queryKey: EXCEPTIONS_KEY });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    request.mutate();
  };
  return (
    <Section title="Request an exception" id="request-exception">
      <form onSubmit={submit} className="vote">
        <label htmlFor={ids.type}>Exception type</label>
        <select
          id={ids.type}
          value={type}
          onChange={(e) => setType(e.target.value as (typeof TYPES)[number])}
        >
          {TYPES.map((t) => (
            <option key={t} value={t}>
              {humanize(t)}
            </option>
          ))}
        </select>
        <label htmlFor={ids.sha}>Artifact SHA-256</label>
        <input
          id={ids.sha}
          type="text"
          required
          value={sha}
          onChange={(e) => setSha(e.target.value)}
        />
        <label htmlFor={ids.f}>Finding ids (one a line)</label>
        <textarea
          id={ids.f}
          rows={2}
          value={findings}
          onChange={(e) => setFindings(e.target.value)}
        />
        <label htmlFor={ids.r}>Rule ids (one a line)</label>
        <textarea id={ids.r} rows={2} value={rules} onChange={(e) => setRules(e.target.value)} />
        <label htmlFor={ids.d}>Description</label>
        <textarea
          id={ids.d}
          required
          rows={2}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
        />
        <label htmlFor={ids.c}>Compensating controls</label>
        <textarea
          id={ids.c}
          required
          rows={2}
          value={controls}
          onChange={(e) => setControls(e.target.value)}
        />
        <label htmlFor={ids.e}>Expires at</label>
        <input
          id={ids.e}
          type="datetime-local"
          required
          value={expires}
          onChange={(e) => setExpires(e.target.value)}
        />
        <div className="buttons">
          <button type="submit" disabled={request.isPending}>
            {request.isPending ? 'Requesting…' : 'Request exception'}
          </button>
        </div>
        {request.isSuccess ? (
          <p role="status">
            Requested exception <ShortId id={request.data.id} />.
          </p>
        ) : null}
        {request.isError ? <Refusal error={request.error} /> : null}
      </form>
    </Section>
  );
}
