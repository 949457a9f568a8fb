import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dbKinds } from './databases.js';
import { addEvidence, createIntent } from './intake-fixtures.js';
import { OpensslPki } from './openssl-pki.js';
import { startTestApp, type TestApp, type TestUser } from './test-app.js';

/** The JSON text of `[[[…"x"…]]]`, `depth` levels deep. */
const deepArray = (depth: number) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;

/** A document whose one quoted field is a 5,000-level nested array (`DEEP` marks the spot). */
const DEEP = '"__DEEP__"';
const withDeep = (template: object) => JSON.stringify(template).replace(DEEP, deepArray(5000));

const deepField: Array<[string, string, object]> = [
  ['CycloneDX specVersion', 'kind=sbom', { bomFormat: 'CycloneDX', specVersion: '__DEEP__' }],
  [
    'SPDX spdxVersion',
    'kind=sbom&format=spdx',
    { spdxVersion: '__DEEP__', SPDXID: 'SPDXRef-DOCUMENT', name: 'x', packages: [] },
  ],
  [
    'OpenVEX status',
    'kind=vex&format=openvex',
    {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.org/vex/1',
      author: 'a',
      timestamp: '2024-01-01T00:00:00Z',
      version: 1,
      statements: [
        {
          vulnerability: { name: 'CVE-2024-0001' },
          products: [{ '@id': 'pkg:npm/x' }],
          status: '__DEEP__',
        },
      ],
    },
  ],
  [
    'CycloneDX VEX analysis.state',
    'kind=vex&format=cyclonedx',
    {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      vulnerabilities: [
        { id: 'CVE-2024-0001', affects: [{ ref: 'pkg:npm/x' }], analysis: { state: '__DEEP__' } },
      ],
    },
  ],
  [
    'Trivy SchemaVersion',
    'kind=vuln_scan&format=trivy',
    { SchemaVersion: '__DEEP__', ArtifactName: 'x', Results: [] },
  ],
  [
    'SARIF version',
    'kind=vuln_scan&format=sarif',
    { $schema: 'https://json.schemastore.org/sarif-2.1.0.json', version: '__DEEP__', runs: [] },
  ],
  [
    'Sigstore payloadType',
    'kind=signature&format=sigstore',
    {
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { certificate: { rawBytes: 'AAAA' } },
      dsseEnvelope: { payload: 'e30=', payloadType: '__DEEP__', signatures: [{ sig: 'AAAA' }] },
    },
  ],
];

describe.each(dbKinds)('hostile input on %s', (kind) => {
  let t: TestApp;
  let submitter: TestUser;
  let intentId: string;
  const pki = new OpensslPki();
  beforeAll(async () => {
    t = await startTestApp(kind);
    submitter = await t.user(['submitter']);
    ({ intentId } = await createIntent(t, submitter));
    // A trust anchor, so a Sigstore bundle is read at all rather than refused up front.
    pki.root('acme');
    const anchor = await t.call({
      method: 'POST',
      url: '/api/v1/trust-anchors',
      payload: { name: 'Acme root', pem: pki.pem('acme') },
    });
    if (anchor.statusCode !== 201) throw new Error(`trust anchor: ${anchor.body}`);
  });
  afterAll(async () => {
    await t.close();
    rmSync(pki.dir, { recursive: true, force: true });
  });

  const evidenceCount = async () =>
    (await t.call({ method: 'GET', url: `/api/v1/intents/${intentId}/evidence` })).json().evidence
      .length as number;

  it.each(deepField)(
    'refuses a 5,000-deep %s with a short 4xx problem',
    async (_name, query, template) => {
      const before = await evidenceCount();
      const res = await addEvidence(t, submitter, intentId, query, withDeep(template));
      expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, res.body).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const body = res.json();
      expect(body.detail.length, body.detail).toBeLessThan(400);
      expect(res.body.length).toBeLessThan(4000);
      expect(res.body).not.toContain('[[[[');
      expect(await evidenceCount()).toBe(before);
    },
  );

  it('refuses a CycloneDX VEX specVersion that is no version (found by the fuzzer: a 500)', async () => {
    const before = await evidenceCount();
    const doc = `{"bomFormat":"CycloneDX","specVersion":"${'\\ud800'.repeat(5000)}","vulnerabilities":[]}`;
    const res = await addEvidence(t, submitter, intentId, 'kind=vex', doc);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().errors[0].path).toBe('/specVersion');
    expect(res.body.length).toBeLessThan(2000);
    expect(await evidenceCount()).toBe(before);
  });

  // Found by `npm run fuzz` at 100,000 inputs: a lone surrogate parsed, then failed the
  // canonical JSON of the audit event (500). Refused where the document is parsed, any kind.
  it.each([
    [
      'a Trivy report',
      'kind=vuln_scan',
      '{"SchemaVersion":2,"ArtifactName":"x\\ud800","Results":[]}',
      '/ArtifactName',
    ],
    [
      'an OpenVEX document',
      'kind=vex',
      '{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.org/v","author":"\\udfff","timestamp":"2024-01-01T00:00:00Z","version":1,"statements":[]}',
      '/author',
    ],
    [
      'a CycloneDX SBOM key',
      'kind=sbom',
      '{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"x","\\ud800":1}]}',
      '/components/0/\ud800',
    ],
  ])(
    'refuses a lone surrogate in %s (422 invalid_unicode, located), storing nothing',
    async (_what, query, doc, path) => {
      const before = await evidenceCount();
      const res = await addEvidence(t, submitter, intentId, query, doc);
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json()).toMatchObject({ reason: 'invalid_unicode', errors: [{ path }] });
      expect(res.json().detail).toContain('lone surrogate');
      expect(await evidenceCount()).toBe(before);
    },
  );

  it('refuses a lone surrogate deep in an SBOM of more than 256 KiB (a worker parses it)', async () => {
    const components = Array.from({ length: 3000 }, (_, i) => ({
      type: 'library',
      name: `component-${i}`,
      version: '1.0.0',
      purl: `pkg:npm/component-${i}@1.0.0`,
    }));
    const text = JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components }).replace(
      '"component-2999"',
      '"component-\\ud800"',
    );
    expect(text.length).toBeGreaterThan(256 * 1024);
    const before = await evidenceCount();
    const res = await addEvidence(t, submitter, intentId, 'kind=sbom', text);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().detail).toContain('lone surrogate');
    expect(res.json().errors[0].path).toBe('/components/2999/name');
    expect(await evidenceCount()).toBe(before);
  });

  it('keeps a surrogate character reference in JUnit XML as written instead of decoding half a pair', async () => {
    const xml =
      '<testsuite name="s" tests="1"><testcase name="bad &#xD800; ref" classname="c" time="1"/></testsuite>';
    const res = await addEvidence(t, submitter, intentId, 'kind=test_results&stage=lab', xml);
    expect(res.statusCode, res.body).toBe(201);
    expect(JSON.stringify(res.json().summary)).not.toMatch(/\\ud800/i);
  });

  it('quotes a long string field bounded and on one line', async () => {
    const version = `9.${'9'.repeat(10_000)}\n\u0000injected`;
    const res = await addEvidence(
      t,
      submitter,
      intentId,
      'kind=vuln_scan&format=sarif',
      JSON.stringify({ version, runs: [] }),
    );
    expect(res.statusCode).toBe(422);
    const message: string = res.json().errors[0].message;
    expect(message).toContain('(10012 chars)');
    expect(message.length).toBeLessThan(200);
    expect(message).not.toMatch(/[\p{Cc}]/u);
  });

  it('bounds the XML validator message that quotes a tag name', async () => {
    const xml = `<testsuites>\n<testsuite name="s"></${'t'.repeat(50_000)}>\n</testsuites>`;
    const res = await addEvidence(t, submitter, intentId, 'kind=test_results&stage=lab', xml);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().detail.length).toBeLessThan(300);
  });

  it.each([
    [
      'nested past the parser limit',
      `<?xml version="1.0"?>\n<testsuites>\n${'<testsuite name="s">\n'.repeat(5000)}${'</testsuite>'.repeat(5000)}\n</testsuites>`,
      'line 102',
      /nested more than 100 levels/,
    ],
    [
      'with an element named __proto__',
      '<testsuites>\n<testsuite name="s">\n<__proto__><polluted/></__proto__>\n</testsuite>\n</testsuites>',
      'line 3',
      /"__proto__" is not allowed/,
    ],
    [
      'with an element named constructor',
      '<testsuites>\n<testsuite name="s"><testcase name="c"><constructor/></testcase></testsuite>\n</testsuites>',
      'line 2',
      /"constructor" is not allowed/,
    ],
  ])('refuses JUnit XML %s with a located 422', async (_name, xml, line, message) => {
    const before = await evidenceCount();
    const res = await addEvidence(t, submitter, intentId, 'kind=test_results&stage=lab', xml, {
      'content-type': 'application/xml',
    });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = res.json();
    expect(body.reason).toBe('invalid_xml');
    expect(body.errors).toEqual([{ path: line, message: expect.stringMatching(message) }]);
    expect(await evidenceCount()).toBe(before);
  });
});

/** Sends raw bytes to a listening server and answers everything it writes back. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
    });
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.on('close', () => resolve(answer));
    socket.end(request);
  });
}

function problemOf(answer: string): Record<string, unknown> {
  const [head, body] = answer.split('\r\n\r\n');
  expect(head).toMatch(/content-type: application\/problem\+json/i);
  return JSON.parse(body ?? '');
}

describe('framework errors are problem+json', () => {
  let t: TestApp;
  let submitter: TestUser;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    submitter = await t.user(['submitter']);
  });
  afterAll(async () => t.close());

  const expectProblem = (
    res: { statusCode: number; headers: Record<string, unknown>; body: string },
    status: number,
  ) => {
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(res.body);
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail']),
    );
    expect(body.status).toBe(status);
    expect(body.type).toMatch(/^urn:cabinet:problem:/);
    return body as { type: string; detail: string; errors?: unknown[]; reason?: string };
  };

  it('answers an over-long path parameter with 414, not echoing the URL', async () => {
    const res = await t.call({ method: 'GET', url: `/api/v1/intents/${'z'.repeat(5000)}` });
    const body = expectProblem(res, 414);
    expect(res.body).not.toContain('zzzz');
    expect(body.type).toBe('urn:cabinet:problem:uri_too_long');
  });

  it('answers a malformed percent-encoding with 400, not echoing the URL', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/intents/%E0%A4%A' });
    expectProblem(res, 400);
    expect(res.body).not.toContain('%E0');
  });

  it('bounds the path a 404 names', async () => {
    const res = await t.call({ method: 'GET', url: `/api/v1/${'q'.repeat(10_000)}` });
    const body = expectProblem(res, 404);
    expect(body.detail.length).toBeLessThan(200);
  });

  it('answers a JSON route given text/plain with 415', async () => {
    const res = await t.call({
      as: submitter,
      method: 'POST',
      url: '/api/v1/intents',
      payload: '{}',
      headers: { 'content-type': 'text/plain' },
    });
    const body = expectProblem(res, 415);
    expect(body.detail).toMatch(/"text\/plain" is not accepted here/);
  });

  it('says a __proto__ key is what was refused, and where', async () => {
    const res = await t.call({
      as: submitter,
      method: 'POST',
      url: '/api/v1/intents',
      payload: '{"app_name":"x","rollout_plan":{"rings":[{"__proto__":{"admin":true}}]}}',
      headers: { 'content-type': 'application/json' },
    });
    const body = expectProblem(res, 400);
    expect(body.detail).toMatch(/the key __proto__ is not allowed/);
    expect(body.errors).toEqual([
      { path: '/rollout_plan/rings/0/__proto__', message: 'the key __proto__ is not allowed' },
    ]);
    const ctor = await t.call({
      as: submitter,
      method: 'POST',
      url: '/api/v1/intents',
      payload: '{"constructor":{"prototype":{"admin":true}}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(expectProblem(ctor, 400).detail).toMatch(/constructor\.prototype is not allowed/);
  });

  it('refuses a lone surrogate in a JSON body with 400 and its pointer', async () => {
    const res = await t.call({
      as: submitter,
      method: 'POST',
      url: '/api/v1/intents',
      payload: '{"app_name":"7-Zip\\ud800","rollout_plan":{"rings":[]}}',
      headers: { 'content-type': 'application/json' },
    });
    const body = expectProblem(res, 400);
    expect(body).toMatchObject({ reason: 'invalid_unicode', errors: [{ path: '/app_name' }] });
  });

  it('answers bad JSON with 400 without quoting the body', async () => {
    const secret = 'SECRET-BODY-TEXT';
    const res = await t.call({
      as: submitter,
      method: 'POST',
      url: '/api/v1/intents',
      payload: `{"a": ${secret}}`,
      headers: { 'content-type': 'application/json' },
    });
    const body = expectProblem(res, 400);
    expect(body.type).toBe('urn:cabinet:problem:malformed_body');
    expect(res.body).not.toContain(secret);
  });

  it('answers 413 for a JSON body over the limit', async () => {
    const res = await t.call({
      as: submitter,
      method: 'POST',
      url: '/api/v1/intents',
      payload: `{"a":"${'x'.repeat(t.container.config.maxBodyBytes + 10)}"}`,
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 413);
  });

  it('answers headers too large (431) and garbage (400) on the socket as problem+json', async () => {
    const server = await startTestApp('sqlite');
    try {
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      const address = server.app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      const big = await rawHttp(
        port,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(64 * 1024)}\r\n\r\n`,
      );
      expect(big).toMatch(/^HTTP\/1\.1 431 /);
      expect(problemOf(big)).toMatchObject({
        status: 431,
        type: 'urn:cabinet:problem:headers_too_large',
      });
      expect(big).not.toContain('bbbb');
      const garbage = await rawHttp(port, 'NOT HTTP AT ALL\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
      expect(problemOf(garbage)).toMatchObject({ status: 400 });
    } finally {
      await server.close();
    }
  });
});
