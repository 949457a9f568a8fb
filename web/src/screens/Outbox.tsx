import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, type components, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { Link, navigate, useLocation } from '../router';
import { hasRole, useSession } from '../session';
import { DateTime, humanize, ShortId } from '../ui/format';
import { Pager, useCursorPages } from '../ui/paging';
import { ErrorMessage, Loading, Section } from '../ui/states';
import { Refusal } from './Detail';

type OutboxQuery = NonNullable<paths['/api/v1/outbox']['get']['parameters']['query']>;
type OutboxStatus = NonNullable<OutboxQuery['status']>;
type OutboxMessage = components['schemas']['OutboxMessage'];
type OutboxMessageDetail = components['schemas']['OutboxMessageDetail'];

const STATUSES: { value: '' | OutboxStatus; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'pending', label: 'Pending' },
  { value: 'dead', label: 'Dead' },
  { value: 'delivered', label: 'Delivered' },
];
const DEFAULT_LIMIT = 50;

type OutboxChannel = NonNullable<OutboxQuery['channel']>;
const CHANNELS: readonly OutboxChannel[] = ['email', 'webhook'];

interface Filters {
  status: '' | OutboxStatus;
  channel: '' | OutboxChannel;
  limit: number;
}

function readFilters(search: URLSearchParams): Filters {
  const status = search.get('status') ?? '';
  const limit = Number(search.get('limit'));
  return {
    status: STATUSES.find((s) => s.value === status)?.value ?? '',
    channel: CHANNELS.find((c) => c === search.get('channel')) ?? '',
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 200 ? limit : DEFAULT_LIMIT,
  };
}

function writeFilters(filters: Filters): string {
  const search = new URLSearchParams();
  if (filters.status) search.set('status', filters.status);
  if (filters.channel) search.set('channel', filters.channel);
  if (filters.limit !== DEFAULT_LIMIT) search.set('limit', String(filters.limit));
  const text = search.toString();
  return text ? `/outbox?${text}` : '/outbox';
}

const messageKey = (id: string) => ['outbox-message', id] as const;

export function Outbox() {
  const { search } = useLocation();
  const filters = readFilters(search);
  const [selected, setSelected] = useState<string | null>(null);
  return (
    <main id="main">
      <h1>Outbox</h1>
      <nav aria-label="Message status" className="tabs">
        {STATUSES.map((s) => (
          <Link
            key={s.value}
            to={writeFilters({ ...filters, status: s.value })}
            className={filters.status === s.value ? 'current' : ''}
          >
            {s.label}
          </Link>
        ))}
      </nav>
      <ChannelFilter filters={filters} />
      <div className="columns">
        <div className="column">
          <MessageTable filters={filters} onSelect={setSelected} />
        </div>
        <div className="column">
          {selected ? (
            <MessageDetail key={selected} id={selected} />
          ) : (
            <Section title="Attempt log" id="attempts">
              <p>Choose a message to see every delivery attempt.</p>
            </Section>
          )}
        </div>
      </div>
    </main>
  );
}

function ChannelFilter({ filters }: { filters: Filters }) {
  const id = useId();
  return (
    <form className="filters" aria-label="Channel filter" onSubmit={(e) => e.preventDefault()}>
      <label htmlFor={id}>Channel</label>
      <select
        id={id}
        value={filters.channel}
        onChange={(e) =>
          navigate(
            writeFilters({
              ...filters,
              channel: CHANNELS.find((c) => c === e.target.value) ?? '',
            }),
          )
        }
      >
        <option value="">Any channel</option>
        {CHANNELS.map((c) => (
          <option key={c} value={c}>
            {humanize(c)}
          </option>
        ))}
      </select>
    </form>
  );
}

function MessageTable({ filters, onSelect }: { filters: Filters; onSelect: (id: string) => void }) {
  const pages = useCursorPages(['outbox', filters], async (cursor) =>
    unwrap(
      await api.GET('/api/v1/outbox', {
        params: {
          query: {
            limit: filters.limit,
            ...(filters.status ? { status: filters.status } : {}),
            ...(filters.channel ? { channel: filters.channel } : {}),
            ...(cursor ? { cursor } : {}),
          },
        },
      }),
    ),
  );
  const page = pages.query;
  if (page.isPending) return <Loading what="the outbox" />;
  if (page.isError) {
    return <ErrorMessage error={page.error} what="the outbox" retry={() => page.refetch()} />;
  }
  return (
    <>
      <table className="outbox" aria-busy={page.isFetching}>
        <caption className="visually-hidden">
          Outbox messages{filters.status ? ` (${filters.status})` : ''}, page {pages.pageNumber}
        </caption>
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Event</th>
            <th scope="col">Channel</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          {page.data.messages.length === 0 ? (
            <tr>
              <td colSpan={6}>
                No messages{filters.status ? ` with status ${filters.status}` : ''}.
              </td>
            </tr>
          ) : (
            page.data.messages.map((m) => <MessageRow key={m.id} m={m} onSelect={onSelect} />)
          )}
        </tbody>
      </table>
      <Pager pages={pages} />
    </>
  );
}

function OutboxStatusBadge({ status }: { status: string }) {
  const tone = status === 'dead' ? 'denied' : status === 'delivered' ? 'approved' : 'pending';
  return <span className={`badge status-${tone}`}>{humanize(status)}</span>;
}

function MessageRow({ m, onSelect }: { m: OutboxMessage; onSelect: (id: string) => void }) {
  return (
    <tr>
      <td>
        <DateTime iso={m.created_at} />
      </td>
      <td>
        <button type="button" className="link" onClick={() => onSelect(m.id)}>
          {m.event_type}
          <span className="visually-hidden"> message {m.id}: show attempts</span>
        </button>
      </td>
      <td>
        {m.channel}
        {m.channel === 'email' && m.recipients.length ? (
          <span className="muted"> to {m.recipients.map((r) => r.email).join(', ')}</span>
        ) : null}
      </td>
      <td>
        <OutboxStatusBadge status={m.status} />
      </td>
      <td>{m.attempts}</td>
      <td>{m.last_error ? <span className="prose">{m.last_error}</span> : '—'}</td>
    </tr>
  );
}

function MessageDetail({ id }: { id: string }) {
  const { session } = useSession();
  const queryClient = useQueryClient();
  const message = useQuery({
    queryKey: messageKey(id),
    queryFn: async () => unwrap(await api.GET('/api/v1/outbox/{id}', { params: { path: { id } } })),
  });
  const retry = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST('/api/v1/outbox/{id}/retry', { params: { path: { id } } })),
    onSuccess: (detail: OutboxMessageDetail) => {
      // The server answers with the message as it stands: no second call for it.
      queryClient.setQueryData(messageKey(id), detail);
      void queryClient.invalidateQueries({ queryKey: ['outbox'] });
    },
  });
  const canRetry = hasRole(session, 'admin');
  return (
    <Section title="Attempt log" id="attempts">
      {message.isPending ? (
        <Loading what="the message" />
      ) : message.isError ? (
        <ErrorMessage error={message.error} what="the message" retry={() => message.refetch()} />
      ) : (
        <>
          <dl className="facts">
            <dt>Message</dt>
            <dd>
              <ShortId id={message.data.id} /> <code>{message.data.event_type}</code>
            </dd>
            <dt>Status</dt>
            <dd>
              <OutboxStatusBadge status={message.data.status} />
              {message.data.status === 'pending' ? (
                <>
                  {' '}
                  next attempt <DateTime iso={message.data.next_attempt_at} />
                </>
              ) : null}
              {message.data.delivered_at ? (
                <>
                  {' '}
                  <DateTime iso={message.data.delivered_at} />
                </>
              ) : null}
            </dd>
            <dt>Subject</dt>
            <dd>{message.data.subject_id ? <ShortId id={message.data.subject_id} /> : '—'}</dd>
            <dt>Last error</dt>
            <dd className="prose">{message.data.last_error ?? '—'}</dd>
          </dl>
          {message.data.attempt_log.length === 0 ? (
            <p>No delivery attempt yet.</p>
          ) : (
            <table className="attempts">
              <caption className="visually-hidden">Delivery attempts</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Started</th>
                  <th scope="col">Outcome</th>
                  <th scope="col">HTTP</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {message.data.attempt_log.map((a) => (
                  <tr key={a.id}>
                    <td>{a.attempt}</td>
                    <td>
                      <DateTime iso={a.started_at} />
                    </td>
                    <td>{humanize(a.outcome)}</td>
                    <td>{a.status_code ?? '—'}</td>
                    <td className="prose">{a.error ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {canRetry && message.data.status === 'dead' ? (
            <div className="buttons">
              <button type="button" onClick={() => retry.mutate()} disabled={retry.isPending}>
                {retry.isPending ? 'Retrying…' : 'Retry delivery'}
              </button>
            </div>
          ) : null}
          {retry.isSuccess ? (
            <p role="status">Queued again: it is delivered on the dispatcher's next pass.</p>
          ) : null}
          {retry.isError ? <Refusal error={retry.error} /> : null}
        </>
      )}
    </Section>
  );
}
