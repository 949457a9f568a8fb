import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { api, type CabRequest, type CabRequestSummary, unwrap } from '../api/client';
import { Link } from '../router';
import { hasRole, useSession } from '../session';
import { Age, BandBadge, DateTime, humanize, Person, ShortId, StatusBadge } from '../ui/format';
import { ErrorMessage, Loading, ProblemErrors, ReasonCode, Section } from '../ui/states';
import { DiffView, type PackDiff } from './DiffView';
import { RiskChart, type RiskResult } from './RiskChart';

export const requestKey = (id: string) => ['request', id] as const;

export function useRequest(id: string) {
  return useQuery({
    queryKey: requestKey(id),
    queryFn: async () => unwrap(await api.GET('/api/v1/cab/{id}', { params: { path: { id } } })),
  });
}

/**
 * After an action the server answers with the request as it stands: no second call. (The
 * summary row it answers under `Prefer: return=minimal`, which this screen never sends,
 * would only make the view fetch the request again.)
 */
export function useRequestAction<TBody>(
  id: string,
  run: (body: TBody) => Promise<CabRequest | CabRequestSummary>,
  onDone?: () => void,
) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: run,
    onSuccess: (request) => {
      if ('votes' in request) queryClient.setQueryData(requestKey(id), request);
      else void queryClient.invalidateQueries({ queryKey: requestKey(id) });
      void queryClient.invalidateQueries({ queryKey: ['queue'] });
      onDone?.();
    },
  });
}

export function Detail({ id }: { id: string }) {
  const request = useRequest(id);
  return (
    <main id="main">
      <p className="crumbs">
        <Link to="/">← CAB queue</Link>
      </p>
      {request.isPending ? (
        <Loading what="the request" />
      ) : request.isError ? (
        <>
          <h1>CAB request</h1>
          <ErrorMessage error={request.error} what="the request" retry={() => request.refetch()} />
        </>
      ) : (
        <RequestView r={request.data} />
      )}
    </main>
  );
}

function RequestView({ r }: { r: CabRequest }) {
  const { session } = useSession();
  const risk = r.risk as unknown as RiskResult;
  const canVote = hasRole(session, 'cab_member');
  return (
    <>
      <h1>
        {r.app_name} {r.app_version}
      </h1>
      <p className="status-line">
        <span>
          Status: <StatusBadge status={r.status} />
        </span>
        <span>
          Risk: <BandBadge band={r.recommendation} score={r.risk_score} />
        </span>
        <span>{humanize(r.change_type)} change</span>
        <span>Plane {r.plane}</span>
        <span>
          Votes {r.votes_so_far.approvals} / {r.votes_so_far.required}
          {r.security_reviewer_required ? ' (a security reviewer among them)' : ''}
        </span>
        <Link to={`/requests/${encodeURIComponent(r.id)}/gate`}>Gate per ring</Link>
      </p>
      {r.stale ? (
        <div className="warning" role="note">
          <strong>Stale evidence:</strong> this request cannot be voted on until a new pack version
          supersedes it.
          <ul>
            {r.stale_reasons.map((s) => (
              <li key={`${s.code}:${s.exception_id}`}>
                {s.message} (<DateTime iso={s.at} />)
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="columns">
        <div className="column">
          <Overview r={r} />
          <Section title="Risk breakdown" id="risk">
            <RiskChart risk={risk} />
          </Section>
          <PolicyViolations r={r} />
          <Exceptions r={r} />
          <Section title="Changes since the previous version" id="diff">
            {r.diff ? (
              <DiffView diff={r.diff as unknown as PackDiff} />
            ) : (
              <p>This is the first pack version of the intent: there is nothing to compare.</p>
            )}
          </Section>
          <PackSummary r={r} />
        </div>
        <div className="column">
          <Section title="Decision" id="decision">
            {r.status === 'pending' ? (
              canVote ? (
                <>
                  <ApproveForm r={r} />
                  <DenyForm r={r} />
                </>
              ) : (
                <p>Voting needs the cab_member role.</p>
              )
            ) : (
              <DecisionSummary r={r} />
            )}
          </Section>
          <Conditions r={r} />
          <Votes r={r} />
          <Comments r={r} />
          <AuditTimeline r={r} />
        </div>
      </div>
    </>
  );
}

function Overview({ r }: { r: CabRequest }) {
  return (
    <Section title="Request" id="overview">
      <dl className="facts">
        <dt>Request</dt>
        <dd>
          <ShortId id={r.id} />
        </dd>
        <dt>Submitted</dt>
        <dd>
          <DateTime iso={r.submitted_at} /> by{' '}
          <Person id={r.submitted_by} email={r.submitted_by_email} />
        </dd>
        <dt>Justification</dt>
        <dd className="prose">{r.submission_justification}</dd>
        <dt>Evidence pack</dt>
        <dd>
          version {r.evidence_pack.version}, <ShortId id={r.evidence_pack.digest} />{' '}
          <a
            href={`/api/v1/evidence-packs/${encodeURIComponent(r.evidence_pack.id)}/bundle`}
            download
          >
            Download the offline bundle
          </a>
        </dd>
        <dt>Approval policy</dt>
        <dd>
          {r.approval_policy_version}: {r.approvals_required} approval
          {r.approvals_required === 1 ? '' : 's'} required
        </dd>
        {r.authorization_expires_at ? (
          <>
            <dt>Authorised until</dt>
            <dd>
              <DateTime iso={r.authorization_expires_at} />
            </dd>
          </>
        ) : null}
        {r.post_review_due_at ? (
          <>
            <dt>Post-review due</dt>
            <dd>
              <DateTime iso={r.post_review_due_at} />
            </dd>
          </>
        ) : null}
        {r.superseded_by ? (
          <>
            <dt>Superseded by</dt>
            <dd>
              <Link to={`/requests/${encodeURIComponent(r.superseded_by)}`}>the newer request</Link>
            </dd>
          </>
        ) : null}
      </dl>
    </Section>
  );
}

interface PackSummaryShape {
  artifact?: { filename?: string; size_bytes?: number; publisher?: string; sha256?: string };
  signature?: { present: boolean; valid: boolean; signer_subject?: string | null };
  sbom?: {
    format?: string;
    component_count?: number;
    transitive_dependency_count?: number;
    license_count?: number;
  } | null;
  findings?: {
    tool?: string;
    severity_counts?: Record<string, number>;
    finding_count?: number;
    vex_suppressed_count?: number;
    passed?: boolean;
  } | null;
  tests?: {
    summary?: string;
    lab?: { total: number; passed: number; failed: number; coverage_percent: number | null } | null;
    ring0?: { total: number; passed: number; failed: number } | null;
  };
  rollout_plan?: { rings?: { name: string; start_offset_hours?: number }[] };
  rollback_plan?: unknown;
}

function PackSummary({ r }: { r: CabRequest }) {
  const p = r.pack_summary as PackSummaryShape;
  const counts = r.finding_counts;
  return (
    <Section title="Evidence pack summary" id="pack">
      <dl className="facts">
        <dt>Artifact</dt>
        <dd>
          {p.artifact?.filename ?? '—'}
          {p.artifact?.publisher ? `, published by ${p.artifact.publisher}` : ''}{' '}
          <ShortId id={r.artifact_sha256} />
        </dd>
        <dt>Signature</dt>
        <dd>
          {p.signature?.present
            ? `${p.signature.valid ? 'valid' : 'INVALID'}${p.signature.signer_subject ? ` — ${p.signature.signer_subject}` : ''}`
            : 'none attached'}
        </dd>
        <dt>SBOM</dt>
        <dd>
          {p.sbom
            ? `${p.sbom.format ?? ''} ${p.sbom.component_count ?? 0} components, ${p.sbom.transitive_dependency_count ?? 0} transitive, ${p.sbom.license_count ?? 0} licences`
            : 'none attached'}
        </dd>
        <dt>Vulnerabilities</dt>
        <dd>
          {p.findings
            ? `${counts.critical} critical, ${counts.high} high, ${counts.medium} medium, ${counts.low} low (${p.findings.tool ?? 'scan'}${p.findings.vex_suppressed_count ? `, ${p.findings.vex_suppressed_count} suppressed by VEX` : ''})`
            : 'no scan attached'}
        </dd>
        <dt>Tests</dt>
        <dd>
          {p.tests?.summary ?? '—'}
          {p.tests?.lab
            ? `; lab ${p.tests.lab.passed}/${p.tests.lab.total} passed${p.tests.lab.coverage_percent !== null ? `, coverage ${p.tests.lab.coverage_percent} %` : ''}`
            : '; no lab results'}
          {p.tests?.ring0
            ? `; ring 0 ${p.tests.ring0.passed}/${p.tests.ring0.total} passed`
            : '; no ring 0 results'}
        </dd>
        <dt>Rollout rings</dt>
        <dd>{r.rings.length ? r.rings.join(' → ') : '—'}</dd>
      </dl>
    </Section>
  );
}

interface ViolationShape {
  rule_id: string;
  severity: string;
  message: string;
  finding_ids?: string[];
}

function PolicyViolations({ r }: { r: CabRequest }) {
  const violations = Object.values(r.policy.violations) as ViolationShape[];
  return (
    <Section title="Policy violations" id="violations">
      <p>
        Policy set {r.policy.policy_set_version}:{' '}
        {r.policy.approved ? 'passed' : `${violations.length} violation(s)`}
        {r.policy.waived.length ? `, ${r.policy.waived.length} waived by exceptions` : ''}.
      </p>
      {violations.length ? (
        <ul>
          {violations.map((v) => (
            <li key={v.rule_id}>
              <code>{v.rule_id}</code> <span className="badge">{v.severity}</span> {v.message}
            </li>
          ))}
        </ul>
      ) : null}
    </Section>
  );
}

function Exceptions({ r }: { r: CabRequest }) {
  return (
    <Section title="Exceptions relied on" id="exceptions">
      {r.exceptions.length === 0 ? (
        <p>None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Exception</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Expires</th>
              <th scope="col">Days left</th>
              <th scope="col">Covers</th>
            </tr>
          </thead>
          <tbody>
            {r.exceptions.map((e) => (
              <tr key={e.id}>
                <td>
                  <ShortId id={e.id} />
                </td>
                <td>{humanize(e.exception_type)}</td>
                <td>{e.status}</td>
                <td>
                  <DateTime iso={e.expires_at} />
                </td>
                <td className={e.days_until_expiry <= 7 ? 'soon' : ''}>{e.days_until_expiry}</td>
                <td>{[...e.finding_ids, ...e.rule_ids].join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

interface ConditionDraft {
  key: number;
  text: string;
  blocks_rollout: boolean;
  before_ring: string;
}

function ApproveForm({ r }: { r: CabRequest }) {
  const [notes, setNotes] = useState('');
  const [conditions, setConditions] = useState<ConditionDraft[]>([]);
  const [nextKey, setNextKey] = useState(1);
  const notesId = useId();
  const approve = useRequestAction(
    r.id,
    async (body: {
      notes?: string;
      conditions?: { text: string; blocks_rollout: boolean; before_ring: string | null }[];
    }) =>
      unwrap(await api.POST('/api/v1/cab/{id}/approve', { params: { path: { id: r.id } }, body })),
  );
  const update = (key: number, patch: Partial<ConditionDraft>) =>
    setConditions((all) => all.map((c) => (c.key === key ? { ...c, ...patch } : c)));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    approve.mutate({
      ...(notes.trim() ? { notes: notes.trim() } : {}),
      ...(conditions.length
        ? {
            conditions: conditions.map((c) => ({
              text: c.text.trim(),
              blocks_rollout: c.blocks_rollout,
              before_ring: c.before_ring || null,
            })),
          }
        : {}),
    });
  };
  return (
    <form onSubmit={submit} className="vote" aria-labelledby="approve-title">
      <h3 id="approve-title">Approve</h3>
      <label htmlFor={notesId}>Notes (optional)</label>
      <textarea id={notesId} value={notes} onChange={(e) => setNotes(e.target.value)} rows={2} />
      {conditions.map((c, i) => (
        <fieldset key={c.key} className="condition">
          <legend>Condition {i + 1}</legend>
          <label>
            Text
            <input
              type="text"
              required
              value={c.text}
              onChange={(e) => update(c.key, { text: e.target.value })}
            />
          </label>
          <label className="inline">
            <input
              type="checkbox"
              checked={c.blocks_rollout}
              onChange={(e) => update(c.key, { blocks_rollout: e.target.checked })}
            />
            Blocks the rollout until verified
          </label>
          <label>
            Before ring
            <select
              value={c.before_ring}
              onChange={(e) => update(c.key, { before_ring: e.target.value })}
            >
              <option value="">Any ring (before the first)</option>
              {r.rings.map((ring) => (
                <option key={ring} value={ring}>
                  {ring}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="secondary"
            onClick={() => setConditions((all) => all.filter((x) => x.key !== c.key))}
          >
            Remove condition {i + 1}
          </button>
        </fieldset>
      ))}
      <div className="buttons">
        <button
          type="button"
          className="secondary"
          onClick={() => {
            setConditions((all) => [
              ...all,
              { key: nextKey, text: '', blocks_rollout: true, before_ring: '' },
            ]);
            setNextKey((k) => k + 1);
          }}
        >
          Add a condition
        </button>
        <button type="submit" disabled={approve.isPending}>
          {approve.isPending
            ? 'Approving…'
            : conditions.length
              ? 'Approve with conditions'
              : 'Approve'}
        </button>
      </div>
      {approve.isError ? <Refusal error={approve.error} /> : null}
    </form>
  );
}

function DenyForm({ r }: { r: CabRequest }) {
  const [reason, setReason] = useState('');
  const reasonId = useId();
  const deny = useRequestAction(r.id, async (value: string) =>
    unwrap(
      await api.POST('/api/v1/cab/{id}/deny', {
        params: { path: { id: r.id } },
        body: { reason: value },
      }),
    ),
  );
  return (
    <form
      className="vote"
      aria-labelledby="deny-title"
      onSubmit={(e) => {
        e.preventDefault();
        if (reason.trim()) deny.mutate(reason.trim());
      }}
    >
      <h3 id="deny-title">Deny (veto)</h3>
      <label htmlFor={reasonId}>Reason (required)</label>
      <textarea
        id={reasonId}
        required
        rows={2}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <div className="buttons">
        <button type="submit" className="danger" disabled={deny.isPending}>
          {deny.isPending ? 'Denying…' : 'Deny'}
        </button>
      </div>
      {deny.isError ? <Refusal error={deny.error} /> : null}
    </form>
  );
}

/** The server's refusal, plainly: its `detail` sentence, then the reason code. */
export function Refusal({ error }: { error: Error }) {
  return (
    <div className="error refusal" role="alert">
      <p>
        <strong>Refused:</strong> {error.message}
        <ReasonCode error={error} />
      </p>
      <ProblemErrors error={error} />
    </div>
  );
}

function DecisionSummary({ r }: { r: CabRequest }) {
  return (
    <p>
      <StatusBadge status={r.status} />{' '}
      {r.reviewed_at ? (
        <>
          decided <DateTime iso={r.reviewed_at} />
          {r.reviewed_by ? (
            <>
              {' '}
              by <ShortId id={r.reviewed_by} />
            </>
          ) : null}
        </>
      ) : null}
      {r.review_notes ? <span className="prose"> — {r.review_notes}</span> : null}
    </p>
  );
}

function Conditions({ r }: { r: CabRequest }) {
  if (r.approval_conditions.length === 0) return null;
  return (
    <Section title="Conditions" id="conditions">
      <ul className="conditions">
        {r.approval_conditions.map((c) => (
          <li key={c.id}>
            <code>{c.id}</code> {c.text}{' '}
            <span className="muted">
              {c.blocks_rollout
                ? `blocks ${c.before_ring ? `ring ${c.before_ring} on` : 'every ring'}`
                : 'not blocking'}
            </span>{' '}
            {c.verified ? (
              <span className="badge status-approved">
                verified <DateTime iso={c.verified_at} />
              </span>
            ) : (
              <span className="badge status-pending">unverified</span>
            )}
          </li>
        ))}
      </ul>
      <p>
        <Link to={`/requests/${encodeURIComponent(r.id)}/gate`}>
          Verify conditions in the gate view
        </Link>
      </p>
    </Section>
  );
}

function Votes({ r }: { r: CabRequest }) {
  return (
    <Section title={`Votes (${r.votes.length})`} id="votes">
      {r.votes.length === 0 ? (
        <p>No votes yet.</p>
      ) : (
        <ul className="votes">
          {r.votes.map((v) => (
            <li key={`${v.reviewer}:${v.at}`}>
              <strong>{v.decision === 'approve' ? 'Approved' : 'Denied'}</strong> by{' '}
              {v.reviewer_email} <span className="muted">({v.reviewer_roles.join(', ')})</span>,{' '}
              <DateTime iso={v.at} />
              {v.notes ? <p className="prose">{v.notes}</p> : null}
              {v.conditions.length ? (
                <ul>
                  {v.conditions.map((c) => (
                    <li key={c.id}>
                      {c.text}
                      {c.blocks_rollout ? ` (blocks ${c.before_ring ?? 'every ring'})` : ''}
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </Section>
  );
}

function Comments({ r }: { r: CabRequest }) {
  const [text, setText] = useState('');
  const textId = useId();
  const comment = useRequestAction(
    r.id,
    async (value: string) =>
      unwrap(
        await api.POST('/api/v1/cab/{id}/comments', {
          params: { path: { id: r.id } },
          body: { text: value },
        }),
      ),
    () => setText(''),
  );
  return (
    <Section title={`Comments (${r.comments.length})`} id="comments">
      {r.comments.length ? (
        <ul className="comments">
          {r.comments.map((c) => (
            <li key={c.id}>
              <ShortId id={c.author} />, <DateTime iso={c.at} />
              <p className="prose">{c.text}</p>
            </li>
          ))}
        </ul>
      ) : (
        <p>No comments yet.</p>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (text.trim()) comment.mutate(text.trim());
        }}
      >
        <label htmlFor={textId}>Add a comment</label>
        <textarea
          id={textId}
          required
          rows={2}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
        <div className="buttons">
          <button type="submit" disabled={comment.isPending}>
            Comment
          </button>
        </div>
        {comment.isError ? <Refusal error={comment.error} /> : null}
      </form>
    </Section>
  );
}

interface AuditEventShape {
  seq: number;
  id: string;
  event_type: string;
  actor: string;
  created_at: string;
  data?: Record<string, unknown>;
}

function AuditTimeline({ r }: { r: CabRequest }) {
  const events = r.audit_events as unknown as AuditEventShape[];
  return (
    <Section title="Audit timeline" id="audit">
      {events.length === 0 ? (
        <p>No events.</p>
      ) : (
        <ol className="timeline">
          {events.map((e) => (
            <li key={e.id}>
              <Age iso={e.created_at} /> <code>{e.event_type}</code> by <ShortId id={e.actor} />
              {typeof e.data?.reason === 'string' ? (
                <span className="muted"> — {e.data.reason}</span>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </Section>
  );
}
