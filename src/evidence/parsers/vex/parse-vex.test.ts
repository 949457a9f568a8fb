import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseVex } from './parse-vex.js';

const corpus = path.resolve(process.cwd(), '../shared/corpus');
const bytes = (value: unknown): Uint8Array =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

function rejection(input: unknown, options?: Parameters<typeof parseVex>[1]): InvalidDocumentError {
  try {
    parseVex(input instanceof Uint8Array ? input : bytes(input), options);
  } catch (error) {
    if (error instanceof InvalidDocumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidDocumentError');
}

/** Independent count: vulnerabilities that carry an analysis state. */
function countStatements(doc: unknown): number {
  const vulns = (doc as { vulnerabilities?: unknown[] }).vulnerabilities ?? [];
  return vulns.filter(
    (v) => typeof (v as { analysis?: { state?: unknown } }).analysis?.state === 'string',
  ).length;
}

describe('parseVex on the corpus', () => {
  const files = readdirSync(path.join(corpus, 'vex'));

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  for (const name of files) {
    it(`${name}: statement count matches an independent count`, () => {
      const raw = readFileSync(path.join(corpus, 'vex', name));
      const parsed = parseVex(raw);
      expect(parsed.format).toBe('cyclonedx');
      expect(parsed.spec_version).toBe('1.4');
      expect(parsed.summary.statement_count).toBe(
        countStatements(JSON.parse(raw.toString('utf8'))),
      );
      expect(parsed.summary.statements).toHaveLength(parsed.summary.statement_count);
      expect(parsed.warnings).toEqual([]);
    });
  }

  it('resolves the CISA product ref through metadata.component (no purl: name@version)', () => {
    const parsed = parseVex(
      readFileSync(path.join(corpus, 'vex/cisa-case-1-not-affected.vex.cdx.json')),
    );
    expect(parsed.summary.statements).toEqual([
      {
        vulnerability_id: 'CVE-2021-44228',
        products: ['ABC@4.2'],
        status: 'not_affected',
        justification: 'code_not_present',
      },
    ]);
    const case2 = parseVex(readFileSync(path.join(corpus, 'vex/cisa-case-2.vex.cdx.json')));
    expect(case2.summary.statement_count).toBe(19);
    expect(new Set(case2.summary.statements.map((s) => s.justification))).toEqual(
      new Set(['code_not_reachable']),
    );
  });

  it('reads the CycloneDX conformance vulnerability example (an embedded VEX) as one statement', () => {
    const parsed = parseVex(
      readFileSync(path.join(corpus, 'conformance/cyclonedx/1.5/valid-vulnerability-1.5.json')),
    );
    expect(parsed.summary.statements).toEqual([
      {
        vulnerability_id: 'SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111',
        products: ['pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.4'],
        status: 'not_affected',
        justification: 'code_not_reachable',
      },
    ]);
  });

  it('refuses corpus scans and SBOMs as the wrong kind', () => {
    for (const file of [
      'scans/trivy/alpine-310.json',
      'scans/grype/image.grype.json',
      'scans/trivy/alpine-310.sarif.json',
    ]) {
      const error = rejection(readFileSync(path.join(corpus, file)));
      expect(error.reason, file).toBe('wrong_kind');
      expect(error.message).toMatch(/kind=vuln_scan/);
    }
    // A CycloneDX scan whose vulnerabilities carry no analysis is a scan, not a VEX.
    expect(
      rejection(readFileSync(path.join(corpus, 'scans/trivy/npm-cyclonedx.json'))).message,
    ).toMatch(/kind=vuln_scan/);
    for (const file of [
      'sbom/cyclonedx/trivy-centos-7.cdx.json',
      'sbom/spdx/trivy-centos-7.spdx.json',
    ]) {
      expect(rejection(readFileSync(path.join(corpus, file))).message).toMatch(/kind=sbom/);
    }
  });
});

const cdxVex = (vulnerabilities: unknown[], over: Record<string, unknown> = {}) => ({
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  ...over,
  vulnerabilities,
});

describe('CycloneDX VEX', () => {
  it('maps every analysis state and resolves refs (components, BOM-Links, purls, unknown refs)', () => {
    const states = [
      'not_affected',
      'false_positive',
      'resolved',
      'resolved_with_pedigree',
      'exploitable',
      'in_triage',
    ];
    const parsed = parseVex(
      bytes(
        cdxVex(
          [
            ...states.map((state, i) => ({
              id: `CVE-${i}`,
              analysis: { state, justification: i === 0 ? 'code_not_present' : undefined },
              affects: [{ ref: 'lib' }, { ref: 'lib' }],
            })),
            {
              id: 'CVE-X',
              analysis: { state: 'not_affected' },
              affects: [
                { ref: 'urn:cdx:abc/1#noversion' },
                { ref: 'urn:cdx:other/1#lib' },
                { ref: 'pkg:npm/left-pad@1.0.0' },
                { ref: 'ghost' },
              ],
            },
            { id: 'CVE-N', ratings: [] },
          ],
          {
            serialNumber: 'urn:uuid:abc',
            components: [
              { 'bom-ref': 'lib', name: 'lib', version: '1', purl: 'pkg:npm/lib@1' },
              { 'bom-ref': 'noversion', name: 'bare' },
            ],
          },
        ),
      ),
    );
    expect(parsed.summary.statements.map((s) => s.status)).toEqual([
      'not_affected',
      'not_affected',
      'fixed',
      'fixed',
      'affected',
      'under_investigation',
      'not_affected',
    ]);
    expect(parsed.summary.statements[0]).toEqual({
      vulnerability_id: 'CVE-0',
      products: ['pkg:npm/lib@1'],
      status: 'not_affected',
      justification: 'code_not_present',
    });
    expect(parsed.summary.statements[6]?.products).toEqual([
      'urn:cdx:abc/1#noversion',
      'urn:cdx:other/1#lib',
      'pkg:npm/left-pad@1.0.0',
      'ghost',
    ]);
    expect(parsed.warnings).toEqual([
      expect.stringMatching(/1 vulnerabilities have no analysis/),
      expect.stringMatching(/1 affects refs match no component bom-ref; kept as written: "ghost"/),
    ]);
  });

  it('applies a statement without affects to the BOM subject, or to everything', () => {
    const withSubject = parseVex(
      bytes(
        cdxVex([{ id: 'CVE-1', analysis: { state: 'resolved' } }], {
          metadata: { component: { 'bom-ref': 'app', name: 'app', version: '2' } },
        }),
      ),
    );
    expect(withSubject.summary.statements[0]?.products).toEqual(['app@2']);
    const bare = parseVex(bytes(cdxVex([{ id: 'CVE-1', analysis: { state: 'resolved' } }])));
    expect(bare.summary.statements[0]?.products).toEqual([]);
  });

  it('accepts an empty vulnerabilities list with a warning', () => {
    const parsed = parseVex(bytes(cdxVex([])));
    expect(parsed.summary.statement_count).toBe(0);
    expect(parsed.warnings).toEqual(['The VEX document makes no statements.']);
  });

  it('names invalid states, ids and refs by JSON pointer', () => {
    const error = rejection(
      cdxVex([
        'x',
        { id: 'CVE-1', analysis: { state: 'maybe' }, affects: [{ ref: 'a' }] },
        { analysis: { state: 'in_triage' } },
        { id: 'CVE-2', analysis: {}, affects: [{}, 5] },
      ]),
    );
    expect(error.reason).toBe('invalid_structure');
    expect(error.errors.map((e) => e.path)).toEqual([
      '/vulnerabilities/0',
      '/vulnerabilities/1/analysis/state',
      '/vulnerabilities/2/id',
      '/vulnerabilities/3/analysis/state',
      '/vulnerabilities/3/affects/0/ref',
      '/vulnerabilities/3/affects/1/ref',
    ]);
    expect(error.errors[1]?.message).toMatch(/must be one of not_affected, false_positive/);
  });
});

const openvex = (statements: unknown, context = 'https://openvex.dev/ns/v0.2.0') => ({
  '@context': context,
  '@id': 'https://example.com/vex/1',
  author: 'Example',
  timestamp: '2024-01-01T00:00:00Z',
  version: 1,
  statements,
});

describe('OpenVEX', () => {
  it('reads v0.2.0 statements with object vulnerabilities, products, identifiers and subcomponents', () => {
    const parsed = parseVex(
      bytes(
        openvex([
          {
            vulnerability: { name: 'CVE-2023-1', aliases: ['GHSA-x'] },
            products: [
              {
                '@id': 'https://example.com/product/agent',
                identifiers: { purl: 'pkg:oci/agent@sha256%3Aabc' },
                subcomponents: [
                  { '@id': 'pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64' },
                  'pkg:npm/x@1',
                ],
              },
              'pkg:npm/x@1',
            ],
            status: 'not_affected',
            justification: 'vulnerable_code_not_present',
          },
          {
            vulnerability: { '@id': 'https://nvd.nist.gov/vuln/detail/CVE-2023-2' },
            status: 'under_investigation',
          },
        ]),
      ),
    );
    expect(parsed).toMatchObject({ format: 'openvex', spec_version: '0.2.0', warnings: [] });
    expect(parsed.summary.statements).toEqual([
      {
        vulnerability_id: 'CVE-2023-1',
        products: [
          'pkg:oci/agent@sha256%3Aabc',
          'pkg:apk/wolfi/git@2.39.0-r1?arch=x86_64',
          'pkg:npm/x@1',
        ],
        status: 'not_affected',
        justification: 'vulnerable_code_not_present',
      },
      {
        vulnerability_id: 'https://nvd.nist.gov/vuln/detail/CVE-2023-2',
        products: [],
        status: 'under_investigation',
        justification: null,
      },
    ]);
  });

  it('reads v0.0.1 statements (string vulnerability, string products, statement-level subcomponents)', () => {
    const parsed = parseVex(
      bytes(
        openvex(
          [
            {
              vulnerability: 'CVE-1',
              products: ['pkg:a/b@1'],
              subcomponents: ['pkg:a/c@2'],
              status: 'fixed',
            },
          ],
          'https://openvex.dev/ns',
        ),
      ),
      { format: 'openvex' },
    );
    expect(parsed.spec_version).toBeNull();
    expect(parsed.summary.statements[0]?.products).toEqual(['pkg:a/b@1', 'pkg:a/c@2']);
  });

  it('names invalid statements by JSON pointer', () => {
    const error = rejection(
      openvex([
        7,
        { vulnerability: 42, status: 'not_affected' },
        {
          vulnerability: 'CVE-1',
          status: 'ok',
          products: [{}, 3, { '@id': 'a', subcomponents: [null] }],
        },
      ]),
    );
    expect(error.errors.map((e) => e.path)).toEqual([
      '/statements/0',
      '/statements/1/vulnerability',
      '/statements/2/status',
      '/statements/2/products/0',
      '/statements/2/products/1',
      '/statements/2/products/2/subcomponents/0',
    ]);
    expect(rejection(openvex(undefined)).errors).toEqual([
      { path: '/statements', message: 'is required (an array of VEX statements)' },
    ]);
    expect(rejection(openvex({})).errors).toEqual([
      { path: '/statements', message: 'must be an array, got an object' },
    ]);
  });
});

describe('VEX detection', () => {
  it('lists the accepted formats for an unknown document and honours a requested format', () => {
    const unknown = rejection({ statements: [] });
    expect(unknown).toMatchObject({ reason: 'unknown_format' });
    expect(unknown.message).toMatch(/CycloneDX VEX.*OpenVEX/);
    expect(rejection({ a: 1 }, { format: 'openvex' }).reason).toBe('format_mismatch');
    expect(rejection(openvex([]), { format: 'cyclonedx' }).message).toBe(
      'format=cyclonedx was requested but the document is openvex.',
    );
    expect(rejection(cdxVex([]), { format: 'openvex' }).reason).toBe('format_mismatch');
    expect(parseVex(bytes(cdxVex([])), { format: 'cyclonedx' }).format).toBe('cyclonedx');
  });

  it('refuses truncated and non-JSON input with located errors', () => {
    const truncated = rejection(
      bytes('{"@context": "https://openvex.dev/ns/v0.2.0",\n"statements": ['),
    );
    expect(truncated).toMatchObject({ reason: 'invalid_json' });
    expect(truncated.errors[0]?.path).toBe('line 2');
    expect(rejection(bytes('<vex/>')).reason).toBe('unsupported_format');
  });

  it('unwraps an in-toto statement carrying an OpenVEX predicate, with a warning', () => {
    const statement = {
      predicateType: 'https://openvex.dev/ns',
      predicate: openvex([{ vulnerability: 'CVE-1', status: 'fixed' }]),
    };
    const parsed = parseVex(
      bytes({
        payloadType: 'application/vnd.in-toto+json',
        payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
      }),
    );
    expect(parsed.summary.statement_count).toBe(1);
    expect(parsed.warnings[0]).toMatch(/DSSE envelope.*not verified/);
  });
});

describe('defensive edges', () => {
  it('reports a missing OpenVEX status as null', () => {
    expect(rejection(openvex([{ vulnerability: 'CVE-1' }])).errors).toEqual([
      { path: '/statements/0/status', message: expect.stringMatching(/got null$/) },
    ]);
  });
});
