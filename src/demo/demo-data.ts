/**
 * `cabinet demo`: fills the configured database with a realistic CAB data set, built from the
 * real scanner and SBOM documents of the shared corpus and driven entirely through the HTTP
 * API (in process, `app.inject` with bearer tokens), so every step is validated, authorised
 * and audited exactly as for a real user. The one step outside the API is the operator's own
 * admin token (`demo-admin@example.org`), issued the way `cabinet users create` and
 * `cabinet tokens create` do. What the set contains: docs/architecture/demo.md.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Container } from '../composition-root.js';
import type { Config } from '../config/config.js';
import type { Role } from '../identity/roles.js';
import type { Context } from '../platform/context.js';
import { type DemoCorpus, strictFleetScan, trivyBlockingFindings } from './demo-corpus.js';
import { createDemoPki, type DemoPki } from './demo-pki.js';
import { intentFields } from './intent-fields.js';

export const DEMO_ADMIN_EMAIL = 'demo-admin@example.org';

/** The people of the demo; `key` names them in the scenario and in the printed tokens. */
export const DEMO_USERS = [
  {
    key: 'submitter',
    email: 'demo-submitter@example.org',
    name: 'Dana Submitter',
    roles: ['submitter'],
  },
  { key: 'cab1', email: 'demo-cab-1@example.org', name: 'Casey CAB', roles: ['cab_member'] },
  { key: 'cab2', email: 'demo-cab-2@example.org', name: 'Robin CAB', roles: ['cab_member'] },
  {
    key: 'security',
    email: 'demo-security@example.org',
    name: 'Sam Security',
    // Also a CAB member: a CRITICAL request needs a security reviewer among its approvers.
    roles: ['security_reviewer', 'cab_member'],
  },
  { key: 'auditor', email: 'demo-auditor@example.org', name: 'Alex Auditor', roles: ['auditor'] },
] as const satisfies readonly { key: string; email: string; name: string; roles: Role[] }[];

export type DemoUserKey = (typeof DEMO_USERS)[number]['key'];

export interface DemoResult {
  /** false when the demo users were already there: nothing was added, tokens were reissued. */
  created: boolean;
  tokens: Record<DemoUserKey, { email: string; token: string }>;
  /** What was made (zero on a second run). */
  counts: { intents: number; packs: number; requests: number; exceptions: number };
}

export interface DemoDeps {
  app: FastifyInstance;
  container: Container;
  config: Config;
  corpus: DemoCorpus;
  /** The operator's context (the CLI's `cliContext`), for the admin token only. */
  operator: Context;
  progress(line: string): void;
}

interface Reply {
  status: number;
  body: string;
  json<T>(): T;
}

/** One caller of the API: a bearer token. */
class Api {
  constructor(private readonly app: FastifyInstance) {}

  async call(
    token: string,
    method: 'GET' | 'POST' | 'PATCH',
    url: string,
    body?: unknown,
    contentType?: string,
  ): Promise<Reply> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    let payload: string | Buffer | undefined;
    if (body !== undefined) {
      if (Buffer.isBuffer(body) || typeof body === 'string') {
        payload = body;
        headers['content-type'] = contentType ?? 'application/octet-stream';
      } else {
        payload = JSON.stringify(body);
        headers['content-type'] = 'application/json';
      }
    }
    const res = await this.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) {
      throw new Error(`demo: ${method} ${url} answered ${res.statusCode}: ${res.body}`);
    }
    return { status: res.statusCode, body: res.body, json: <T>() => res.json<T>() };
  }
}

type Plane = 'intune' | 'jamf' | 'configmgr' | 'landscape';

/**
 * How a pack lands in a band under risk model 1.0 (docs/architecture/risk-model.md), from
 * the corpus documents only (build time unknown, so artifact age counts 100 everywhere):
 * - standard: signed, clean scan (alpine-310), VEX, lab 91 %, ring 0 passed → LOW, no
 *   violation (auto-approved).
 * - low_violation: the same unsigned, no VEX → LOW with one violation (a normal change).
 * - caution: SBOM and the clean scan only → 50, CAUTION.
 * - excepted: standard with the fluentd scan, its critical finding accepted by an exception
 *   (the high one remains) → MODERATE.
 * - high: unsigned, untested, juice-shop's 840-component SBOM, the fluentd scan with both its
 *   findings accepted by exceptions → HIGH.
 * - critical: as high with the bundled SBOM of over 1,000 components → CRITICAL.
 */
type Profile = 'standard' | 'low_violation' | 'caution' | 'high' | 'critical' | 'excepted';

const BAND: Record<Profile, string> = {
  standard: 'LOW',
  low_violation: 'LOW',
  caution: 'CAUTION',
  high: 'HIGH',
  critical: 'CRITICAL',
  excepted: 'MODERATE',
};

interface App {
  name: string;
  version: string;
  previous: string;
  plane: Plane;
  publisher: string;
  file: string;
  profile: Profile;
  justification: string;
  /** Days until the exceptions of this intent expire (excepted, critical). */
  exceptionDays?: number[];
}

const APPS: App[] = [
  {
    name: '7-Zip',
    version: '24.08',
    previous: '23.01',
    plane: 'intune',
    publisher: 'Igor Pavlov',
    file: '7z2408-x64.exe',
    profile: 'standard',
    justification: 'Monthly security update',
  },
  {
    name: 'Firefox ESR',
    version: '128.5.0',
    previous: '128.4.0',
    plane: 'jamf',
    publisher: 'Mozilla Corporation',
    file: 'Firefox-128.5.0esr.pkg',
    profile: 'standard',
    justification: 'ESR point release with security fixes',
  },
  {
    name: 'Notepad++',
    version: '8.7.1',
    previous: '8.6.9',
    plane: 'configmgr',
    publisher: 'Notepad++ Team',
    file: 'npp.8.7.1.Installer.x64.exe',
    profile: 'low_violation',
    justification: 'Editor update requested by the service desk',
  },
  {
    name: 'OpenSSL',
    version: '3.0.15',
    previous: '3.0.14',
    plane: 'landscape',
    publisher: 'OpenSSL Project',
    file: 'openssl_3.0.15-1_amd64.deb',
    profile: 'caution',
    justification: 'Library update for CVE fixes',
  },
  {
    name: 'Slack',
    version: '4.41.97',
    previous: '4.40.128',
    plane: 'jamf',
    publisher: 'Slack Technologies',
    file: 'Slack-4.41.97-macOS.pkg',
    profile: 'high',
    justification: 'Vendor-forced minimum version',
    exceptionDays: [20, 25],
  },
  {
    name: 'Zoom Workplace',
    version: '6.2.11',
    previous: '6.1.6',
    plane: 'intune',
    publisher: 'Zoom Video Communications',
    file: 'ZoomInstallerFull.msi',
    profile: 'critical',
    justification: 'Quarterly client refresh',
    exceptionDays: [5, 6],
  },
  {
    name: 'Java Runtime',
    version: '8u431',
    previous: '8u421',
    plane: 'configmgr',
    publisher: 'Oracle America',
    file: 'jre-8u431-windows-x64.exe',
    profile: 'high',
    justification: 'Legacy line-of-business dependency',
    exceptionDays: [40, 40],
  },
  {
    name: 'Google Chrome',
    version: '131.0.6778.86',
    previous: '131.0.6778.69',
    plane: 'intune',
    publisher: 'Google LLC',
    file: 'googlechromestandaloneenterprise64.msi',
    profile: 'low_violation',
    justification: 'Actively exploited zero-day: emergency patch',
  },
  {
    name: 'Fluentd agent',
    version: '1.17.1',
    previous: '1.16.5',
    plane: 'landscape',
    publisher: 'Fluentd Project',
    file: 'fluent-package_5.0.5-1_amd64.deb',
    profile: 'excepted',
    justification: 'Log shipper update for the new SIEM',
    exceptionDays: [30],
  },
  {
    name: 'Proton Mail Bridge',
    version: '1.8.0',
    previous: '1.6.3',
    plane: 'jamf',
    publisher: 'Proton AG',
    file: 'Bridge-Installer-1.8.0.dmg',
    profile: 'low_violation',
    justification: 'Bridge update for the shared mailboxes',
  },
  {
    name: 'Visual Studio Code',
    version: '1.95.3',
    previous: '1.94.2',
    plane: 'intune',
    publisher: 'Microsoft Corporation',
    file: 'VSCodeSetup-x64-1.95.3.exe',
    profile: 'excepted',
    justification: 'Developer workstation update',
    exceptionDays: [3],
  },
  {
    name: 'LibreOffice',
    version: '24.8.3',
    previous: '24.2.7',
    plane: 'landscape',
    publisher: 'The Document Foundation',
    file: 'libreoffice_24.8.3-1_amd64.deb',
    profile: 'caution',
    justification: 'Office suite feature release',
  },
];

/** Stand-in installer bytes: deterministic per app and version, so digests are stable. */
function artifactBytes(app: App): Buffer {
  const seed = createHash('sha256').update(`cabinet demo ${app.name} ${app.version}`).digest();
  return Buffer.concat(
    Array.from({ length: 256 }, (_, i) => Buffer.concat([seed, Buffer.from([i])])),
  );
}

const LAB_TESTS = JSON.stringify({
  stage: 'lab',
  total: 42,
  passed: 42,
  failed: 0,
  skipped: 0,
  coverage_percent: 91,
});

const RING0_TESTS =
  '<testsuite name="ring0" tests="3"><testcase name="install"/><testcase name="detect"/>' +
  '<testcase name="uninstall"/></testsuite>';

const DAY = 86_400_000;

interface Made {
  intentId: string;
  packId: string;
  artifactSha256: string;
  exceptionIds: string[];
}

export async function runDemo(deps: DemoDeps): Promise<DemoResult> {
  const { app, container, corpus, operator, progress } = deps;
  const api = new Api(app);
  const adminToken = await operatorAdminToken(container, operator);

  const existing = await findUsers(api, adminToken);
  const already = DEMO_USERS.every((u) => existing.has(u.email));
  const counts = { intents: 0, packs: 0, requests: 0, exceptions: 0 };
  if (already) {
    progress('demo users already exist: adding nothing, issuing fresh tokens');
    const tokens = await issueTokens(api, adminToken, existing);
    return { created: false, tokens, counts };
  }
  if (DEMO_USERS.some((u) => existing.has(u.email))) {
    const some = DEMO_USERS.filter((u) => existing.has(u.email)).map((u) => u.email);
    throw new Error(
      `demo: only some demo users exist (${some.join(', ')}): a previous run stopped half way; use an empty database`,
    );
  }

  progress(`creating ${DEMO_USERS.length} demo users`);
  const ids = new Map<string, string>();
  for (const u of DEMO_USERS) {
    const made = await api.call(adminToken, 'POST', '/api/v1/users', {
      email: u.email,
      display_name: u.name,
      roles: u.roles,
    });
    ids.set(u.email, made.json<{ id: string }>().id);
  }
  const tokens = await issueTokens(api, adminToken, ids);
  const t = (key: DemoUserKey) => tokens[key].token;

  const now = container.clock.now();
  progress('making a code-signing PKI and trusting its root');
  const pki = await createDemoPki(now);
  await api.call(adminToken, 'POST', '/api/v1/trust-anchors', {
    name: 'Cabinet Demo Root CA',
    pem: pki.rootPem,
  });

  const made = new Map<string, Made>();
  let step = 0;
  for (const spec of APPS) {
    step += 1;
    progress(
      `[${step}/${APPS.length}] ${spec.name} ${spec.version} (${spec.plane}): evidence for a ${BAND[spec.profile]} pack`,
    );
    made.set(spec.name, await buildIntent(api, t, corpus, pki, spec, now));
    counts.intents += 1;
    counts.packs += 1;
    counts.exceptions += spec.exceptionDays?.length ?? 0;
  }
  const get = (name: string) => made.get(name)!;

  const submit = async (name: string, emergency = false) => {
    const spec = APPS.find((a) => a.name === name)!;
    const res = await api.call(t('submitter'), 'POST', '/api/v1/cab/submit/', {
      evidence_pack_id: get(name).packId,
      justification: spec.justification,
      ...(emergency ? { emergency: true } : {}),
    });
    counts.requests += 1;
    return res.json<{ id: string; status: string }>();
  };

  progress('submitting to the CAB');
  for (const name of ['7-Zip', 'Firefox ESR']) await submit(name); // standard: auto-approved
  for (const name of ['Notepad++', 'Zoom Workplace', 'LibreOffice', 'Visual Studio Code'])
    await submit(name);
  const slack = await submit('Slack');

  progress('CAB decisions: a conditional approval, a denial, an emergency, a partial quorum');
  const openssl = await submit('OpenSSL');
  await api.call(t('cab1'), 'POST', `/api/v1/cab/${openssl.id}/approve/`, {
    notes: 'Fine once the pilot ring has reported back.',
    conditions: [
      {
        text: 'Pilot ring feedback reviewed by the service owner',
        blocks_rollout: true,
        before_ring: 'ring1',
      },
      { text: 'Update the server hardening baseline', blocks_rollout: false },
    ],
  });
  const java = await submit('Java Runtime');
  await api.call(t('cab2'), 'POST', `/api/v1/cab/${java.id}/deny/`, {
    reason: 'Many high findings and no test evidence: retire the Java 8 dependency instead.',
  });
  const chrome = await submit('Google Chrome', true);
  await api.call(t('cab1'), 'POST', `/api/v1/cab/${chrome.id}/approve/`, {
    notes: 'Emergency approved: exploited in the wild. Post-implementation review due.',
  });
  await api.call(t('cab2'), 'POST', `/api/v1/cab/${slack.id}/approve/`, {
    notes: 'One of the two approvals a HIGH change needs.',
  });

  progress('a stale request: its exception is revoked after submission');
  await submit('Fluentd agent');
  await api.call(
    t('security'),
    'POST',
    `/api/v1/exceptions/${get('Fluentd agent').exceptionIds[0]}/revoke`,
    {
      reason: 'The compensating EDR rule was withdrawn.',
    },
  );

  progress('a second pack version: new SBOM and lab results for Proton Mail Bridge');
  await submit('Proton Mail Bridge');
  const bridge = get('Proton Mail Bridge');
  await addEvidence(
    api,
    t('submitter'),
    bridge.intentId,
    'kind=sbom',
    corpus.read('sbomSmallNext'),
  );
  await addEvidence(api, t('submitter'), bridge.intentId, 'kind=test_results', LAB_TESTS);
  const v2 = await api.call(
    t('submitter'),
    'POST',
    `/api/v1/intents/${bridge.intentId}/evidence-packs`,
  );
  counts.packs += 1;
  bridge.packId = v2.json<{ id: string }>().id;
  await submit('Proton Mail Bridge');

  return { created: true, tokens, counts };
}

async function addEvidence(
  api: Api,
  token: string,
  intentId: string,
  query: string,
  body: Buffer | string,
) {
  return api.call(token, 'POST', `/api/v1/intents/${intentId}/evidence?${query}`, body);
}

async function buildIntent(
  api: Api,
  t: (key: DemoUserKey) => string,
  corpus: DemoCorpus,
  pki: DemoPki,
  spec: App,
  now: Date,
): Promise<Made> {
  const sub = t('submitter');
  const query = new URLSearchParams({ filename: spec.file, publisher: spec.publisher });
  const uploaded = await api.call(sub, 'POST', `/api/v1/artifacts?${query}`, artifactBytes(spec));
  const artifactSha256 = uploaded.json<{ sha256: string }>().sha256;
  const intent = await api.call(sub, 'POST', '/api/v1/intents', intentFields(spec, artifactSha256));
  const intentId = intent.json<{ id: string }>().id;
  const add = (q: string, body: Buffer | string) => addEvidence(api, sub, intentId, q, body);

  const profile = spec.profile;
  const sbom =
    profile === 'critical' || profile === 'high'
      ? corpus.read('sbomLarge')
      : corpus.read(spec.name === 'Firefox ESR' ? 'sbomLaravel' : 'sbomSmall');
  await add('kind=sbom', sbom);
  const scan =
    profile === 'critical'
      ? strictFleetScan(corpus)
      : corpus.read(
          profile === 'standard' || profile === 'low_violation' || profile === 'caution'
            ? 'cleanScan'
            : 'criticalScan',
        );
  await add('kind=vuln_scan', scan);
  if (profile === 'standard') await add('kind=vex', corpus.read('vex'));
  if (profile === 'standard' || profile === 'low_violation' || profile === 'excepted') {
    await add('kind=test_results', LAB_TESTS);
    await add('kind=test_results&stage=ring0', RING0_TESTS);
  }
  if (profile === 'standard' || profile === 'excepted') {
    await add(
      'kind=signature',
      JSON.stringify({
        signature: pki.signDigest(artifactSha256),
        certificate_chain: [pki.leafPem],
      }),
    );
  }

  // excepted: the critical finding only; high: each blocking finding, one apiece;
  // critical: every critical finding in one exception, the first high in another.
  const blocking = trivyBlockingFindings(scan);
  const criticals = blocking.filter((f) => f.severity === 'critical');
  const highs = blocking.filter((f) => f.severity === 'high');
  const groups =
    profile === 'excepted'
      ? [criticals]
      : profile === 'critical'
        ? [criticals, highs.slice(0, 1)]
        : blocking.map((f) => [f]);
  const exceptionIds: string[] = [];
  for (const [i, days] of (spec.exceptionDays ?? []).entries()) {
    const group = groups[i] ?? [];
    if (group.length === 0) {
      throw new Error(`demo: ${spec.name}: the corpus scan has too few findings to waive`);
    }
    const first = group[0]!;
    const requested = await api.call(sub, 'POST', '/api/v1/exceptions', {
      exception_type: first.severity === 'critical' ? 'vuln_critical' : 'vuln_high',
      scope: { artifact_sha256: artifactSha256, finding_ids: group.map((f) => f.id) },
      description: `${group.map((f) => f.id.split('|')[0]).join(', ')}: not reachable from the ${spec.name} installer path.`,
      compensating_controls: 'EDR rule 42 blocks the vulnerable code path; egress filtered.',
      expires_at: new Date(now.getTime() + days * DAY).toISOString(),
    });
    const id = requested.json<{ id: string }>().id;
    await api.call(t('security'), 'POST', `/api/v1/exceptions/${id}/approve`, {
      verification_steps: 'Checked EDR rule 42 is deployed on every ring.',
    });
    exceptionIds.push(id);
  }

  const pack = await api.call(sub, 'POST', `/api/v1/intents/${intentId}/evidence-packs`);
  const body = pack.json<{
    id: string;
    body: { risk: { score: number; recommendation: string } };
  }>();
  if (body.body.risk.recommendation !== BAND[profile]) {
    throw new Error(
      `demo: ${spec.name} scored ${body.body.risk.score} (${body.body.risk.recommendation}), not ${BAND[profile]}`,
    );
  }
  return { intentId, packId: body.id, artifactSha256, exceptionIds };
}

/** The operator's admin (demo-admin@example.org), made once, with a fresh token each run. */
async function operatorAdminToken(container: Container, operator: Context): Promise<string> {
  const { identity, database } = container;
  const existing = await identity.findUserByEmail(DEMO_ADMIN_EMAIL);
  return database.transaction(async (trx) => {
    const user =
      existing ??
      (await identity.createUser(trx, operator, {
        email: DEMO_ADMIN_EMAIL,
        display_name: 'Demo Admin',
        roles: ['admin'],
      }));
    const issued = await identity.createToken(trx, operator, {
      user_id: user.id,
      name: 'cabinet demo',
      expires_in_days: 1,
    });
    return issued.token;
  });
}

/** Every user by email (id), through the API. */
async function findUsers(api: Api, adminToken: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const url: string = `/api/v1/users?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = (await api.call(adminToken, 'GET', url)).json<{
      users: { id: string; email: string }[];
      next_cursor: string | null;
    }>();
    for (const u of page.users) found.set(u.email, u.id);
    cursor = page.next_cursor;
  } while (cursor);
  return found;
}

async function issueTokens(
  api: Api,
  adminToken: string,
  ids: Map<string, string>,
): Promise<DemoResult['tokens']> {
  const tokens = {} as DemoResult['tokens'];
  for (const u of DEMO_USERS) {
    const issued = await api.call(adminToken, 'POST', '/api/v1/tokens', {
      user_id: ids.get(u.email),
      name: 'cabinet demo',
      expires_in_days: 30,
    });
    tokens[u.key] = { email: u.email, token: issued.json<{ token: string }>().token };
  }
  return tokens;
}
