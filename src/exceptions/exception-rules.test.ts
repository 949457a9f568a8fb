import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  daysUntilExpiry,
  effectiveStatus,
  type RequestFacts,
  validateRequest,
} from './exception-rules.js';

const now = new Date('2026-03-01T12:00:00.000Z');
const at = (ms: number) => new Date(now.getTime() + ms);
const finding = 'CVE-2024-0001|openssl|3.0.1';

describe('daysUntilExpiry', () => {
  it.each([
    [30 * DAY_MS, 30],
    [30 * DAY_MS - 1, 29],
    [DAY_MS, 1],
    [DAY_MS - 1, 0],
    [1, 0],
    [0, 0],
    [-5 * DAY_MS, 0],
  ])('%i ms ahead reads as %i whole days', (ahead, days) => {
    expect(daysUntilExpiry(at(ahead).toISOString(), now)).toBe(days);
  });
});

describe('effectiveStatus', () => {
  it('reads an approved exception as expired from its expires_at on', () => {
    expect(effectiveStatus('approved', at(1).toISOString(), now)).toBe('approved');
    expect(effectiveStatus('approved', at(0).toISOString(), now)).toBe('expired');
  });

  it('leaves every other state as stored', () => {
    for (const status of ['pending', 'rejected', 'revoked', 'expired'] as const) {
      expect(effectiveStatus(status, at(-1).toISOString(), now)).toBe(status);
    }
  });
});

describe('validateRequest', () => {
  const base: RequestFacts = {
    exception_type: 'vuln_high',
    finding_ids: [finding],
    rule_ids: [],
    expires_at: at(DAY_MS),
  };
  const reasons = (facts: Partial<RequestFacts>, maxDays = 90) =>
    validateRequest({ ...base, ...facts }, now, maxDays).map((p) => `${p.reason} ${p.path}`);

  it('accepts an expiry up to exactly the maximum ahead', () => {
    expect(reasons({ expires_at: at(90 * DAY_MS) })).toEqual([]);
    expect(reasons({ expires_at: at(7 * DAY_MS) }, 7)).toEqual([]);
    expect(reasons({ expires_at: at(1) })).toEqual([]);
  });

  it('refuses an expiry now, in the past, or beyond the maximum', () => {
    expect(reasons({ expires_at: now })).toEqual(['expiry_not_in_future /expires_at']);
    expect(reasons({ expires_at: at(-DAY_MS) })).toEqual(['expiry_not_in_future /expires_at']);
    expect(reasons({ expires_at: at(90 * DAY_MS + 1) })).toEqual(['expiry_too_far /expires_at']);
    expect(reasons({ expires_at: at(7 * DAY_MS + 1) }, 7)).toEqual(['expiry_too_far /expires_at']);
  });

  it('needs finding ids, and only finding ids, for vulnerability types', () => {
    expect(reasons({ finding_ids: [] })).toEqual(['scope_empty /scope/finding_ids']);
    expect(reasons({ finding_ids: [], rule_ids: ['sbom_present'] })).toEqual([
      'scope_empty /scope/finding_ids',
      'scope_mismatch /scope/rule_ids',
    ]);
  });

  it('needs known rule ids, and only rule ids, for policy types', () => {
    for (const type of ['policy_violation', 'missing_evidence'] as const) {
      expect(reasons({ exception_type: type, finding_ids: [] })).toEqual([
        'scope_empty /scope/rule_ids',
      ]);
      expect(reasons({ exception_type: type, rule_ids: ['sbom_present'] })).toEqual([
        'scope_mismatch /scope/finding_ids',
      ]);
      expect(
        reasons({
          exception_type: type,
          finding_ids: [],
          rule_ids: ['sbom_present', 'no_such_rule', '__proto__'],
        }),
      ).toEqual(['unknown_rule /scope/rule_ids/1', 'unknown_rule /scope/rule_ids/2']);
    }
  });

  it('refuses an id named twice, at the second mention', () => {
    expect(reasons({ finding_ids: [finding, 'CVE-1|a|1', finding] })).toEqual([
      'scope_duplicate /scope/finding_ids/2',
    ]);
  });

  it('reports every problem at once', () => {
    expect(reasons({ expires_at: now, finding_ids: [] })).toEqual([
      'expiry_not_in_future /expires_at',
      'scope_empty /scope/finding_ids',
    ]);
  });
});
