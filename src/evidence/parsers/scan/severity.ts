import type { Severity } from './types.js';

/** Ascending rank; `unknown` ranks lowest because it carries no information to outweigh a rating. */
const RANK: Record<Severity, number> = { unknown: 0, low: 1, medium: 2, high: 3, critical: 4 };

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'unknown'];

export function maxSeverity(a: Severity, b: Severity): Severity {
  return RANK[a] >= RANK[b] ? a : b;
}

export function emptySeverityCounts(): Record<Severity, number> {
  return { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 };
}

/** Trivy emits exactly CRITICAL/HIGH/MEDIUM/LOW/UNKNOWN; matched case-insensitively. */
export function severityFromTrivy(value: unknown): Severity | null {
  if (typeof value !== 'string') return null;
  switch (value.trim().toUpperCase()) {
    case 'CRITICAL':
      return 'critical';
    case 'HIGH':
      return 'high';
    case 'MEDIUM':
      return 'medium';
    case 'LOW':
      return 'low';
    case 'UNKNOWN':
      return 'unknown';
    default:
      return null;
  }
}

/**
 * Grype: Critical/High/Medium/Low/Negligible/Unknown. Negligible is still a known, rated
 * weakness, so it counts as `low` rather than vanishing into `unknown`.
 */
export function severityFromGrype(value: unknown): Severity | null {
  if (typeof value !== 'string') return null;
  const lower = value.trim().toLowerCase();
  if (lower === 'negligible') return 'low';
  return severityFromTrivy(lower);
}

/**
 * CVSS-style score bands (also SARIF `security-severity`): ≥9 critical, ≥7 high, ≥4 medium,
 * >0 low; 0, negative or non-numeric gives null so the caller falls back to another signal.
 */
export function severityFromScore(value: unknown): Severity | null {
  const score =
    typeof value === 'number'
      ? value
      : typeof value === 'string'
        ? Number(value.trim())
        : Number.NaN;
  if (!Number.isFinite(score) || score <= 0) return null;
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

/** SARIF `level`: error→high, warning→medium, note→low, none→unknown. */
export function severityFromSarifLevel(value: unknown): Severity | null {
  switch (value) {
    case 'error':
      return 'high';
    case 'warning':
      return 'medium';
    case 'note':
      return 'low';
    case 'none':
      return 'unknown';
    default:
      return null;
  }
}

/**
 * CycloneDX `ratings[].severity`: critical/high/medium/low/info/none/unknown. `info` is an
 * informational rating (lowest real band: low); `none` means "rated, no severity" (unknown).
 */
export function severityFromCycloneDx(value: unknown): Severity | null {
  if (typeof value !== 'string') return null;
  const lower = value.trim().toLowerCase();
  if (lower === 'info') return 'low';
  if (lower === 'none') return 'unknown';
  return severityFromTrivy(lower);
}
