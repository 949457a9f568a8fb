import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, type components, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { navigate, useLocation } from '../router';
import { DateTime, humanize, ShortId } from '../ui/format';
import { Pager, useCursorPages } from '../ui/paging';
import { ErrorMessage, Loading } from '../ui/states';

type EventsQuery = NonNullable<paths['/api/v1/audit/events']['get']['parameters']['query']>;
type AuditEvent = components['schemas']['AuditEvent'];
type VerifyResult = components['schemas']['AuditVerifyResult'];

const DEFAULT_LIMIT = 50;

interface Filters {
  type: string;
  actor: string;
  subject: string;
  correlation: string;
  /** Bounds on created_at, as ISO instants (the inputs show them in local time). */
  from: string;
  to: string;
  order: 'asc' | 'desc';
  limit: number;
}

/** An ISO instant from the URL, or '' when it is not one. */
function instant(value: string | null): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** The value of a datetime-local input (local wall time, minutes) for an ISO instant. */
function localInput(iso: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function readFilters(search: URLSearchParams): Filters {
  const limit = Number(search.get('limit'));
  return {
    type: search.get('type') ?? '',
    actor: search.get('actor') ?? '',
    subject: search.get('subject') ?? '',
    correlation: search.get('correlation') ?? '',
    from: instant(search.get('from')),
    to: instant(search.get('to')),
    order: search.get('order') === 'asc' ? 'asc' : 'desc',
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 200 ? limit : DEFAULT_LIMIT,
  };
}

function writeFilters(filters: Filters): string {
  const search = new URLSearchParams();
  for (const key of ['type', 'actor', 'subject', 'correlation', 'from', 'to'] as const) {
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
    ...(filters.correlation ? { correlation_id: filters.correlation } : {}),
    ...(filters.from ? { from: filters.from } : {}),
    ...(filters.to ? { to: filters.to } : {}),
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
      <EventTable filters={filters} />
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
        correlation: draft.correlation.trim(),
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
        Correlation id
        <input
          type="text"
          value={draft.correlation}
          placeholder="from a response header"
          onChange={(e) => setDraft({ ...draft, correlation: e.target.value })}
        />
      </label>
      <label>
        From
        <input
          type="datetime-local"
          value={localInput(draft.from)}
          onChange={(e) => setDraft({ ...draft, from: instant(e.target.value) })}
        />
      </label>
      <label>
        To
        <input
          type="datetime-local"
          value={localInput(draft.to)}
          onChange={(e) => setDraft({ ...draft, to: instant(e.target.value) })}
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
  const pages = useCursorPages(['audit-events', filters], (cursor) => fetchEvents(filters, cursor));
  const page = pages.query;
  if (page.isPending) return <Loading what="the audit events" />;
  if (page.isError) {
    return <ErrorMessage error={page.error} what="the audit events" retry={() => page.refetch()} />;
  }
  return (
    <>
      <table className="audit" aria-busy={page.isFetching}>
        <caption className="visually-hidden">Audit events, page {pages.pageNumber}</caption>
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
      <Pager pages={pages} />
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
