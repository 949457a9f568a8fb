/**
 * The CAB request's state machine, as data: every transition (event, from, to, who may
 * cause it, the guard that must hold) and every refusal, in one place. The service consults
 * `nextStatus` and `refusalOf` and never sets a status any other way;
 * docs/architecture/cab-workflow.md renders the same table (a test keeps them equal).
 */

export const CAB_STATUSES = [
  'pending',
  'auto_approved',
  'approved',
  'approved_with_conditions',
  'denied',
  'superseded',
] as const;
export type CabStatus = (typeof CAB_STATUSES)[number];

/** Decided states are final: nothing moves a request out of them. */
export const FINAL_STATUSES: readonly CabStatus[] = [
  'auto_approved',
  'approved',
  'approved_with_conditions',
  'denied',
  'superseded',
];

/** The statuses that authorise a deployment (subject to the gate's other checks). */
export const APPROVED_STATUSES: readonly CabStatus[] = [
  'auto_approved',
  'approved',
  'approved_with_conditions',
];

export type CabEvent = 'submit' | 'vote' | 'supersede' | 'mark_stale';

/** Who causes an event: the submitter, a CAB member other than the submitter, or cabinet. */
export type CabActor = 'submitter' | 'cab_member' | 'system';

/** What the guards look at: the pack's result at submit, the tally after a vote. */
export interface CabFacts {
  emergency: boolean;
  risk_score: number;
  violation_count: number;
  exception_count: number;
  approvals: number;
  denials: number;
  approvals_required: number;
  security_reviewer_required: boolean;
  security_reviewer_approved: boolean;
  condition_count: number;
}

export interface Guard {
  name: string;
  /** The rule in words, for the docs table and for refusals. */
  says: string;
  holds(facts: CabFacts): boolean;
}

/** Standard change: DESIGN.md "Submit" — score ≤ 50, no violation, no applied exception. */
export const STANDARD_CHANGE_MAX_SCORE = 50;

const isStandard = (f: CabFacts) =>
  !f.emergency &&
  f.risk_score <= STANDARD_CHANGE_MAX_SCORE &&
  f.violation_count === 0 &&
  f.exception_count === 0;

const quorum = (f: CabFacts) =>
  f.denials === 0 &&
  f.approvals >= f.approvals_required &&
  (!f.security_reviewer_required || f.security_reviewer_approved);

export const GUARDS = {
  standard_change: {
    name: 'standard_change',
    says: 'not emergency, risk score ≤ 50, no policy violation, no applied exception',
    holds: isStandard,
  },
  review_required: {
    name: 'review_required',
    says: 'emergency, or risk score > 50, or a policy violation, or an applied exception',
    holds: (f) => !isStandard(f),
  },
  any_deny: {
    name: 'any_deny',
    says: 'the vote is a deny (veto)',
    holds: (f) => f.denials > 0,
  },
  quorum_without_conditions: {
    name: 'quorum_without_conditions',
    says: 'approvals ≥ required (a security reviewer among them when the band requires one), no conditions',
    holds: (f) => quorum(f) && f.condition_count === 0,
  },
  quorum_with_conditions: {
    name: 'quorum_with_conditions',
    says: 'approvals ≥ required (a security reviewer among them when the band requires one), some vote carried conditions',
    holds: (f) => quorum(f) && f.condition_count > 0,
  },
  below_quorum: {
    name: 'below_quorum',
    says: 'an approval, quorum not reached yet',
    holds: (f) => f.denials === 0 && !quorum(f),
  },
  new_pack_version: {
    name: 'new_pack_version',
    says: 'a new evidence pack version of the intent was generated',
    holds: () => true,
  },
  exception_lapsed: {
    name: 'exception_lapsed',
    says: 'an exception the pack relied on expired or was revoked',
    holds: () => true,
  },
} as const satisfies Record<string, Guard>;

export interface TransitionRule {
  event: CabEvent;
  /** null: the request does not exist yet (submit creates it). */
  from: CabStatus | null;
  to: CabStatus;
  who: CabActor;
  guard: Guard;
}

/** Every transition there is. Order matters: the first rule whose guard holds wins. */
export const CAB_TRANSITIONS: readonly TransitionRule[] = [
  {
    event: 'submit',
    from: null,
    to: 'auto_approved',
    who: 'submitter',
    guard: GUARDS.standard_change,
  },
  { event: 'submit', from: null, to: 'pending', who: 'submitter', guard: GUARDS.review_required },
  { event: 'vote', from: 'pending', to: 'denied', who: 'cab_member', guard: GUARDS.any_deny },
  {
    event: 'vote',
    from: 'pending',
    to: 'approved',
    who: 'cab_member',
    guard: GUARDS.quorum_without_conditions,
  },
  {
    event: 'vote',
    from: 'pending',
    to: 'approved_with_conditions',
    who: 'cab_member',
    guard: GUARDS.quorum_with_conditions,
  },
  { event: 'vote', from: 'pending', to: 'pending', who: 'cab_member', guard: GUARDS.below_quorum },
  {
    event: 'supersede',
    from: 'pending',
    to: 'superseded',
    who: 'system',
    guard: GUARDS.new_pack_version,
  },
  {
    event: 'mark_stale',
    from: 'pending',
    to: 'pending',
    who: 'system',
    guard: GUARDS.exception_lapsed,
  },
];

/** The status an event leads to, or null when no rule applies (the caller refuses). */
export function nextStatus(
  event: CabEvent,
  from: CabStatus | null,
  facts: CabFacts,
): CabStatus | null {
  const rule = CAB_TRANSITIONS.find(
    (r) => r.event === event && r.from === from && r.guard.holds(facts),
  );
  return rule ? rule.to : null;
}

/** Why an action on a request is refused: HTTP-free, mapped by the service to errors. */
export interface Refusal {
  kind: 'forbidden' | 'conflict';
  reason: string;
  message: string;
}

/** What an actor's action sees of the request. */
export interface RequestState {
  id: string;
  status: CabStatus;
  submitted_by: string;
  stale_reasons: readonly unknown[];
  voters: readonly string[];
}

/**
 * The refusals of a vote, in the order they are checked: separation of duties is absolute,
 * then a final state, then stale evidence, then a second vote by the same member.
 */
export function refusalOf(
  action: 'vote' | 'verify_condition' | 'comment' | 'post_review',
  state: RequestState,
  actorId: string,
): Refusal | null {
  if (action !== 'comment' && actorId === state.submitted_by) {
    return {
      kind: 'forbidden',
      reason: 'separation_of_duties',
      message: `Separation of duties: you submitted CAB request ${state.id}, so you cannot ${
        action === 'vote'
          ? 'vote on'
          : action === 'verify_condition'
            ? 'verify a condition of'
            : 'review'
      } it.`,
    };
  }
  if (action !== 'vote') return null;
  if (state.status === 'superseded') {
    return {
      kind: 'conflict',
      reason: 'request_superseded',
      message: `CAB request ${state.id} was superseded by a newer pack version: vote on the new request.`,
    };
  }
  if (FINAL_STATUSES.includes(state.status)) {
    return {
      kind: 'conflict',
      reason: 'already_decided',
      message: `CAB request ${state.id} is already decided (${state.status}); decided requests are final.`,
    };
  }
  if (state.stale_reasons.length > 0) {
    return {
      kind: 'conflict',
      reason: 'evidence_stale',
      message: `CAB request ${state.id} relies on evidence that no longer holds (see stale_reasons): generate and submit a new pack version.`,
    };
  }
  if (state.voters.includes(actorId)) {
    return {
      kind: 'conflict',
      reason: 'already_voted',
      message: `You already voted on CAB request ${state.id}; each CAB member votes once.`,
    };
  }
  return null;
}

/** The transition table as Markdown: docs/architecture/cab-workflow.md holds this exact text. */
export function transitionTable(): string {
  const rows = CAB_TRANSITIONS.map(
    (r) =>
      `| \`${r.event}\` | ${r.from === null ? '(new)' : `\`${r.from}\``} | \`${r.to}\` | ${r.who} | \`${r.guard.name}\`: ${r.guard.says} |`,
  );
  return ['| event | from | to | who | guard |', '| --- | --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}
