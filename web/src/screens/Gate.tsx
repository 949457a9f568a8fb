import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api, type CabRequest, unwrap } from '../api/client';
import { Link, navigate, useLocation } from '../router';
import { hasRole, useSession } from '../session';
import { DateTime, StatusBadge } from '../ui/format';
import { ErrorMessage, Loading, Section } from '../ui/states';
import { Refusal, useRequest, useRequestAction } from './Detail';

export function Gate({ id }: { id: string }) {
  const request = useRequest(id);
  const { search } = useLocation();
  return (
    <main id="main">
      <p className="crumbs">
        <Link to="/">CAB queue</Link> /{' '}
        <Link to={`/requests/${encodeURIComponent(id)}`}>Request</Link>
      </p>
      {request.isPending ? (
        <Loading what="the request" />
      ) : request.isError ? (
        <>
          <h1>Gate</h1>
          <ErrorMessage error={request.error} what="the request" retry={() => request.refetch()} />
        </>
      ) : (
        <GateView r={request.data} ring={search.get('ring') ?? request.data.rings[0] ?? ''} />
      )}
    </main>
  );
}

function GateView({ r, ring }: { r: CabRequest; ring: string }) {
  const ringId = useId();
  const base = `/requests/${encodeURIComponent(r.id)}/gate`;
  return (
    <>
      <h1>
        Gate: {r.app_name} {r.app_version}
      </h1>
      <p>
        Status <StatusBadge status={r.status} />. A pipeline asks this before every ring (
        <code>cabinet gate {r.id} --ring NAME</code>).
      </p>
      {r.rings.length === 0 ? (
        <p>The rollout plan names no rings.</p>
      ) : (
        <>
          <label htmlFor={ringId}>Ring</label>{' '}
          <select
            id={ringId}
            value={ring}
            onChange={(e) =>
              navigate(`${base}?ring=${encodeURIComponent(e.target.value)}`, { replace: true })
            }
          >
            {r.rings.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <GateAnswer id={r.id} ring={ring} revision={r.revision} />
        </>
      )}
      <Section title="Conditions" id="gate-conditions">
        {r.approval_conditions.length === 0 ? (
          <p>The approval carries no conditions.</p>
        ) : (
          <ul className="conditions">
            {r.approval_conditions.map((c) => (
              <li key={c.id}>
                <code>{c.id}</code> {c.text}{' '}
                <span className="muted">
                  {c.blocks_rollout
                    ? `blocks ${c.before_ring ? `ring ${c.before_ring} and later` : 'every ring'}`
                    : 'not blocking'}
                </span>
                {c.verified ? (
                  <p>
                    Verified <DateTime iso={c.verified_at} />
                    {c.verification_notes ? ` — ${c.verification_notes}` : ''}
                  </p>
                ) : (
                  <VerifyForm r={r} conditionId={c.id} />
                )}
              </li>
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

function GateAnswer({ id, ring, revision }: { id: string; ring: string; revision: number }) {
  const gate = useQuery({
    // The revision re-asks the gate after a verification changed the request.
    queryKey: ['gate', id, ring, revision],
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/cab/{id}/gate', { params: { path: { id }, query: { ring } } })),
  });
  if (gate.isPending) return <Loading what="the gate" />;
  if (gate.isError)
    return <ErrorMessage error={gate.error} what="the gate" retry={() => gate.refetch()} />;
  const g = gate.data;
  return (
    <div className={`gate ${g.allowed ? 'allowed' : 'refused'}`} role="status">
      <p>
        <strong>
          Ring {g.ring}: {g.allowed ? 'may start' : 'may not start'}
        </strong>{' '}
        (checked <DateTime iso={g.checked_at} />)
      </p>
      {g.reasons.length ? (
        <ul>
          {g.reasons.map((reason) => (
            <li key={`${reason.code}:${reason.message}`}>
              <code>{reason.code}</code> {reason.message}
            </li>
          ))}
        </ul>
      ) : null}
      <button type="button" className="secondary" onClick={() => gate.refetch()}>
        Check again
      </button>
    </div>
  );
}

function VerifyForm({ r, conditionId }: { r: CabRequest; conditionId: string }) {
  const { session } = useSession();
  const [notes, setNotes] = useState('');
  const notesId = useId();
  const verify = useRequestAction(r.id, async (value: string) =>
    unwrap(
      await api.POST('/api/v1/cab/{id}/conditions/{condition_id}/verify', {
        params: { path: { id: r.id, condition_id: conditionId } },
        body: { notes: value },
      }),
    ),
  );
  if (!hasRole(session, 'cab_member')) return <p>Verifying needs the cab_member role.</p>;
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        if (notes.trim()) verify.mutate(notes.trim());
      }}
    >
      <label htmlFor={notesId}>How {conditionId} was verified</label>
      <input
        id={notesId}
        type="text"
        required
        value={notes}
        onChange={(e) => setNotes(e.target.value)}
      />{' '}
      <button type="submit" disabled={verify.isPending}>
        Verify {conditionId}
      </button>
      {verify.isError ? <Refusal error={verify.error} /> : null}
    </form>
  );
}
