/**
 * How an exception reads on the wire: its scope nested as the request named it, and — for
 * the current state — `status` and `days_until_expiry` computed at read time from the
 * clock, so neither is ever stale.
 */
import { daysUntilExpiry, effectiveStatus, type Transition } from './exception-rules.js';
import type { ExceptionRecord, VersionRecord } from './exception-store.js';

export interface ExceptionScope {
  artifact_sha256: string;
  finding_ids: string[];
  rule_ids: string[];
}

/** The stored fields of an exception, with its scope gathered as the wire shows it. */
export type ExceptionState = Omit<
  ExceptionRecord,
  'artifact_sha256' | 'finding_ids' | 'rule_ids'
> & {
  scope: ExceptionScope;
};

export interface Exception extends ExceptionState {
  days_until_expiry: number;
}

export interface ExceptionVersion {
  revision: number;
  transition: Transition;
  changed_by: string;
  changed_at: string;
  /** The exception exactly as this revision left it (its stored status, not a computed one). */
  snapshot: ExceptionState;
}

export function stateOf(record: ExceptionRecord): ExceptionState {
  return {
    id: record.id,
    exception_type: record.exception_type,
    scope: {
      artifact_sha256: record.artifact_sha256,
      finding_ids: record.finding_ids,
      rule_ids: record.rule_ids,
    },
    description: record.description,
    compensating_controls: record.compensating_controls,
    compensating_control_verification: record.compensating_control_verification,
    expires_at: record.expires_at,
    status: record.status,
    requested_by: record.requested_by,
    requested_at: record.requested_at,
    approved_by: record.approved_by,
    approved_at: record.approved_at,
    decided_by: record.decided_by,
    decided_at: record.decided_at,
    decided_reason: record.decided_reason,
    revision: record.revision,
    updated_at: record.updated_at,
  };
}

export function viewOf(record: ExceptionRecord, now: Date): Exception {
  return {
    ...stateOf(record),
    status: effectiveStatus(record.status, record.expires_at, now),
    days_until_expiry: daysUntilExpiry(record.expires_at, now),
  };
}

export function versionOf(version: VersionRecord): ExceptionVersion {
  return {
    revision: version.revision,
    transition: version.transition,
    changed_by: version.changed_by,
    changed_at: version.changed_at,
    snapshot: stateOf(version.snapshot),
  };
}
