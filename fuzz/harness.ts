import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { EVIDENCE_KINDS, type EvidenceKind } from '../src/evidence/parse-evidence.js';
import { createIntent } from '../test/intake-fixtures.js';
import { OpensslPki } from '../test/openssl-pki.js';
import { startTestApp, type TestApp, type TestUser } from '../test/test-app.js';
import { hashString, mutate, prng, type Seed, seedOf } from './mutate.js';

/**
 * Drives every evidence parser kind through the real HTTP route (app.inject on a real SQLite
 * database in a temporary directory) with seeded mutations of the corpus, and checks what
 * DESIGN promises of a hostile document: a clear 4xx, nothing stored, never a 500.
 */

export const CORPUS = path.resolve(import.meta.dirname, '../../shared/corpus');

export interface FuzzOptions {
  seed: number;
  /** Inputs per kind. */
  count: number;
  kinds: readonly EvidenceKind[];
  /** Replay only this index (with the same seed and kind) to reproduce a failure. */
  index?: number | undefined;
  /** A fresh database after this many inputs, so accepted documents do not pile up. */
  segment?: number;
  /** Seeds larger than this are left out: the cost per input grows with the document. */
  maxSeedBytes?: number;
  onProgress?: (kind: EvidenceKind, done: number) => void;
  /** Each kind's report as soon as the kind is done, so a long run shows its results as it goes. */
  onReport?: (report: KindReport) => void;
  /** Sees every input and its answer (the CLI prints them when replaying one index). */
  onResponse?: (
    input: { mutator: string; seed: string; bytes: Buffer },
    status: number,
    body: string,
  ) => void;
}

export interface Failure {
  kind: EvidenceKind;
  seed: number;
  index: number;
  document: string;
  mutator: string;
  status: number;
  problem: string;
}

export interface KindReport {
  kind: EvidenceKind;
  inputs: number;
  statuses: Record<string, number>;
  mutators: Record<string, number>;
  failures: Failure[];
  millis: number;
}

/** A stack frame or a Node internal: never in a body. */
const STACK = /\n\s+at |\bat [\w$.<>]+ \([^)]*:\d+:\d+\)|node:internal|\.(ts|js):\d+:\d+/;
/** SQL text or a driver's error: never in a body. */
const SQL =
  /\b(select\s.+\sfrom|insert\s+into|update\s+\w+\s+set|delete\s+from|create\s+table)\b|SQLITE_|sqlite3?\b|syntax error at or near|violates .* constraint|constraint failed/i;
const POINTER = /^(\/.*|line \d+.*|)$/s;

function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
}

function corpusSeeds(sub: string, maxBytes: number): Seed[] {
  return walk(path.join(CORPUS, sub))
    .filter((file) => /\.jsonl?$/.test(file) && statSync(file).size <= maxBytes)
    .map((file) => seedOf(path.relative(CORPUS, file), readFileSync(file)));
}

const JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="suite" tests="3" failures="1" time="1.5">
  <testsuite name="install" tests="3" failures="1" skipped="1" time="1.5">
    <testcase name="installs silently" classname="setup" time="0.5"/>
    <testcase name="detects &amp; registers" classname="setup" time="0.5">
      <failure message="expected 0, got 1">exit code 1 &lt;expected 0&gt;</failure>
    </testcase>
    <testcase name="uninstalls" classname="teardown" time="0.5"><skipped/></testcase>
  </testsuite>
</testsuites>
`;

const JSON_RESULTS = {
  stage: 'lab',
  total: 3,
  passed: 1,
  failed: 1,
  skipped: 1,
  coverage_percent: 81.5,
  duration_seconds: 12,
  cases: [
    { name: 'install', status: 'passed', duration_seconds: 4 },
    { name: 'detect', status: 'failed', message: 'registry key missing', duration_seconds: 4 },
    { name: 'uninstall', status: 'skipped', duration_seconds: 4 },
  ],
};

const OPENVEX = {
  '@context': 'https://openvex.dev/ns/v0.2.0',
  '@id': 'https://example.org/vex/1',
  author: 'Acme PSIRT',
  timestamp: '2026-01-01T00:00:00Z',
  version: 1,
  statements: [
    {
      vulnerability: { name: 'CVE-2020-8165' },
      products: [{ '@id': 'pkg:gem/activesupport@6.0.2.1' }],
      status: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
    },
    {
      vulnerability: 'CVE-2019-18224',
      products: ['pkg:deb/debian/libidn2-0@2.0.5-1'],
      status: 'affected',
      action_statement: 'upgrade',
    },
  ],
};

const seedJson = (name: string, value: unknown) =>
  seedOf(name, Buffer.from(JSON.stringify(value, null, 2)));

/** One fixed artifact for every session, so one signature over it stays valid throughout. */
const ARTIFACT = Buffer.alloc(4096, 0x5a);

interface SignatureMaterial {
  pki: OpensslPki;
  x509: Seed;
  sigstore: Seed;
}

function signatureMaterial(artifactSha256: string): SignatureMaterial {
  const pki = new OpensslPki();
  pki.root('acme');
  pki.leaf('signer', 'acme', ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 365);
  const pemBody = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');
  return {
    pki,
    x509: seedJson('signature/x509.json', {
      signature: pki.sign('signer', artifactSha256, false),
      certificate_chain: [pki.pem('signer')],
    }),
    sigstore: seedJson('signature/sigstore.json', {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { certificate: { rawBytes: pemBody(pki.pem('signer')) } },
      messageSignature: {
        messageDigest: {
          algorithm: 'SHA2_256',
          digest: Buffer.from(artifactSha256, 'hex').toString('base64'),
        },
        signature: pki.sign('signer', artifactSha256, false),
      },
    }),
  };
}

/** The documents each kind's inputs are mutations of. */
export function seedsFor(
  kind: EvidenceKind,
  maxBytes: number,
  signatures: SignatureMaterial,
): Seed[] {
  switch (kind) {
    case 'sbom':
      return [
        ...corpusSeeds('sbom', maxBytes),
        ...corpusSeeds('conformance', maxBytes).filter((s) => /\/valid-/.test(s.name)),
      ];
    case 'vuln_scan':
      return corpusSeeds('scans', maxBytes);
    case 'vex':
      return [...corpusSeeds('vex', maxBytes), seedJson('vex/openvex.json', OPENVEX)];
    case 'test_results':
      return [
        seedOf('test_results/junit.xml', Buffer.from(JUNIT)),
        seedJson('test_results/results.json', JSON_RESULTS),
      ];
    case 'signature':
      return [signatures.x509, signatures.sigstore];
  }
}

/** A running app with an intent to attach to, and the evidence count it should have. */
class Session {
  static async start(anchorPem: string): Promise<Session> {
    const t = await startTestApp('sqlite', {
      env: { CABINET_MAX_UPLOAD_BYTES: String(4 * 1024 * 1024) },
    });
    const submitter = await t.user(['submitter']);
    const anchor = await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name: 'Acme root', pem: anchorPem },
    });
    if (anchor.statusCode !== 201) throw new Error(`trust anchor: ${anchor.body}`);
    const { intentId, artifactSha256 } = await createIntent(t, submitter, ARTIFACT);
    return new Session(t, submitter, intentId, artifactSha256);
  }

  stored = 0;
  inputs = 0;

  private constructor(
    readonly t: TestApp,
    readonly submitter: TestUser,
    readonly intentId: string,
    readonly artifactSha256: string,
  ) {}

  async evidenceCount(): Promise<number> {
    const row = await sql<{ n: number | string }>`select count(*) as n from evidence_items`.execute(
      this.t.container.database.db,
    );
    return Number(row.rows[0]?.n ?? 0);
  }

  async alive(): Promise<boolean> {
    const res = await this.t.app.inject({ method: 'GET', url: '/healthz' });
    return res.statusCode === 200;
  }
}

/** The kind's query string: sometimes with an explicit format=, as clients send it. */
function queryFor(kind: EvidenceKind, random: () => number): string {
  if (kind === 'test_results') return `kind=test_results${random() < 0.5 ? '&stage=lab' : ''}`;
  return `kind=${kind}`;
}

/** What is wrong with one response, or null. */
function check(status: number, body: string): string | null {
  if (status >= 500) return `status ${status}`;
  if (status >= 400) {
    if (STACK.test(body)) return 'stack trace in the body';
    if (SQL.test(body)) return 'SQL text in the body';
    let problem: { errors?: Array<{ path?: unknown }> };
    try {
      problem = JSON.parse(body);
    } catch {
      return 'the problem body is not JSON';
    }
    if (status === 422) {
      const errors = problem.errors;
      if (!Array.isArray(errors) || errors.length === 0) return '422 without errors[]';
      const bad = errors.find((e) => typeof e.path !== 'string' || !POINTER.test(e.path));
      if (bad) return `422 with a path that is not a JSON pointer: ${JSON.stringify(bad.path)}`;
    }
  }
  return null;
}

export async function runFuzz(options: FuzzOptions): Promise<KindReport[]> {
  const segment = options.segment ?? 5_000;
  const maxSeedBytes = options.maxSeedBytes ?? 64 * 1024;
  const artifactSha256 = (await import('node:crypto'))
    .createHash('sha256')
    .update(ARTIFACT)
    .digest('hex');
  const signatures = signatureMaterial(artifactSha256);
  const reports: KindReport[] = [];
  let session = await Session.start(signatures.pki.pem('acme'));
  try {
    for (const kind of options.kinds) {
      const seeds = seedsFor(kind, maxSeedBytes, signatures);
      if (seeds.length === 0) throw new Error(`no seed documents for ${kind} under ${CORPUS}`);
      const report: KindReport = {
        kind,
        inputs: 0,
        statuses: {},
        mutators: {},
        failures: [],
        millis: 0,
      };
      const started = Date.now();
      const first = options.index ?? 0;
      const last = options.index ?? options.count - 1;
      for (let index = first; index <= last; index += 1) {
        if (session.inputs >= segment) {
          await session.t.close();
          session = await Session.start(signatures.pki.pem('acme'));
        }
        const random = prng(options.seed ^ hashString(kind) ^ Math.imul(index + 1, 0x9e3779b9));
        const input = mutate(random, seeds);
        const fail = (status: number, problem: string) =>
          report.failures.push({
            kind,
            seed: options.seed,
            index,
            document: input.seed,
            mutator: input.mutator,
            status,
            problem,
          });
        let status = 0;
        try {
          const res = await session.t.app.inject({
            method: 'POST',
            url: `/api/v1/intents/${session.intentId}/evidence?${queryFor(kind, random)}`,
            payload: input.bytes,
            headers: {
              authorization: `Bearer ${session.submitter.token}`,
              'content-type': 'application/octet-stream',
            },
          });
          status = res.statusCode;
          options.onResponse?.(input, status, res.body);
          const problem = check(status, res.body);
          if (problem !== null) fail(status, problem);
          if (status === 201) session.stored += 1;
          // Nothing stored for a refused document: the count moves only with a 201.
          const count = await session.evidenceCount();
          if (count !== session.stored) {
            fail(status, `evidence count ${count}, expected ${session.stored}`);
            session.stored = count;
          }
        } catch (error) {
          fail(status, `the request threw: ${(error as Error).message.slice(0, 200)}`);
        }
        session.inputs += 1;
        report.inputs += 1;
        report.statuses[status] = (report.statuses[status] ?? 0) + 1;
        report.mutators[input.mutator] = (report.mutators[input.mutator] ?? 0) + 1;
        if (report.inputs % 500 === 0) {
          if (!(await session.alive())) fail(status, 'the server stopped answering /healthz');
          options.onProgress?.(kind, report.inputs);
        }
      }
      if (!(await session.alive())) {
        report.failures.push({
          kind,
          seed: options.seed,
          index: last,
          document: '',
          mutator: '',
          status: 0,
          problem: 'the server stopped answering /healthz',
        });
      }
      report.millis = Date.now() - started;
      reports.push(report);
      options.onReport?.(report);
    }
  } finally {
    await session.t.close();
    rmSync(signatures.pki.dir, { recursive: true, force: true });
  }
  return reports;
}

export { EVIDENCE_KINDS };
