import { describe, expect, it } from 'vitest';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseScan } from './parse-scan.js';

const bytes = (value: unknown): Uint8Array =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

function rejection(
  input: unknown,
  options?: Parameters<typeof parseScan>[1],
): InvalidDocumentError {
  try {
    parseScan(input instanceof Uint8Array ? input : bytes(input), options);
  } catch (error) {
    if (error instanceof InvalidDocumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidDocumentError');
}

const trivyVuln = (over: Record<string, unknown> = {}) => ({
  VulnerabilityID: 'CVE-2024-0001',
  PkgName: 'openssl',
  InstalledVersion: '3.0.1',
  FixedVersion: '3.0.2',
  Severity: 'HIGH',
  PkgIdentifier: { PURL: 'pkg:deb/debian/openssl@3.0.1?arch=amd64' },
  Title: 'openssl: bad thing',
  ...over,
});
const trivy = (results: unknown[], over: Record<string, unknown> = {}) => ({
  SchemaVersion: 2,
  Trivy: { Version: '0.50.0' },
  ArtifactName: 'img',
  Results: results,
  ...over,
});

describe('Trivy JSON', () => {
  it('counts a vulnerability repeated across targets once, keeping every target and the highest severity', () => {
    const parsed = parseScan(
      bytes(
        trivy([
          { Target: 'a/package-lock.json', Vulnerabilities: [trivyVuln({ Severity: 'MEDIUM' })] },
          {
            Target: 'b/package-lock.json',
            Vulnerabilities: [trivyVuln({ FixedVersion: '' }), trivyVuln({ PkgName: 'libssl' })],
          },
          { Target: 'c', Vulnerabilities: null },
          { Target: '', Class: 'custom' },
        ]),
      ),
    );
    expect(parsed).toMatchObject({ format: 'trivy', spec_version: '2', warnings: [] });
    expect(parsed.summary).toMatchObject({
      tool: 'trivy',
      tool_version: '0.50.0',
      finding_count: 2,
      severity_counts: { critical: 0, high: 2, medium: 0, low: 0, unknown: 0 },
      passed: false,
    });
    expect(parsed.summary.findings[0]).toEqual({
      id: 'CVE-2024-0001|openssl|3.0.1',
      vulnerability_id: 'CVE-2024-0001',
      package: 'openssl',
      installed_version: '3.0.1',
      fixed_version: '3.0.2',
      severity: 'high',
      purl: 'pkg:deb/debian/openssl@3.0.1?arch=amd64',
      targets: ['a/package-lock.json', 'b/package-lock.json'],
      title: 'openssl: bad thing',
    });
  });

  it('takes missing or unrecognised severities as unknown, with a warning', () => {
    const parsed = parseScan(
      bytes(
        trivy([
          {
            Target: 't',
            Vulnerabilities: [
              trivyVuln({ Severity: 'SEVERE' }),
              trivyVuln({
                VulnerabilityID: 'CVE-2',
                Severity: undefined,
                InstalledVersion: undefined,
              }),
              trivyVuln({ VulnerabilityID: 'CVE-3', Severity: 'critical', PkgIdentifier: 'x' }),
            ],
          },
        ]),
      ),
    );
    expect(parsed.summary.severity_counts).toEqual({
      critical: 1,
      high: 0,
      medium: 0,
      low: 0,
      unknown: 2,
    });
    expect(parsed.summary.findings[1]).toMatchObject({
      id: 'CVE-2|openssl|',
      installed_version: null,
    });
    expect(parsed.summary.findings[2]?.purl).toBeNull();
    expect(parsed.warnings).toEqual([expect.stringMatching(/2 Trivy vulnerabilities/)]);
  });

  it('accepts a report with no Results (nothing scanned) and no Trivy version', () => {
    const parsed = parseScan(bytes({ SchemaVersion: 2, ArtifactName: 'x' }));
    expect(parsed.summary).toMatchObject({ finding_count: 0, tool_version: null, passed: true });
  });

  it('refuses other schema versions', () => {
    const error = rejection({ SchemaVersion: 1, Results: [] });
    expect(error.reason).toBe('unsupported_version');
    expect(error.errors).toEqual([
      { path: '/SchemaVersion', message: expect.stringMatching(/must be 2/) },
    ]);
  });

  it('names every structural problem by JSON pointer', () => {
    const error = rejection(
      trivy([
        'nope',
        {
          Target: 't',
          Vulnerabilities: [trivyVuln(), { PkgName: 'x' }, 7, trivyVuln({ PkgName: '' })],
        },
        { Target: 'u', Vulnerabilities: {} },
      ]),
    );
    expect(error.reason).toBe('invalid_structure');
    expect(error.errors.map((e) => e.path)).toEqual([
      '/Results/0',
      '/Results/1/Vulnerabilities/1/VulnerabilityID',
      '/Results/1/Vulnerabilities/2',
      '/Results/1/Vulnerabilities/3/PkgName',
      '/Results/2/Vulnerabilities',
    ]);
    expect(rejection(trivy({} as unknown as unknown[])).errors).toEqual([
      { path: '/Results', message: 'must be an array, got an object' },
    ]);
  });

  it('caps the error list for a hostile document', () => {
    const error = rejection(
      trivy([{ Target: 't', Vulnerabilities: Array.from({ length: 150 }, () => 1) }]),
    );
    expect(error.errors).toHaveLength(100);
    expect(error.message).toMatch(/50 further problems/);
  });
});

const grypeMatch = (over: { vulnerability?: object; artifact?: object } = {}) => ({
  vulnerability: {
    id: 'GHSA-aaaa-bbbb-cccc',
    severity: 'High',
    fix: { versions: ['2.0.0'] },
    ...over.vulnerability,
  },
  artifact: {
    name: 'lodash',
    version: '1.0.0',
    purl: '',
    locations: [{ path: '/app/package.json' }],
    ...over.artifact,
  },
});

describe('Grype JSON', () => {
  it('maps Negligible to low and reads fixes, purls and locations', () => {
    const parsed = parseScan(
      bytes({
        matches: [
          grypeMatch(),
          grypeMatch({
            vulnerability: { id: 'CVE-9', severity: 'Negligible', fix: { versions: [] } },
          }),
          grypeMatch({ vulnerability: { id: 'CVE-10', severity: 'Whatever', fix: 'x' } }),
          grypeMatch({ artifact: { locations: [], purl: 'pkg:npm/lodash@1.0.0', version: '' } }),
          grypeMatch({ artifact: { locations: [{ path: '/b' }, 'junk'] } }),
        ],
        descriptor: { name: 'Grype', version: '0.74.0' },
      }),
    );
    expect(parsed.summary).toMatchObject({
      tool: 'grype',
      tool_version: '0.74.0',
      finding_count: 4,
      severity_counts: { critical: 0, high: 2, medium: 0, low: 1, unknown: 1 },
    });
    const [first, , , versionless] = parsed.summary.findings;
    expect(first).toMatchObject({
      fixed_version: '2.0.0',
      purl: null,
      targets: ['/app/package.json', '/b'],
      title: null,
    });
    expect(versionless).toMatchObject({
      installed_version: null,
      purl: 'pkg:npm/lodash@1.0.0',
      targets: [],
    });
    expect(parsed.summary.findings[1]?.fixed_version).toBeNull();
    expect(parsed.warnings).toEqual([expect.stringMatching(/1 Grype matches/)]);
  });

  it('warns when there is no descriptor and names structural problems', () => {
    expect(parseScan(bytes({ matches: [] })).warnings).toEqual([
      expect.stringMatching(/no descriptor/),
    ]);
    const error = rejection({
      matches: [
        3,
        { vulnerability: 'x', artifact: null },
        grypeMatch({ vulnerability: { id: '' }, artifact: { name: 5 } }),
      ],
    });
    expect(error.errors.map((e) => e.path)).toEqual([
      '/matches/0',
      '/matches/1/vulnerability',
      '/matches/1/artifact',
      '/matches/2/vulnerability/id',
      '/matches/2/artifact/name',
    ]);
  });
});

const sarif = (runs: unknown[], version = '2.1.0') => ({ version, runs });
const run = (results: unknown[], rules: unknown[] = [], driver: object = {}) => ({
  tool: { driver: { name: 'Scanner', version: '1.0', rules, ...driver } },
  results,
});
const loc = (uri: string) => ({ physicalLocation: { artifactLocation: { uri } } });

describe('SARIF 2.1.0', () => {
  it('rates by security-severity bands, then result level, then rule default level, then "warning"', () => {
    const rules = [
      { id: 'R9', properties: { 'security-severity': '9.0' } },
      { id: 'R7', properties: { 'security-severity': 7 } },
      { id: 'R4', properties: { 'security-severity': '4.0' } },
      { id: 'R1', properties: { 'security-severity': '0.1' } },
      {
        id: 'R0',
        properties: { 'security-severity': '0' },
        defaultConfiguration: { level: 'note' },
      },
      { id: 'RX', properties: { 'security-severity': 'high' } },
      { id: 'RD', defaultConfiguration: { level: 'error' } },
    ];
    const results = [
      { ruleId: 'R9', locations: [loc('a')] },
      { ruleId: 'R7', locations: [loc('a')] },
      { ruleId: 'R4', locations: [loc('a')] },
      { ruleId: 'R1', locations: [loc('a')] },
      { ruleId: 'R0', locations: [loc('a')] },
      { ruleId: 'RX', level: 'none', locations: [loc('a')] },
      { ruleId: 'RD', locations: [loc('a')] },
      { ruleId: 'RN', locations: [loc('a')] },
      {
        ruleId: 'RR',
        level: 'warning',
        properties: { 'security-severity': '9.8' },
        locations: [loc('a')],
      },
    ];
    const parsed = parseScan(bytes(sarif([run(results, rules)])));
    expect(parsed.summary.findings.map((f) => [f.vulnerability_id, f.severity])).toEqual([
      ['R9', 'critical'],
      ['R7', 'high'],
      ['R4', 'medium'],
      ['R1', 'low'],
      ['R0', 'low'],
      ['RX', 'unknown'],
      ['RD', 'high'],
      ['RN', 'medium'],
      ['RR', 'critical'],
    ]);
    // A generic tool names no package: the flagged file stands in for it, with a warning.
    expect(parsed.summary.findings[0]).toMatchObject({
      package: 'a',
      installed_version: null,
      targets: ['a'],
    });
    expect(parsed.warnings).toEqual([expect.stringMatching(/9 SARIF results name no package/)]);
    expect(parsed.summary).toMatchObject({ tool: 'scanner', tool_version: '1.0' });
  });

  it('merges one finding reported at several locations and keeps the highest level', () => {
    const message = {
      text: 'Package: zlib\nInstalled Version: 1.2\nVulnerability CVE-1\nSeverity: LOW\nFixed Version: 1.3',
    };
    const parsed = parseScan(
      bytes(
        sarif([
          run([
            { ruleId: 'CVE-1', level: 'note', message, locations: [loc('img-a'), loc('img-b')] },
            { ruleId: 'CVE-1', level: 'error', message, locations: [loc('img-a')] },
          ]),
        ]),
      ),
    );
    expect(parsed.summary.findings).toEqual([
      expect.objectContaining({
        id: 'CVE-1|zlib|1.2',
        severity: 'high',
        fixed_version: '1.3',
        targets: ['img-a', 'img-b'],
      }),
    ]);
  });

  it('resolves rules by ruleIndex and rule.id, and reads package data from purls or rule help', () => {
    const rules = [
      {
        id: 'CVE-5-@scope/left-pad',
        properties: { purls: [7, 'not a purl', 'pkg:npm/%40scope/left-pad@1.0.0'] },
      },
      {
        id: 'CVE-6-zlib',
        help: {
          text: 'Vulnerability CVE-6\nPackage: zlib\nVersion: 1.2.11\nFix Version: 1.2.12,1.3',
        },
        shortDescription: { text: 'zlib issue' },
      },
      { id: 'GHSA-x-pkg' },
    ];
    const parsed = parseScan(
      bytes(
        sarif([
          run(
            [
              { ruleIndex: 0, message: { text: 'found it' } },
              { rule: { id: 'CVE-6-zlib' }, message: { markdown: 'md only' } },
              { ruleId: 'GHSA-x-pkg', properties: { purls: ['pkg:npm/pkg@2'] } },
              { rule: { index: 1 } },
            ],
            rules,
          ),
        ]),
      ),
    );
    expect(parsed.summary.findings.map((f) => [f.id, f.purl, f.fixed_version, f.title])).toEqual([
      ['CVE-5|@scope/left-pad|1.0.0', 'pkg:npm/%40scope/left-pad@1.0.0', null, null],
      ['CVE-6|zlib|1.2.11', null, '1.2.12, 1.3', 'zlib issue'],
      ['GHSA-x|pkg|2', 'pkg:npm/pkg@2', null, null],
    ]);
    expect(parsed.warnings).toEqual([]);
  });

  it('skips pass / notApplicable / absent results and combines several tools', () => {
    const parsed = parseScan(
      bytes(
        sarif([
          run([
            { ruleId: 'A', kind: 'pass' },
            { ruleId: 'B', kind: 'notApplicable' },
            { ruleId: 'C', baselineState: 'absent' },
            { ruleId: 'D', kind: 'fail' },
          ]),
          run(null as unknown as unknown[], [], {
            name: 'Other',
            version: undefined,
            semanticVersion: '2',
          }),
          { tool: { driver: { name: 'scanner' } } },
          { tool: { driver: {} }, results: [] },
        ]),
      ),
    );
    expect(parsed.summary.findings.map((f) => f.id)).toEqual(['D|unknown|']);
    expect(parsed.summary.tool).toBe('scanner, other, unknown');
    expect(parsed.warnings).toEqual([
      expect.stringMatching(/3 SARIF results were pass/),
      expect.stringMatching(/1 SARIF results name no package/),
      expect.stringMatching(/several tools/),
    ]);
  });

  it('reports an empty log as tool unknown and refuses other versions and broken runs', () => {
    expect(parseScan(bytes(sarif([]))).summary).toMatchObject({
      tool: 'unknown',
      tool_version: null,
    });
    const version = rejection({ version: '2.0.0', runs: [] });
    expect(version).toMatchObject({ reason: 'unsupported_version' });
    expect(version.errors[0]?.path).toBe('/version');
    expect(
      rejection({ $schema: 'https://json.schemastore.org/sarif-2.1.0', runs: [] }).reason,
    ).toBe('unsupported_version');
    const broken = rejection(sarif([{ tool: {} }, run([5, { message: { text: 'no rule' } }])]));
    expect(broken.errors.map((e) => e.path)).toEqual([
      '/runs/0/tool/driver',
      '/runs/1/results/0',
      '/runs/1/results/1/ruleId',
    ]);
  });
});

const cdx = (over: Record<string, unknown>) => ({
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  ...over,
});

describe('CycloneDX with vulnerabilities', () => {
  it('is a clean scan when vulnerabilities is empty', () => {
    const parsed = parseScan(
      bytes(
        cdx({
          vulnerabilities: [],
          metadata: { tools: [{ vendor: 'x', name: 'Scanner', version: '1' }] },
        }),
      ),
    );
    expect(parsed).toMatchObject({ format: 'cyclonedx', spec_version: '1.5', warnings: [] });
    expect(parsed.summary).toMatchObject({
      tool: 'scanner',
      tool_version: '1',
      finding_count: 0,
      passed: true,
    });
  });

  it('resolves affects refs through nested components, BOM-Links and purl refs', () => {
    const parsed = parseScan(
      bytes(
        cdx({
          serialNumber: 'urn:uuid:1111',
          metadata: { tools: { components: [{ name: 'Trivy', version: '0.50' }], services: [] } },
          components: [
            {
              'bom-ref': 'outer',
              name: 'outer',
              version: '1',
              components: [
                { 'bom-ref': 'inner', name: 'inner', version: '2', purl: 'pkg:npm/inner@2' },
              ],
            },
            'junk',
          ],
          vulnerabilities: [
            {
              id: 'CVE-1',
              ratings: [
                { severity: 'low' },
                { severity: 'high', method: 'CVSSv31', score: 9.9 },
                { severity: 'bogus' },
              ],
              affects: [
                {
                  ref: 'inner',
                  versions: [
                    { version: '2.1', status: 'unaffected' },
                    { range: 'vers:npm/>=3', status: 'unaffected' },
                    'x',
                  ],
                },
                { ref: 'urn:cdx:1111/1#outer' },
                { ref: 'urn:cdx:2222/1#outer' },
                { ref: 'urn:cdx:1111/1#missing' },
                { ref: 'pkg:maven/org.x/lib@3' },
                { ref: 'pkg:' },
              ],
              recommendation: 'Upgrade inner to version 9',
            },
          ],
        }),
      ),
    );
    expect(parsed.summary.tool).toBe('trivy');
    expect(parsed.summary.findings.map((f) => [f.id, f.purl, f.fixed_version, f.severity])).toEqual(
      [
        ['CVE-1|inner|2', 'pkg:npm/inner@2', '2.1, vers:npm/>=3', 'high'],
        ['CVE-1|outer|1', null, '9', 'high'],
        ['CVE-1|urn:cdx:2222/1#outer|', null, '9', 'high'],
        ['CVE-1|urn:cdx:1111/1#missing|', null, '9', 'high'],
        ['CVE-1|org.x/lib|3', 'pkg:maven/org.x/lib@3', '9', 'high'],
        ['CVE-1|pkg:|', null, '9', 'high'],
      ],
    );
    expect(parsed.warnings).toEqual([expect.stringMatching(/3 affects refs match no component/)]);
  });

  it('derives severity from a CVSS score only when no rating states one', () => {
    const vuln = (id: string, ratings: unknown) => ({ id, ratings, affects: [{ ref: 'c' }] });
    const parsed = parseScan(
      bytes(
        cdx({
          components: [{ 'bom-ref': 'c', name: 'c', version: '1' }],
          vulnerabilities: [
            vuln('A', [
              { score: 9.8, method: 'CVSSv3' },
              { score: 1, method: 'other' },
            ]),
            vuln('B', [{ severity: 'none', score: 7.1, method: 'CVSSv4' }]),
            vuln('C', [{ score: 0.97, method: 'other' }]),
            vuln('D', [{ severity: 'info' }]),
            vuln('E', [{ score: 5 }]),
            vuln('F', undefined),
            vuln('G', [{ severity: 'unknown', score: 'x' }]),
          ],
        }),
      ),
    );
    expect(parsed.summary.findings.map((f) => [f.vulnerability_id, f.severity])).toEqual([
      ['A', 'critical'],
      ['B', 'high'],
      ['C', 'unknown'],
      ['D', 'low'],
      ['E', 'medium'],
      ['F', 'unknown'],
      ['G', 'unknown'],
    ]);
    expect(parsed.warnings).toEqual([expect.stringMatching(/names no tool/)]);
    expect(parsed.summary.tool).toBe('unknown');
  });

  it('places a vulnerability without affects on the BOM subject, or on "unknown"', () => {
    const withSubject = parseScan(
      bytes(
        cdx({
          metadata: {
            component: { name: 'app', version: '4.2', purl: 'pkg:generic/app@4.2' },
            tools: ['junk'],
          },
          vulnerabilities: [{ id: 'CVE-1' }],
        }),
      ),
    );
    expect(withSubject.summary.findings[0]).toMatchObject({
      package: 'app',
      installed_version: '4.2',
      purl: 'pkg:generic/app@4.2',
    });
    const bare = parseScan(bytes(cdx({ vulnerabilities: [{ id: 'CVE-1', affects: [] }] })));
    expect(bare.summary.findings[0]).toMatchObject({ package: 'unknown', installed_version: null });
    expect(bare.warnings[0]).toMatch(/name no affected component/);
  });

  it('warns that an empty list over a component inventory may be an SBOM', () => {
    const parsed = parseScan(
      bytes(cdx({ components: [{ 'bom-ref': 'a', name: 'a' }], vulnerabilities: [] })),
    );
    expect(parsed.summary.finding_count).toBe(0);
    expect(parsed.warnings.join(' ')).toMatch(/kind=sbom/);
  });

  it('names structural problems', () => {
    const error = rejection(
      cdx({
        vulnerabilities: [
          1,
          { ratings: [] },
          { id: 'X', ratings: [2], affects: [{ ref: '' }, 3] },
          { id: 'Y', affects: {} },
        ],
      }),
    );
    expect(error.errors.map((e) => e.path)).toEqual([
      '/vulnerabilities/0',
      '/vulnerabilities/1/id',
      '/vulnerabilities/2/ratings/0',
      '/vulnerabilities/2/affects/0/ref',
      '/vulnerabilities/2/affects/1/ref',
      '/vulnerabilities/3/affects',
    ]);
    expect(rejection(cdx({ vulnerabilities: 'none' })).errors[0]?.path).toBe('/vulnerabilities');
  });
});

describe('detection and wrong input', () => {
  it('refuses an SBOM as the wrong kind, telling the user to upload it with kind=sbom', () => {
    const cyclone = rejection(cdx({ components: [{ name: 'a' }] }));
    expect(cyclone).toMatchObject({ reason: 'wrong_kind' });
    expect(cyclone.message).toMatch(/upload it with kind=sbom/);
    expect(cyclone.errors[0]?.path).toBe('/vulnerabilities');
    expect(rejection({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT' }).message).toMatch(
      /kind=sbom/,
    );
    expect(
      rejection({ '@context': 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld', '@graph': [] })
        .reason,
    ).toBe('wrong_kind');
    expect(
      rejection({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [] }).message,
    ).toMatch(/kind=vex/);
  });

  it('lists the accepted formats for an unrecognised document', () => {
    for (const doc of [{ hello: 'world' }, [1, 2], 'null', { '@context': 'https://schema.org' }]) {
      const error = rejection(doc);
      expect(error.reason).toBe('unknown_format');
      expect(error.message).toMatch(/Trivy JSON.*Grype JSON.*SARIF 2\.1\.0.*CycloneDX/);
    }
  });

  it('checks a requested format against the document', () => {
    expect(parseScan(bytes(trivy([])), { format: 'trivy' }).format).toBe('trivy');
    expect(rejection(trivy([]), { format: 'grype' })).toMatchObject({
      reason: 'format_mismatch',
      message: 'format=grype was requested but the document is trivy.',
    });
    expect(rejection({ foo: 1 }, { format: 'sarif' })).toMatchObject({ reason: 'format_mismatch' });
    expect(rejection(cdx({}), { format: 'cyclonedx' }).reason).toBe('wrong_kind');
  });

  it('names the line of a truncated document and refuses empty, binary and XML bodies', () => {
    const text = JSON.stringify(trivy([{ Target: 't', Vulnerabilities: [trivyVuln()] }]), null, 2);
    const truncated = rejection(bytes(text.slice(0, text.length - 40)));
    expect(truncated.reason).toBe('invalid_json');
    expect(truncated.errors[0]?.path).toMatch(/^line \d+$/);
    expect(rejection(bytes('   ')).message).toMatch(/empty/);
    expect(rejection(new Uint8Array([0x1f, 0x8b, 8, 0])).message).toMatch(/gzip/);
    expect(rejection(new Uint8Array([0x50, 0x4b, 3, 4, 0])).message).toMatch(/zip/);
    const xml = rejection(bytes('\uFEFF \n<?xml version="1.0"?><bom/>'));
    expect(xml).toMatchObject({ reason: 'unsupported_format' });
    expect(xml.message).toMatch(/XML/);
  });

  it('unwraps a DSSE envelope around a CycloneDX report or a cosign vulnerability attestation', () => {
    const envelope = (statement: unknown) => ({
      payloadType: 'application/vnd.in-toto+json',
      payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
      signatures: [],
    });
    const cyclone = parseScan(
      bytes(
        envelope({
          _type: 'https://in-toto.io/Statement/v1',
          predicateType: 'https://cyclonedx.org/bom',
          predicate: cdx({ vulnerabilities: [] }),
        }),
      ),
    );
    expect(cyclone.format).toBe('cyclonedx');
    expect(cyclone.warnings[0]).toMatch(/DSSE envelope.*not verified/);
    const cosign = parseScan(
      bytes(
        envelope({
          predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1',
          predicate: {
            scanner: {
              uri: 'trivy',
              result: trivy([{ Target: 't', Vulnerabilities: [trivyVuln()] }]),
            },
          },
        }),
      ),
    );
    expect(cosign).toMatchObject({ format: 'trivy', summary: { finding_count: 1 } });
    expect(cosign.warnings[0]).toMatch(/cosign/);
    expect(
      rejection(
        envelope({
          predicateType: 'https://cosign.sigstore.dev/attestation/vuln/v1',
          predicate: {},
        }),
      ).reason,
    ).toBe('unknown_format');
    expect(rejection({ payloadType: 'x', payload: '!!!not base64 json' }).reason).toBe(
      'unknown_format',
    );
    expect(rejection(envelope({ predicate: 'x' })).reason).toBe('unknown_format');
  });
});

describe('defensive edges', () => {
  it('tolerates junk rules and locations in SARIF, a Grype artifact without locations, a null SchemaVersion', () => {
    const parsed = parseScan(
      bytes(
        sarif([
          run(
            [
              {
                ruleId: 'A',
                locations: [
                  'x',
                  { physicalLocation: {} },
                  { physicalLocation: { artifactLocation: 'u' } },
                  loc('ok'),
                ],
              },
            ],
            [
              5,
              { id: 'A', defaultConfiguration: { level: 'note' } },
              { id: 'A', defaultConfiguration: { level: 'error' } },
            ],
          ),
        ]),
      ),
    );
    expect(parsed.summary.findings[0]).toMatchObject({ severity: 'low', targets: ['ok'] });
    const grype = parseScan(
      bytes({
        matches: [{ vulnerability: { id: 'C', severity: 'Low' }, artifact: { name: 'a' } }],
      }),
    );
    expect(grype.summary.findings[0]?.targets).toEqual([]);
    expect(rejection({ SchemaVersion: null, Results: [] }).errors[0]?.message).toMatch(/got null/);
  });
});
