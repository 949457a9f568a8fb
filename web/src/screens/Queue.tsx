import { type FormEvent, useState } from 'react';
import { api, type CabRequestSummary, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';
import { Age, BandBadge, humanize, Person, StatusBadge } from '../ui/format';
import { Pager, useCursorPages } from '../ui/paging';
import { ErrorMessage, Loading } from '../ui/states';

type ListQuery = NonNullable<paths['/api/v1/cab/requests']['get']['parameters']['query']>;
type Sort = NonNullable<ListQuery['sort']>;

const BANDS = ['LOW', 'MODERATE', 'CAUTION', 'HIGH', 'CRITICAL'] as const;
const PLANES = ['intune', 'jamf', 'configmgr', 'landscape', 'custom'] as const;
const CHANGE_TYPES = ['standard', 'normal', 'emergency'] as const;
const STATUSES = [
  'pending',
  'auto_approved',
  'approved',
  'approved_with_conditions',
  'denied',
  'superseded',
] as const;
const SORTS: { value: Sort; label: string }[] = [
  { value: '-submitted_at', label: 'Newest first' },
  { value: 'submitted_at', label: 'Oldest first' },
  { value: '-risk_score', label: 'Highest risk first' },
  { value: 'risk_score', label: 'Lowest risk first' },
];
const DEFAULT_LIMIT = 25;

interface Filters {
  view: 'pending' | 'all';
  band: string;
  plane: string;
  change_type: string;
  status: string;
  /** 'mine': the signed-in user's submissions (the API filters by `submitted_by`). */
  submitter: '' | 'mine';
  intent: string;
  sort: Sort;
  limit: number;
}

function readFilters(search: URLSearchParams): Filters {
  const sort = search.get('sort') as Sort | null;
  const limit = Number(search.get('limit'));
  return {
    view: search.get('view') === 'all' ? 'all' : 'pending',
    band: search.get('band') ?? '',
    plane: search.get('plane') ?? '',
    change_type: search.get('change_type') ?? '',
    status: search.get('status') ?? '',
    submitter: search.get('submitter') === 'mine' ? 'mine' : '',
    intent: (search.get('intent') ?? '').trim().slice(0, 100),
    sort: sort && SORTS.some((s) => s.value === sort) ? sort : '-submitted_at',
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 200 ? limit : DEFAULT_LIMIT,
  };
}

function writeFilters(filters: Filters): string {
  const search = new URLSearchParams();
  if (filters.view === 'all') search.set('view', 'all');
  for (const key of ['band', 'plane', 'change_type', 'status', 'submitter', 'intent'] as const) {
    if (filters[key]) search.set(key, filters[key]);
  }
  if (filters.sort !== '-submitted_at') search.set('sort', filters.sort);
  if (filters.limit !== DEFAULT_LIMIT) search.set('limit', String(filters.limit));
  const text = search.toString();
  return text ? `/?${text}` : '/';
}

interface Page {
  requests: CabRequestSummary[];
  next_cursor: string | null;
  counts_by_band?: Record<string, number> | null;
  counts_over_cap?: string[] | null;
}

async function fetchPage(
  filters: Filters,
  userId: string,
  cursor: string | undefined,
): Promise<Page> {
  const query: ListQuery = {
    sort: filters.sort,
    limit: filters.limit,
    ...(cursor ? { cursor } : {}),
    ...(filters.band ? { recommendation: filters.band as ListQuery['recommendation'] } : {}),
    ...(filters.plane ? { plane: filters.plane as ListQuery['plane'] } : {}),
    ...(filters.change_type
      ? { change_type: filters.change_type as ListQuery['change_type'] }
      : {}),
    ...(filters.submitter === 'mine' ? { submitted_by: userId } : {}),
    ...(filters.intent ? { intent_id: filters.intent } : {}),
  };
  if (filters.view === 'pending') {
    return unwrap(await api.GET('/api/v1/cab/pending', { params: { query } }));
  }
  const status = filters.status ? { status: filters.status as ListQuery['status'] } : {};
  return unwrap(
    await api.GET('/api/v1/cab/requests', { params: { query: { ...query, ...status } } }),
  );
}

export function Queue() {
  const { search } = useLocation();
  const { session } = useSession();
  const filters = readFilters(search);
  const userId = session.user.id;
  const pages = useCursorPages(['queue', filters, userId], (cursor) =>
    fetchPage(filters, userId, cursor),
  );
  const page = pages.query;
  const set = (patch: Partial<Filters>) => navigate(writeFilters({ ...filters, ...patch }));
  const toggleSort = (field: 'risk_score' | 'submitted_at') =>
    set({ sort: filters.sort === `-${field}` ? field : (`-${field}` as Sort) });
  const ariaSort = (field: 'risk_score' | 'submitted_at') =>
    filters.sort === field ? 'ascending' : filters.sort === `-${field}` ? 'descending' : undefined;
  const title = filters.view === 'pending' ? 'CAB queue' : 'All CAB requests';

  return (
    <main id="main">
      <h1>{title}</h1>
      <nav aria-label="Queue views" className="tabs">
        <Link
          to={writeFilters({ ...filters, view: 'pending', status: '' })}
          className={filters.view === 'pending' ? 'current' : ''}
        >
          Pending queue
        </Link>
        <Link
          to={writeFilters({ ...filters, view: 'all' })}
          className={filters.view === 'all' ? 'current' : ''}
        >
          All requests
        </Link>
      </nav>
      <QueueFilters key={filters.intent} filters={filters} />
      {page.data?.counts_by_band ? (
        <BandCounts counts={page.data.counts_by_band} over={page.data.counts_over_cap ?? []} />
      ) : null}
      {page.isPending ? (
        <Loading what="the queue" />
      ) : page.isError ? (
        <ErrorMessage error={page.error} what="the queue" retry={() => page.refetch()} />
      ) : (
        <>
          <table className="queue" aria-busy={page.isFetching}>
            <caption className="visually-hidden">
              {title}, page {pages.pageNumber}
            </caption>
            <thead>
              <tr>
                <th scope="col" aria-sort={ariaSort('risk_score')}>
                  <button type="button" className="sort" onClick={() => toggleSort('risk_score')}>
                    Risk
                  </button>
                </th>
                <th scope="col">App</th>
                <th scope="col">Version</th>
                <th scope="col">Plane</th>
                <th scope="col">Change</th>
                <th scope="col">Submitter</th>
                <th scope="col" aria-sort={ariaSort('submitted_at')}>
                  <button type="button" className="sort" onClick={() => toggleSort('submitted_at')}>
                    Age
                  </button>
                </th>
                <th scope="col">Votes</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {page.data.requests.length === 0 ? (
                <tr>
                  <td colSpan={9}>No requests match these filters.</td>
                </tr>
              ) : (
                page.data.requests.map((r) => <Row key={r.id} r={r} />)
              )}
            </tbody>
          </table>
          <Pager pages={pages} />
        </>
      )}
    </main>
  );
}

function Row({ r }: { r: CabRequestSummary }) {
  return (
    <tr>
      <td>
        <BandBadge band={r.recommendation} score={r.risk_score} />
      </td>
      <td>
        <Link to={`/requests/${encodeURIComponent(r.id)}`}>{r.app_name}</Link>
      </td>
      <td>{r.app_version}</td>
      <td>{r.plane}</td>
      <td>{humanize(r.change_type)}</td>
      <td>
        <Person id={r.submitted_by} email={r.submitted_by_email} />
      </td>
      <td>
        <Age iso={r.submitted_at} />
      </td>
      <td>
        {r.votes_so_far.approvals} / {r.votes_so_far.required}
        {r.votes_so_far.denials > 0 ? `, ${r.votes_so_far.denials} denied` : ''}
      </td>
      <td>
        <StatusBadge status={r.status} />
        {r.stale ? (
          <span className="badge stale" title={r.stale_reasons.map((s) => s.message).join('\n')}>
            Stale
          </span>
        ) : null}
      </td>
    </tr>
  );
}

/** A band the server counted only up to its cap shows "1000+". */
function BandCounts({ counts, over }: { counts: Record<string, number>; over: string[] }) {
  const shown = (band: string) => `${counts[band] ?? 0}${over.includes(band) ? '+' : ''}`;
  return (
    <p className="counts">
      Pending by band:{' '}
      {BANDS.map((band) => (
        <span key={band} className={`count band-${band.toLowerCase()}`}>
          {band} {shown(band)}
        </span>
      ))}
    </p>
  );
}

/** Selects apply at once; the intent id on Enter or the button, not per keystroke (keyed by
 * the intent of the URL, so a select keeps its focus while the draft follows the URL). */
function QueueFilters({ filters }: { filters: Filters }) {
  const [intent, setIntent] = useState(filters.intent);
  const set = (patch: Partial<Filters>) => navigate(writeFilters({ ...filters, ...patch }));
  const applyIntent = (event: FormEvent) => {
    event.preventDefault();
    set({ intent: intent.trim() });
  };
  return (
    <form className="filters" aria-label="Filters" onSubmit={applyIntent}>
      <Select
        label="Band"
        value={filters.band}
        options={BANDS}
        onChange={(band) => set({ band })}
      />
      <Select
        label="Plane"
        value={filters.plane}
        options={PLANES}
        onChange={(plane) => set({ plane })}
      />
      <Select
        label="Change type"
        value={filters.change_type}
        options={CHANGE_TYPES}
        onChange={(change_type) => set({ change_type })}
      />
      {filters.view === 'all' ? (
        <Select
          label="Status"
          value={filters.status}
          options={STATUSES}
          onChange={(status) => set({ status })}
        />
      ) : null}
      <Select
        label="Submitted by"
        value={filters.submitter}
        options={['mine']}
        labels={{ '': 'Anyone', mine: 'Me' }}
        onChange={(submitter) => set({ submitter: submitter === 'mine' ? 'mine' : '' })}
      />
      <label>
        Sort
        <select value={filters.sort} onChange={(e) => set({ sort: e.target.value as Sort })}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        Intent id
        <input
          type="text"
          maxLength={100}
          value={intent}
          placeholder="all intents"
          onChange={(e) => setIntent(e.target.value)}
        />
      </label>
      <div className="buttons">
        <button type="submit" className="secondary">
          Show intent
        </button>
        {filters.intent ? (
          <button type="button" className="secondary" onClick={() => set({ intent: '' })}>
            All intents
          </button>
        ) : null}
      </div>
    </form>
  );
}

function Select({
  label,
  value,
  options,
  labels = {},
  onChange,
}: {
  label: string;
  value: string;
  options: readonly string[];
  labels?: Record<string, string>;
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{labels[''] ?? 'Any'}</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {labels[o] ?? humanize(o)}
          </option>
        ))}
      </select>
    </label>
  );
}
