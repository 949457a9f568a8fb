import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, type components, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { navigate, useLocation } from '../router';
import { DateTime, humanize, ShortId } from '../ui/format';
import { ErrorMessage, Loading } from '../ui/states';

type EventsQuery = NonNullable<paths['/api/v1/audit/events']['get']['parameters']['query']>;
type AuditEvent = components['schemas']['AuditEvent'];
type VerifyResult = components['schemas']['AuditVerifyResult'];

const DEFAULT_LIMIT = 50;

interface Filters {
  type: string;
  actor: string;
  subject: string;
  order: 'asc' | 'desc';
  limit: number;
}

function readFilters(search: URLSearchParams): Filters {
  const limit = Number(search.get('limit'));
  return {
    type: search.get('type') ?? '',
    actor: search.get('actor') ?? '',
    subject: search.get('subject') ?? '',
    order: search.get('order') === 'asc' ? 'asc' : 'desc',
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 200 ? limit : DEFAULT_LIMIT,
  };
}

function writeFilters(filters: Filters): string {
  const search = new URLSearchParams();
  for (const key of ['type', 'actor', 'subject'] as const) {
    if (filters[key]) search.set(key, filters[key]);
  }
  if (filters.order !== 'desc') search.set('order', filters.order);
  if (filters.limit !== DEFAULT_LIMIT) search.set('limit', String(filters.limit));
  const text = search.toString();
  return text ? `/audit?${text}` : '/audit';
}

async function fetchEvents(filters: Filters, cursor: string | undefined) {
  const query: EventsQuery = {
    order: filters.order,
    limit: filters.limit,
    ...(cursor ? { cursor } : {}),
    ...(filters.type ? { type: filters.type } : {}),
    ...(filters.actor ? { actor: filters.actor } : {}),
    ...(filters.subject ? { subject: filters.subject } : {}),
  };
  return unwrap(await api.GET('/api/v1/audit/events', { params: { query } }));
}

export function Audit() {
  const { search } = useLocation();
  const filters = readFilters(search);
  const key = writeFilters(filters);
  return (
    <main id="main">
      <h1>Audit log</h1>
      <VerifyChain />
      <FilterForm key={`form ${key}`} filters={filters} />
      {/* Paging state belongs to one filter set: a new filter starts again at page 1. */}
      <EventTable key={`table ${key}`} filters={filters} />
    </main>
  );
}

function FilterForm({ filters }: { filters: Filters }) {
  const [draft, setDraft] = useState(filters);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    navigate(
      writeFilters({
        ...draft,
        type: draft.type.trim(),
        actor: draft.actor.trim(),
        subject: draft.subject.trim(),
      }),
    );
  };
  return (
    <form className="filters" aria-label="Filters" onSubmit={apply}>
      <label>
        Event type
        <input
          type="text"
          value={draft.type}
          placeholder="e.g. cab.request.approved"
          onChange={(e) => setDraft({ ...draft, type: e.target.value })}
        />
      </label>
      <label>
        Actor
        <input
          type="text"
          value={draft.actor}
          placeholder="user id or system"
          onChange={(e) => setDraft({ ...draft, actor: e.target.value })}
        />
      </label>
      <label>
        Subject
        <input
          type="text"
          value={draft.subject}
          placeholder="request, pack or user id"
          onChange={(e) => setDraft({ ...draft, subject: e.target.value })}
        />
      </label>
      <label>
        Order
        <select
          value={draft.order}
          onChange={(e) => setDraft({ ...draft, order: e.target.value === 'asc' ? 'asc' : 'desc' })}
        >
          <option value="desc">Newest first</option>
          <option value="asc">Oldest first</option>
        </select>
      </label>
      <div className="buttons">
        <button type="submit">Apply filters</button>
        <button
          type="button"
          className="secondary"
          onClick={() =>
            navigate(writeFilters({ ...readFilters(new URLSearchParams()), limit: filters.limit }))
          }
        >
          Clear filters
        </button>
      </div>
    </form>
  );
}

function EventTable({ filters }: { filters: Filters }) {
  // The cursors of the pages seen so far: [undefined (page 1), cursor of page 2, …].
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors.at(-1);
  const page = useQuery({
    queryKey: ['audit-events', filters, cursor ?? null],
    queryFn: () => fetchEvents(filters, cursor),
    placeholderData: keepPreviousData,
  });
  if (page.isPending) return <Loading what="the audit events" />;
  if (page.isError) {
    return <ErrorMessage error={page.error} what="the audit events" retry={() => page.refetch()} />;
  }
  return (
    <>
      <table className="audit" aria-busy={page.isFetching}>
        <caption className="visually-hidden">Audit events, page {cursors.length}</caption>
        <thead>
          <tr>
            <th scope="col">Seq</th>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Actor</th>
            <th scope="col">Subject</th>
            <th scope="col">Data</th>
          </tr>
        </thead>
        <tbody>
          {page.data.events.length === 0 ? (
            <tr>
              <td colSpan={6}>No events match these filters.</td>
            </tr>
          ) : (
            page.data.events.map((e) => <EventRow key={e.id} e={e} />)
          )}
        </tbody>
      </table>
      <nav aria-label="Pages" className="pager">
        <button
          type="button"
          disabled={cursors.length === 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
        >
          Previous page
        </button>
        <span>Page {cursors.length}</span>
        <button
          type="button"
          disabled={!page.data.next_cursor || page.isPlaceholderData}
          onClick={() => {
            const next = page.data.next_cursor;
            if (next) setCursors((c) => [...c, next]);
          }}
        >
          Next page
        </button>
      </nav>
    </>
  );
}

function EventRow({ e }: { e: AuditEvent }) {
  const keys = Object.keys(e.data);
  return (
    <tr>
      <td>{e.seq}</td>
      <td>
        <DateTime iso={e.created_at} />
      </td>
      <td>
        <code>{e.event_type}</code>
      </td>
      <td>
        <ShortId id={e.actor} />
      </td>
      <td>{e.subject ? <ShortId id={e.subject} /> : '—'}</td>
      <td>
        {keys.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          <details>
            <summary>
              Data of event {e.seq} ({keys.length} field{keys.length === 1 ? '' : 's'})
            </summary>
            <pre className="data">{JSON.stringify(e.data, null, 2)}</pre>
          </details>
        )}
      </td>
    </tr>
  );
}

function VerifyChain() {
  const verify = useMutation({
    mutationFn: async () => unwrap(await api.GET('/api/v1/audit/verify')),
  });
  return (
    <section aria-labelledby="verify" className="card">
      <h2 id="verify">Hash chain</h2>
      <p>Recomputes every event's hash from the first and checks the signed checkpoints.</p>
      <div className="buttons">
        <button type="button" onClick={() => verify.mutate()} disabled={verify.isPending}>
          {verify.isPending ? 'Verifying…' : 'Verify chain'}
        </button>
      </div>
      <div role="status" aria-live="polite">
        {verify.isPending ? <p className="loading">Verifying the chain…</p> : null}
        {verify.data ? <VerifyOutcome result={verify.data} /> : null}
      </div>
      {verify.isError ? <ErrorMessage error={verify.error} what="the verification" /> : null}
    </section>
  );
}

function VerifyOutcome({ result }: { result: VerifyResult }) {
  if (result.ok) {
    return (
      <p className="gate allowed verify-result">
        <strong>Chain verified:</strong> {result.events_checked} event
        {result.events_checked === 1 ? '' : 's'} checked up to seq {result.last_seq},{' '}
        {result.checkpoints_checked} signed checkpoint
        {result.checkpoints_checked === 1 ? '' : 's'} checked. Head hash{' '}
        <ShortId id={result.last_hash} />.
      </p>
    );
  }
  const bad = result.first_bad;
  return (
    <p className="gate refused verify-result">
      <strong>Chain broken</strong>
      {bad ? (
        <>
          {' '}
          at seq {bad.seq} ({humanize(bad.reason)}): {bad.message}
        </>
      ) : null}
      . {result.events_checked} event{result.events_checked === 1 ? '' : 's'} checked.
    </p>
  );
}
