import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RECOMMENDATIONS } from '../risk/risk-model.js';
import { DEFAULT_APPROVAL_POLICY, requirementFor } from './approval-policy.js';
import { replayRequest } from './cab-replay.js';
import {
  CAB_TRANSITIONS,
  type CabFacts,
  FINAL_STATUSES,
  nextStatus,
  refusalOf,
  transitionTable,
} from './cab-rules.js';

const facts = (partial: Partial<CabFacts>): CabFacts => ({
  emergency: false,
  risk_score: 0,
  violation_count: 0,
  exception_count: 0,
  approvals: 0,
  denials: 0,
  approvals_required: 1,
  security_reviewer_required: false,
  security_reviewer_approved: false,
  condition_count: 0,
  ...partial,
});

describe('the CAB state machine', () => {
  it('is documented word for word in docs/architecture/cab-workflow.md', () => {
    const doc = readFileSync(
      new URL('../../docs/architecture/cab-workflow.md', import.meta.url),
      'utf8',
    );
    expect(doc).toContain(transitionTable());
  });

  it('never leaves a final state', () => {
    for (const rule of CAB_TRANSITIONS) {
      if (rule.from !== null) expect(FINAL_STATUSES).not.toContain(rule.from);
    }
  });

  it('makes a standard change only of a clean, low-risk, unexcepted, non-emergency pack', () => {
    expect(nextStatus('submit', null, facts({ risk_score: 50 }))).toBe('auto_approved');
    expect(nextStatus('submit', null, facts({ risk_score: 51 }))).toBe('pending');
    expect(nextStatus('submit', null, facts({ violation_count: 1 }))).toBe('pending');
    expect(nextStatus('submit', null, facts({ exception_count: 1 }))).toBe('pending');
    expect(nextStatus('submit', null, facts({ emergency: true }))).toBe('pending');
  });

  it('decides a vote by veto, quorum and conditions', () => {
    expect(nextStatus('vote', 'pending', facts({ denials: 1, approvals: 5 }))).toBe('denied');
    expect(nextStatus('vote', 'pending', facts({ approvals: 1 }))).toBe('approved');
    expect(nextStatus('vote', 'pending', facts({ approvals: 1, condition_count: 2 }))).toBe(
      'approved_with_conditions',
    );
    expect(nextStatus('vote', 'pending', facts({ approvals: 1, approvals_required: 2 }))).toBe(
      'pending',
    );
    const critical = { approvals_required: 2, security_reviewer_required: true };
    expect(nextStatus('vote', 'pending', facts({ ...critical, approvals: 3 }))).toBe('pending');
    expect(
      nextStatus(
        'vote',
        'pending',
        facts({ ...critical, approvals: 2, security_reviewer_approved: true }),
      ),
    ).toBe('approved');
    expect(nextStatus('vote', 'approved', facts({ approvals: 1 }))).toBeNull();
    expect(nextStatus('supersede', 'pending', facts({}))).toBe('superseded');
    expect(nextStatus('supersede', 'denied', facts({}))).toBeNull();
  });

  it('matches exactly one rule for every vote on a pending request', () => {
    fc.assert(
      fc.property(
        fc.nat(5),
        fc.nat(3),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        fc.boolean(),
        fc.nat(3),
        (approvals, denials, required, srRequired, srApproved, conditions) => {
          const f = facts({
            approvals,
            denials,
            approvals_required: required,
            security_reviewer_required: srRequired,
            security_reviewer_approved: srApproved,
            condition_count: conditions,
          });
          const matching = CAB_TRANSITIONS.filter(
            (r) => r.event === 'vote' && r.from === 'pending' && r.guard.holds(f),
          );
          expect(matching).toHaveLength(1);
        },
      ),
    );
  });

  it('requires approvals by band under the default policy, one for emergencies', () => {
    const needed = RECOMMENDATIONS.map((band) =>
      requirementFor(DEFAULT_APPROVAL_POLICY, band, 'normal'),
    );
    expect(needed).toEqual([
      { approvals: 1, security_reviewer_required: false },
      { approvals: 1, security_reviewer_required: false },
      { approvals: 1, security_reviewer_required: false },
      { approvals: 2, security_reviewer_required: false },
      { approvals: 2, security_reviewer_required: true },
    ]);
    expect(requirementFor(DEFAULT_APPROVAL_POLICY, 'CRITICAL', 'emergency')).toEqual({
      approvals: 1,
      security_reviewer_required: false,
    });
  });

  it('refuses in order: separation of duties, final state, stale evidence, second vote', () => {
    const state = {
      id: 'r',
      status: 'pending' as const,
      submitted_by: 'sub',
      stale_reasons: [],
      voters: ['m1'],
    };
    expect(refusalOf('vote', state, 'sub')?.reason).toBe('separation_of_duties');
    expect(refusalOf('vote', { ...state, status: 'superseded' }, 'm2')?.reason).toBe(
      'request_superseded',
    );
    expect(refusalOf('vote', { ...state, status: 'denied' }, 'm2')?.reason).toBe('already_decided');
    expect(refusalOf('vote', { ...state, stale_reasons: [{}] }, 'm2')?.reason).toBe(
      'evidence_stale',
    );
    expect(refusalOf('vote', state, 'm1')?.reason).toBe('already_voted');
    expect(refusalOf('vote', state, 'm2')).toBeNull();
    expect(refusalOf('comment', state, 'sub')).toBeNull();
    expect(refusalOf('verify_condition', state, 'sub')?.message).toContain('verify a condition');
    expect(refusalOf('post_review', state, 'sub')?.message).toContain('review');
  });
});

describe('replaying a request from its audit events', () => {
  const submitted = { event_type: 'cab.request.submitted', data: {} };
  it('refuses a history that does not start with the submission, or moves out of a final state', () => {
    expect(() => replayRequest([])).toThrow(/starts with/);
    expect(() =>
      replayRequest([
        submitted,
        { event_type: 'cab.request.decided', data: { to: 'denied' } },
        { event_type: 'cab.vote.cast', data: { decision: 'approve' } },
      ]),
    ).toThrow(/already denied/);
  });
  it('counts votes, staleness and comments', () => {
    expect(
      replayRequest([
        submitted,
        { event_type: 'cab.vote.cast', data: { decision: 'approve' } },
        { event_type: 'cab.request.stale', data: {} },
        { event_type: 'cab.comment.added', data: {} },
        { event_type: 'cab.condition.verified', data: {} },
        { event_type: 'cab.request.superseded', data: {} },
      ]),
    ).toEqual({ status: 'superseded', approvals: 1, denials: 0, stale: 1, comments: 1 });
  });
});
