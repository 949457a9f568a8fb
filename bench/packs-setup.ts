/**
 * What the pack benches need around the code they measure: the real composition root over a
 * throwaway SQLite database, a submitter and a security reviewer, and an intent with its
 * evidence attached through the services exactly as the HTTP routes attach it (the body read
 * from a stream, parsed, stored with its audit event).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Container } from '../src/composition-root.js';
import type { EvidenceItem } from '../src/evidence/evidence-store.js';
import type { Finding, ScanSummary } from '../src/evidence/parsers/scan/index.js';
import { type Context, systemContext } from '../src/platform/context.js';
import { exampleIntent } from '../test/intake-fixtures.js';
import { type BenchDatabase, benchContainer } from './bench-databases.js';

/** A request body's pieces as they come off a socket. */
const BODY_CHUNK = 64 * 1024;
const DAY_MS = 86_400_000;

export interface PackWorld {
  container: Container;
  /** A signed-in submitter: creates intents, attaches evidence, generates packs. */
  submitter: Context;
  /** A signed-in security reviewer: approves the submitter's exceptions. */
  reviewer: Context;
  /** A fresh intent (for an artifact registered by digest); returns its id and artifact. */
  newIntent(): Promise<{ intentId: string; artifactSha256: string }>;
  /** EvidenceService receive + store of one document, its bytes arriving as a request body would. */
  attach(
    intentId: string,
    kind: 'sbom' | 'vuln_scan' | 'test_results',
    bytes: Buffer,
  ): Promise<EvidenceItem>;
  /**
   * A lab test-results document never attached before (its numbers depend on `round`): a new
   * evidence item, so the next generation has a new fact to freeze and makes a new pack.
   */
  attachFreshTestResults(intentId: string, round: number): Promise<EvidenceItem>;
  /**
   * Requested by the submitter, approved by the reviewer: a vuln_critical exception naming
   * every critical finding of the scan, so those findings no longer block the pack.
   */
  waiveCriticals(artifactSha256: string, scan: EvidenceItem): Promise<string[]>;
  close(): Promise<void>;
}

export async function packWorld(database: BenchDatabase): Promise<PackWorld> {
  const container = await benchContainer(database);
  try {
    const { identity } = container;
    const admin = await identity.bootstrapAdmin(systemContext());
    if (!admin) throw new Error('the bench database already has users');
    const adminCtx: Context = { actorId: admin.user.id, roles: ['admin'], correlationId: null };
    const person = async (role: 'submitter' | 'security_reviewer'): Promise<Context> => {
      const user = await container.database.transaction((trx) =>
        identity.createUser(trx, adminCtx, {
          email: `bench-${role}@example.org`,
          display_name: `Bench ${role}`,
          roles: [role],
        }),
      );
      return { actorId: user.id, roles: [role], correlationId: null };
    };
    const submitter = await person('submitter');
    const reviewer = await person('security_reviewer');

    const attach: PackWorld['attach'] = async (intentId, kind, bytes) => {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += BODY_CHUNK) {
        chunks.push(bytes.subarray(at, at + BODY_CHUNK));
      }
      // Received outside any transaction, stored in the caller's (as the route does).
      const received = await container.evidence.receive(
        intentId,
        kind,
        { stream: Readable.from(chunks), contentLength: bytes.length },
        {},
      );
      try {
        return await container.database.transaction((trx) =>
          container.evidence.store(trx, submitter, received),
        );
      } finally {
        await received.discard();
      }
    };

    return {
      container,
      submitter,
      reviewer,
      async newIntent() {
        const artifact = randomBytes(4096);
        const { artifact: registered } = await container.database.transaction((trx) =>
          container.artifacts.register(trx, submitter, {
            sha256: createHash('sha256').update(artifact).digest('hex'),
            size_bytes: artifact.length,
            publisher: 'Igor Pavlov',
            filename: '7z2408-x64.exe',
          }),
        );
        const intent = await container.database.transaction((trx) =>
          container.intents.create(trx, submitter, exampleIntent(registered.sha256)),
        );
        return { intentId: intent.id, artifactSha256: registered.sha256 };
      },
      attach,
      attachFreshTestResults(intentId, round) {
        const total = 200 + round;
        const document = {
          stage: 'lab',
          total,
          passed: total,
          failed: 0,
          skipped: 0,
          coverage_percent: 80 + (round % 20),
        };
        return attach(intentId, 'test_results', Buffer.from(JSON.stringify(document)));
      },
      async waiveCriticals(artifactSha256, scan) {
        const findings = (scan.summary as unknown as ScanSummary).findings;
        const critical = findings
          .filter((f: Finding) => f.severity === 'critical')
          .map((f: Finding) => f.id);
        if (critical.length === 0) return [];
        const { exceptions, clock, database } = container;
        const requested = await database.transaction((trx) =>
          exceptions.request(trx, submitter, {
            exception_type: 'vuln_critical',
            scope: { artifact_sha256: artifactSha256, finding_ids: critical },
            description: 'bench: not reachable in this deployment',
            compensating_controls: 'EDR blocks exploitation',
            expires_at: new Date(clock.now().getTime() + 30 * DAY_MS).toISOString(),
          }),
        );
        await database.transaction((trx) =>
          exceptions.approve(trx, reviewer, requested.id, 'checked by the bench'),
        );
        return critical;
      },
      close: () => container.close(),
    };
  } catch (error) {
    await container.close();
    throw error;
  }
}
