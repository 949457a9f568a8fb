/**
 * Synthetic, realistic audit events for the audit benches: the mix of types a CAB service
 * records, with `data` of roughly 200–400 bytes of canonical JSON, so hashing and reading
 * cost what they would in production rather than what a `{}` payload costs.
 */

import { createHash, randomUUID } from 'node:crypto';
import type { AuditEntry } from '../src/audit/audit-log.js';
import {
  canonicalData,
  GENESIS_HASH,
  hashEvent,
  type StoredAuditEvent,
  type UnhashedEvent,
} from '../src/audit/chain.js';
import { type Random, seededRandom } from './generators/seeded-random.js';

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)]!;
const int = (random: Random, min: number, max: number): number =>
  min + Math.floor(random() * (max - min + 1));
const hex = (random: Random): string => createHash('sha256').update(String(random())).digest('hex');

const applications = [
  ['Mozilla Firefox', 'Mozilla'],
  ['7-Zip', 'Igor Pavlov'],
  ['Notepad++', 'Notepad++ Team'],
  ['Google Chrome', 'Google LLC'],
  ['Zoom Workplace', 'Zoom Video Communications'],
  ['Microsoft Teams', 'Microsoft Corporation'],
] as const;
const groups = ['finance-laptops', 'all-workstations', 'kiosk-ring-0', 'engineering-ring-1'];
const roles = ['cab-member', 'release-manager', 'security-reviewer', 'admin'];
const evidenceKinds = [
  ['sbom', 'application/vnd.cyclonedx+json'],
  ['scan', 'application/json'],
  ['test-results', 'application/xml'],
  ['vex', 'application/openvex+json'],
] as const;
const refusals = ['missing role cab-member', 'token expired', 'change is not awaiting approval'];
const routes = [
  '/api/v1/changes',
  '/api/v1/changes/:id/approve',
  '/api/v1/evidence',
  '/api/v1/users',
];

/** One entry of a type drawn with realistic weights (most traffic is changes and evidence). */
export function generateEntry(random: Random): AuditEntry {
  const roll = random();
  const changeId = randomUUID();
  if (roll < 0.25) {
    const [name, publisher] = pick(random, applications);
    const start = Date.UTC(2026, int(random, 0, 11), int(random, 1, 28), int(random, 0, 23));
    return {
      type: 'change.created',
      subject: changeId,
      data: {
        change_id: changeId,
        title: `Deploy ${name} ${int(random, 1, 140)}.${int(random, 0, 9)} to ${pick(random, groups)}`,
        application: {
          name,
          publisher,
          version: `${int(random, 1, 140)}.${int(random, 0, 9)}.${int(random, 0, 99)}`,
        },
        target_group: pick(random, groups),
        risk: pick(random, ['low', 'medium', 'high']),
        window: {
          start: new Date(start).toISOString(),
          end: new Date(start + 4 * 3_600_000).toISOString(),
        },
      },
    };
  }
  if (roll < 0.45) {
    const [kind, mediaType] = pick(random, evidenceKinds);
    return {
      type: 'evidence.attached',
      subject: changeId,
      data: {
        change_id: changeId,
        evidence_id: randomUUID(),
        kind,
        media_type: mediaType,
        size_bytes: int(random, 2_000, 4_000_000),
        sha256: hex(random),
        signed: random() < 0.6,
      },
    };
  }
  if (roll < 0.6) {
    return {
      type: 'change.approved',
      subject: changeId,
      data: {
        change_id: changeId,
        decision: pick(random, ['approve', 'approve', 'reject']),
        approver_role: pick(random, roles),
        comment: 'Evidence reviewed: SBOM complete, no unwaived critical findings, tests green.',
        evidence_digest: hex(random),
      },
    };
  }
  if (roll < 0.75) {
    return {
      type: 'sbom.ingested',
      subject: randomUUID(),
      data: {
        format: 'cyclonedx',
        spec_version: pick(random, ['1.4', '1.5', '1.6']),
        component_count: int(random, 20, 2_400),
        licenses_unknown: int(random, 0, 40),
        purl_sample: [
          `pkg:npm/lodash@4.17.${int(random, 10, 21)}`,
          `pkg:nuget/Newtonsoft.Json@13.0.${int(random, 1, 3)}`,
          `pkg:generic/openssl@3.${int(random, 0, 4)}.${int(random, 0, 15)}`,
        ],
      },
    };
  }
  if (roll < 0.85) {
    return {
      type: 'request.refused',
      subject: null,
      data: {
        method: pick(random, ['POST', 'PUT', 'DELETE']),
        route: pick(random, routes),
        status: pick(random, [401, 403, 409]),
        reason: pick(random, refusals),
        remote_addr: `10.${int(random, 0, 255)}.${int(random, 0, 255)}.${int(random, 1, 254)}`,
        user_agent: 'cabinet-cli/0.1.0 node/20.20.2',
      },
    };
  }
  if (roll < 0.93) {
    return {
      type: 'exception.granted',
      subject: randomUUID(),
      data: {
        finding_id: `CVE-2025-${int(random, 1_000, 59_999)}`,
        severity: pick(random, ['high', 'critical']),
        expires_at: new Date(Date.UTC(2026, int(random, 0, 11), int(random, 1, 28))).toISOString(),
        justification:
          'Vulnerable code path not reachable: feature disabled by policy on all rings.',
      },
    };
  }
  const userId = randomUUID();
  return {
    type: pick(random, ['user.created', 'token.created']),
    subject: userId,
    data: {
      user_id: userId,
      email: `user${int(random, 1, 99_999)}@example.org`,
      roles: [pick(random, roles)],
      token_prefix: `cab_${hex(random).slice(0, 8)}`,
      expires_at: new Date(Date.UTC(2027, int(random, 0, 11), int(random, 1, 28))).toISOString(),
    },
  };
}

/** A pool of actor ids: events come from a few dozen people and the system. */
export function actorPool(size: number): string[] {
  return [...Array.from({ length: size }, () => randomUUID()), 'system'];
}

/**
 * Produces the chain itself, hashed exactly as AuditLog.append does (hashEvent over the
 * canonical event), without a database round trip per event: for building big logs fast.
 */
export class ChainGenerator {
  readonly #random: Random;
  readonly #actors: string[];
  #seq = 0;
  #prevHash = GENESIS_HASH;
  #ms: number;
  #correlationId: string | null = null;

  constructor(seed: number, start = '2025-01-01T00:00:00.000Z') {
    this.#random = seededRandom(seed);
    this.#actors = actorPool(40);
    this.#ms = Date.parse(start);
  }

  get lastCreatedAt(): string {
    return new Date(this.#ms).toISOString();
  }

  next(): StoredAuditEvent {
    const random = this.#random;
    const entry = generateEntry(random);
    // Requests often write more than one event under one correlation id; sweeps write none.
    const roll = random();
    if (roll < 0.1) this.#correlationId = null;
    else if (roll < 0.7 || this.#correlationId === null) this.#correlationId = randomUUID();
    this.#seq += 1;
    this.#ms += int(random, 0, 6_000);
    const unhashed: UnhashedEvent = {
      seq: this.#seq,
      id: randomUUID(),
      event_type: entry.type,
      correlation_id: this.#correlationId,
      actor: this.#correlationId === null ? 'system' : pick(random, this.#actors),
      subject: entry.subject ?? null,
      data: canonicalData(entry.data ?? {}),
      created_at: new Date(this.#ms).toISOString(),
      prev_hash: this.#prevHash,
    };
    const event: StoredAuditEvent = { ...unhashed, hash: hashEvent(unhashed) };
    this.#prevHash = event.hash;
    return event;
  }
}
