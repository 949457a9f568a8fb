/**
 * The bundle's CAB decision (`cab_decision`): the pack's request and, once it was approved,
 * the server's signed decision attestation, an in-toto Statement v1 (predicateType
 * `urn:cabinet:cab-decision:v1`, subject = the artifact) whose predicate names the request
 * and the pack it approved. Checked like the pack's envelope: signed by a trusted key, about
 * this artifact and this very pack (id, version, digest), and its decision is in the chain.
 * A request that is not approved carries no attestation: that is reported, not failed —
 * unless the bundle's own audit events show an approval, or the submission, it hides.
 */
import { z } from 'zod';
import { checkSignedEnvelope, subjectDigests } from './bundle-envelope.js';
import type { ResolvedKey } from './bundle-keys.js';
import type {
  OpenedEvent,
  ParsedAudit,
  ParsedCabDecision,
  ParsedEvent,
  ParsedPack,
} from './bundle-schema.js';
import type { CheckList } from './bundle-types.js';
import type { ParsedStatement } from './dsse.js';

/** The decision attestation's predicateType (the cab domain signs it). */
export const CAB_DECISION_PREDICATE_TYPE = 'urn:cabinet:cab-decision:v1';
export const CAB_SUBMITTED_EVENT = 'cab.request.submitted';
export const CAB_DECIDED_EVENT = 'cab.request.decided';
/** The statuses that come with an attestation (the cab domain's APPROVED_STATUSES). */
export const CAB_APPROVED_STATUSES: readonly string[] = [
  'auto_approved',
  'approved',
  'approved_with_conditions',
];

const PART = {
  member: 'cab_decision',
  signature: 'cab_decision.signature',
  statement: 'cab_decision.statement',
  subject: 'cab_decision.subject',
  pack: 'cab_decision.pack',
  audit: 'cab_decision.audit',
} as const;

/** Only what the verifier compares is typed; the rest is covered by the signature. */
const predicate = z.looseObject({
  request_id: z.string(),
  status: z.string(),
  change_type: z.string().optional(),
  pack: z.looseObject({ id: z.string(), version: z.string(), digest: z.string() }),
  decided_at: z.string().optional(),
  authorization_expires_at: z.string().optional(),
});

type DecisionPredicate = z.infer<typeof predicate>;

const isOpened = (event: ParsedEvent): event is OpenedEvent => !('redacted' in event);

const NOT_VERIFIED = 'the decision attestation did not verify';

/**
 * `decision`: the member, null when the pack had not been submitted, `absent` for a bundle
 * exported before decisions were bundled (nothing is reported then, unless contradicted).
 */
export function checkCabDecision(
  decision: ParsedCabDecision | null | 'absent',
  pack: ParsedPack | undefined,
  audit: ParsedAudit | undefined,
  trusted: readonly ResolvedKey[],
  checks: CheckList,
): void {
  if (decision === null || decision === 'absent') {
    const submitted = pack && audit ? submissionOf(audit.events, pack.id) : undefined;
    if (submitted) {
      checks.fail(
        PART.member,
        `seq ${submitted.seq} records the pack's submission to the CAB as request ${submitted.subject}, ` +
          'but the bundle carries no cab_decision: it was removed',
      );
    } else if (decision === null) {
      checks.pass(
        PART.member,
        'no CAB request: the pack had not been submitted to the CAB when the bundle was exported',
      );
    }
    return;
  }
  if (decision.attestation === null) {
    checkUnattested(decision, audit, checks);
    return;
  }

  const statement = checkSignedEnvelope(decision.attestation, trusted, checks, {
    part: PART.signature,
    name: 'the decision attestation',
    statement: 'the decision statement',
  });
  const signed = statement ? checkStatement(statement, decision, checks) : undefined;
  if (!statement) checks.skip(PART.statement, NOT_VERIFIED);

  if (!statement) {
    checks.skip(PART.subject, NOT_VERIFIED);
  } else if (!pack) {
    checks.skip(PART.subject, 'the pack could not be read (see format)');
  } else {
    checkSubject(statement, pack, checks);
  }

  if (!statement) {
    checks.skip(PART.pack, NOT_VERIFIED);
  } else if (!signed) {
    checks.skip(PART.pack, 'the signed predicate could not be read');
  } else if (!pack) {
    checks.skip(PART.pack, 'the pack could not be read (see format)');
  } else {
    checkPack(signed, pack, checks);
  }

  if (audit) checkDecidedEvent(audit.events, decision, signed, checks);
  else checks.skip(PART.audit, 'the audit events could not be read (see format)');
}

/** Pending, denied, superseded: fine, as long as nothing in the bundle shows an approval. */
function checkUnattested(
  decision: ParsedCabDecision,
  audit: ParsedAudit | undefined,
  checks: CheckList,
): void {
  const { request_id: id, status } = decision;
  if (CAB_APPROVED_STATUSES.includes(status)) {
    checks.fail(
      PART.member,
      `request ${id} is ${status} but the bundle carries no decision attestation: it was removed`,
    );
    return;
  }
  const decided = audit ? decidedEventOf(audit.events, id) : undefined;
  const recorded = decided ? recordedStatus(decided) : null;
  if (decided && recorded !== null && CAB_APPROVED_STATUSES.includes(recorded)) {
    checks.fail(
      PART.member,
      `seq ${decided.seq} records request ${id} ${recorded}, but the bundle labels it ${status} ` +
        'and carries no decision attestation: it was removed',
    );
    return;
  }
  checks.pass(PART.member, `request ${id} is ${status}: not approved: no decision attestation`);
}

/** The predicate, when the statement is a CAB decision about this request. */
function checkStatement(
  statement: ParsedStatement,
  decision: ParsedCabDecision,
  checks: CheckList,
): DecisionPredicate | undefined {
  let ok = true;
  const fail = (message: string) => {
    ok = false;
    checks.fail(PART.statement, message);
  };
  if (statement.predicateType !== CAB_DECISION_PREDICATE_TYPE) {
    fail(`predicateType is ${statement.predicateType}, not ${CAB_DECISION_PREDICATE_TYPE}`);
  }
  const read = predicate.safeParse(statement.predicate);
  if (!read.success) {
    const issue = read.error.issues[0]!;
    fail(
      `the signed predicate is not a CAB decision: ${['predicate', ...issue.path].join('.')}: ${issue.message}`,
    );
    return undefined;
  }
  const signed = read.data;
  if (signed.request_id !== decision.request_id) {
    fail(
      `the attestation decides request ${signed.request_id}, the bundle labels it request ${decision.request_id}`,
    );
  }
  if (signed.status !== decision.status) {
    fail(`the attestation says ${signed.status}, the bundle labels the request ${decision.status}`);
  }
  if (ok) {
    const until = signed.authorization_expires_at
      ? `, authorised until ${signed.authorization_expires_at}`
      : '';
    const kind = signed.change_type ? ` (${signed.change_type} change)` : '';
    const at = signed.decided_at ? ` at ${signed.decided_at}` : '';
    checks.pass(
      PART.statement,
      `request ${signed.request_id}: ${signed.status}${kind}${at}${until}`,
    );
  }
  return signed;
}

function checkSubject(statement: ParsedStatement, pack: ParsedPack, checks: CheckList): void {
  const artifact = pack.body.artifact_sha256;
  const digests = subjectDigests(statement);
  if (digests.includes(artifact)) {
    checks.pass(PART.subject, `the decision is about artifact ${artifact}, the pack's`);
  } else {
    checks.fail(
      PART.subject,
      `the decision's subject is sha256 ${digests.map(String).join(', ') || '(none)'}, not the pack's artifact ${artifact}`,
    );
  }
}

function checkPack(signed: DecisionPredicate, pack: ParsedPack, checks: CheckList): void {
  const named = signed.pack;
  const differences = (['id', 'version', 'digest'] as const)
    .filter((field) => named[field] !== pack[field])
    .map((field) => `${field} ${named[field]}, not ${pack[field]}`);
  if (differences.length === 0) {
    checks.pass(
      PART.pack,
      `the decision approves this pack: ${pack.id} version ${pack.version}, digest ${pack.digest}`,
    );
  } else {
    checks.fail(
      PART.pack,
      `the decision names pack ${differences.join(', ')}: it approved another pack (or version)`,
    );
  }
}

function checkDecidedEvent(
  events: readonly ParsedEvent[],
  decision: ParsedCabDecision,
  signed: DecisionPredicate | undefined,
  checks: CheckList,
): void {
  const id = decision.request_id;
  const event = decidedEventOf(events, id);
  if (!event) {
    checks.fail(
      PART.audit,
      `no opened ${CAB_DECIDED_EVENT} event names request ${id}: the decision is not in the chain`,
    );
    return;
  }
  const recorded = recordedStatus(event);
  if (signed && recorded !== signed.status) {
    checks.fail(
      PART.audit,
      `the ${CAB_DECIDED_EVENT} event of request ${id} (seq ${event.seq}) records ${recorded ?? 'no status'}, the attestation says ${signed.status}`,
    );
    return;
  }
  checks.pass(PART.audit, `${CAB_DECIDED_EVENT} of request ${id} at seq ${event.seq}`);
}

function decidedEventOf(events: readonly ParsedEvent[], requestId: string) {
  return events.find(
    (e): e is OpenedEvent =>
      isOpened(e) && e.event_type === CAB_DECIDED_EVENT && e.subject === requestId,
  );
}

/** An opened submission event of this pack: the request the bundle should carry. */
function submissionOf(events: readonly ParsedEvent[], packId: string) {
  return events.find(
    (e): e is OpenedEvent =>
      isOpened(e) &&
      e.event_type === CAB_SUBMITTED_EVENT &&
      e.subject !== null &&
      dataField(e, 'pack_id') === packId,
  );
}

/** The status a decision event moved the request to (`data.to`). */
function recordedStatus(event: OpenedEvent): string | null {
  return dataField(event, 'to');
}

function dataField(event: OpenedEvent, field: string): string | null {
  try {
    const data: unknown = JSON.parse(event.data);
    const value =
      typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[field] : null;
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}
