import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, type components, unwrap } from '../api/client';
import { Link } from '../router';
import { useSession } from '../session';
import { BandBadge, DateTime, humanize, ShortId, StatusBadge } from '../ui/format';
import { Pager, useCursorPages } from '../ui/paging';
import { ErrorMessage, Loading } from '../ui/states';
import { Refusal } from './Detail';

type Intent = components['schemas']['Intent'];

const packsKey = (intentId: string) => ['intent-packs', intentId] as const;

/** The signed-in submitter's intents: the API filters by `created_by`, one page at a time. */
export function Mine() {
  const { session } = useSession();
  const pages = useCursorPages(['my-intents', session.user.id], async (cursor) =>
    unwrap(
      await api.GET('/api/v1/intents', {
        params: {
          query: { created_by: session.user.id, limit: 25, ...(cursor ? { cursor } : {}) },
        },
      }),
    ),
  );
  const list = pages.query;
  return (
    <main id="main">
      <h1>My intents</h1>
      {list.isPending ? (
        <Loading what="your intents" />
      ) : list.isError ? (
        <ErrorMessage error={list.error} what="your intents" retry={() => list.refetch()} />
      ) : list.data.intents.length === 0 ? (
        <p>You have not declared any deployment intents.</p>
      ) : (
        <>
          <ul className="intents">
            {list.data.intents.map((intent) => (
              <IntentItem key={intent.id} intent={intent} />
            ))}
          </ul>
          <Pager pages={pages} />
        </>
      )}
    </main>
  );
}

function IntentItem({ intent }: { intent: Intent }) {
  const queryClient = useQueryClient();
  const titleId = useId();
  const justificationId = useId();
  const [justification, setJustification] = useState('');
  const packs = useQuery({
    queryKey: packsKey(intent.id),
    queryFn: async () =>
      unwrap(
        await api.GET('/api/v1/intents/{id}/evidence-packs', {
          params: { path: { id: intent.id } },
        }),
      ).evidence_packs,
  });
  const generate = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST('/api/v1/intents/{id}/evidence-packs', {
          params: { path: { id: intent.id } },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: packsKey(intent.id) }),
  });
  const submit = useMutation({
    mutationFn: async (packId: string) =>
      unwrap(
        await api.POST('/api/v1/cab/submit', {
          body: { evidence_pack_id: packId, justification: justification.trim() },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['my-intents'] }),
  });
  // The latest pack is the one no later version names as its previous (times can be equal).
  const latest = packs.data?.find((p) => !packs.data.some((q) => q.previous_pack_id === p.id));
  return (
    <li className="card" aria-labelledby={titleId}>
      <h2 id={titleId}>
        {intent.app_name} {intent.app_version} ·{' '}
        <span className="badge">{humanize(intent.status)}</span>
      </h2>
      <dl className="facts">
        <dt>Id</dt>
        <dd>
          <ShortId id={intent.id} />
        </dd>
        <dt>Plane</dt>
        <dd>{intent.plane}</dd>
        <dt>Updated</dt>
        <dd>
          <DateTime iso={intent.updated_at} />
        </dd>
        <dt>CAB requests</dt>
        <dd>
          <Link to={`/?view=all&intent=${encodeURIComponent(intent.id)}`}>
            Requests of {intent.app_name} {intent.app_version}
          </Link>
        </dd>
      </dl>
      <h3>Evidence packs</h3>
      {packs.isPending ? (
        <Loading what="evidence packs" />
      ) : packs.isError ? (
        <ErrorMessage error={packs.error} what="evidence packs" retry={() => packs.refetch()} />
      ) : packs.data.length === 0 ? (
        <p>No evidence pack yet.</p>
      ) : (
        <ul className="packs">
          {packs.data.map((p) => (
            <li key={p.id}>
              Version {p.version} · <BandBadge band={p.recommendation} score={p.risk_score} /> ·{' '}
              {p.policy_approved ? 'policy passed' : 'policy not passed'} · made{' '}
              <DateTime iso={p.created_at} />
            </li>
          ))}
        </ul>
      )}
      <div className="buttons">
        <button
          type="button"
          className="secondary"
          disabled={generate.isPending}
          onClick={() => generate.mutate()}
        >
          {generate.isPending ? 'Generating…' : 'Generate pack'}
        </button>
      </div>
      {generate.isError ? <Refusal error={generate.error} /> : null}
      {latest ? (
        <form
          className="vote"
          aria-label={`Submit ${intent.app_name} ${intent.app_version} to CAB`}
          onSubmit={(e) => {
            e.preventDefault();
            if (justification.trim()) submit.mutate(latest.id);
          }}
        >
          <label htmlFor={justificationId}>Justification (required)</label>
          <textarea
            id={justificationId}
            required
            rows={2}
            value={justification}
            onChange={(e) => setJustification(e.target.value)}
          />
          <div className="buttons">
            <button type="submit" disabled={submit.isPending}>
              {submit.isPending ? 'Submitting…' : `Submit pack ${latest.version} to CAB`}
            </button>
          </div>
          {submit.isError ? <Refusal error={submit.error} /> : null}
          {submit.isSuccess ? (
            <p role="status">
              Submitted: <StatusBadge status={submit.data.status} />{' '}
              <Link to={`/requests/${submit.data.id}`}>Open the CAB request</Link>
            </p>
          ) : null}
        </form>
      ) : null}
    </li>
  );
}
