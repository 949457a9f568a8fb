import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseSbom } from './index.js';
import { validateOrReject } from './sbom-errors.js';

const corpus = path.resolve(process.cwd(), '../shared/corpus');

function toBytes(document: unknown): Uint8Array {
  return Buffer.from(typeof document === 'string' ? document : JSON.stringify(document));
}

function rejectionOf(run: () => unknown): InvalidDocumentError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidDocumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidDocumentError, but the document was accepted');
}

function rejected(
  document: unknown,
  options?: Parameters<typeof parseSbom>[1],
): InvalidDocumentError {
  return rejectionOf(() => parseSbom(toBytes(document), options));
}

function cdx(version: string, rest: Record<string, unknown> = {}): Record<string, unknown> {
  return { bomFormat: 'CycloneDX', specVersion: version, version: 1, ...rest };
}

function lib(name: string, rest: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'library', name, version: '1.0.0', ...rest };
}

function envelope(statement: unknown, payloadType = 'application/vnd.in-toto+json') {
  return {
    payloadType,
    payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
    signatures: [{ keyid: '', sig: 'c2ln' }],
  };
}

function statement(predicate: unknown, predicateType = 'https://cyclonedx.org/bom') {
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: 'app', digest: { sha256: 'a'.repeat(64) } }],
    predicateType,
    predicate,
  };
}

describe('parseSbom: what is not an SBOM', () => {
  it('rejects an empty body', () => {
    const error = rejectionOf(() => parseSbom(new Uint8Array()));
    expect(error.message).toMatch(/empty/);
    expect(error.errors).toEqual([{ path: '', message: 'empty body' }]);
  });

  it('rejects truncated JSON naming the line', () => {
    const full = readFileSync(path.join(corpus, 'sbom/cyclonedx/laravel-7.12.0.cdx-1.4.json'));
    const error = rejectionOf(() => parseSbom(full.subarray(0, 5000)));
    expect(error.reason).toBe('invalid_json');
    expect(error.errors[0]?.path).toMatch(/^line \d+$/);
  });

  it.each([
    ['an array', []],
    ['null', null],
    ['a string', 'bom'],
  ])('rejects %s at the top level', (kind, value) => {
    const error = rejected(JSON.stringify(value));
    expect(error.reason).toBe('unknown_format');
    expect(error.message).toContain(kind);
  });

  it.each([
    ['scans/trivy/alpine-310.json', 'Trivy'],
    ['scans/grype/image.grype.json', 'Grype'],
    ['scans/trivy/alpine-310.sarif.json', 'SARIF'],
  ])('names the scan it was given instead (%s)', (file, tool) => {
    const error = rejectionOf(() => parseSbom(readFileSync(path.join(corpus, file))));
    expect(error.reason).toBe('wrong_kind');
    expect(error.message).toContain(tool);
    expect(error.message).toContain('kind=vuln_scan');
    expect(error.message).toContain('CycloneDX');
    expect(error.message).toContain('SPDX');
  });

  it('recognises OpenVEX, and refuses SPDX 3 as a version', () => {
    const openvex = rejected({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [] });
    expect(openvex.reason).toBe('wrong_kind');
    expect(openvex.message).toContain('kind=vex');
    const spdx3 = rejected({
      '@context': 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld',
      '@graph': [],
    });
    expect(spdx3.reason).toBe('unsupported_version');
    expect(spdx3.errors[0]?.path).toBe('/@context');
  });

  it.each([
    ['a gzip archive', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])],
    ['a zip archive', Buffer.from('PK\u0003\u0004rest', 'latin1')],
    [
      'a tar archive',
      Buffer.concat([Buffer.alloc(257), Buffer.from('ustar\u000000'), Buffer.alloc(100)]),
    ],
    [
      'XML',
      Buffer.from(
        '\uFEFF  <?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"/>',
      ),
    ],
    ['an SPDX tag-value document', Buffer.from('SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n')],
  ])('names %s instead of a JSON syntax error', (what, bytes) => {
    const error = rejectionOf(() => parseSbom(bytes));
    expect(error.reason).toBe('unsupported_format');
    expect(error.message).toContain(what);
  });

  it('refuses a CycloneDX VEX or vulnerability report without components', () => {
    const vex = readFileSync(path.join(corpus, 'vex/cisa-case-1-not-affected.vex.cdx.json'));
    const error = rejectionOf(() => parseSbom(vex));
    expect(error.reason).toBe('wrong_kind');
    expect(error.errors[0]?.path).toBe('/vulnerabilities');
    // With components it is an SBOM that also carries findings.
    const report = readFileSync(path.join(corpus, 'scans/grype/image.grype.cdx.json'));
    expect(parseSbom(report).summary.component_count).toBe(2);
  });

  it('says what was expected for any other JSON object', () => {
    const error = rejected({ hello: 'world' });
    expect(error.reason).toBe('unknown_format');
    expect(error.errors).toEqual([
      { path: '', message: expect.stringContaining('bomFormat "CycloneDX"') },
    ]);
    expect(error.message).toMatch(/^The document is not an SBOM: expected CycloneDX JSON/);
  });
});

describe('parseSbom: CycloneDX versions and detection', () => {
  it.each(['1.0', '1.1', '2.0'])(
    'rejects CycloneDX %s naming the supported versions',
    (version) => {
      const error = rejected(cdx(version));
      expect(error.reason).toBe('unsupported_version');
      expect(error.errors[0]?.path).toBe('/specVersion');
      expect(error.message).toContain('1.2, 1.3, 1.4, 1.5, 1.6, 1.7');
    },
  );

  it('rejects a missing or non-string specVersion', () => {
    expect(rejected({ bomFormat: 'CycloneDX' }).errors[0]).toEqual({
      path: '/specVersion',
      message: 'required property is missing',
    });
    expect(rejected({ bomFormat: 'CycloneDX', specVersion: 1.5 }).reason).toBe(
      'unsupported_version',
    );
  });

  it('rejects another bomFormat at /bomFormat', () => {
    const error = rejected({ bomFormat: 'AnotherFormat', specVersion: '1.5' });
    expect(error.errors[0]?.path).toBe('/bomFormat');
  });

  it('accepts every supported version', () => {
    for (const version of ['1.2', '1.3', '1.4', '1.5', '1.6', '1.7']) {
      const parsed = parseSbom(toBytes(cdx(version, { components: [lib('a')] })));
      expect(parsed.spec_version).toBe(version);
      expect(parsed.summary.component_count).toBe(1);
    }
  });

  it('honours a requested format, and refuses one the document contradicts', () => {
    expect(parseSbom(toBytes(cdx('1.5')), { format: 'cyclonedx' }).format).toBe('cyclonedx');
    const spdxAsCdx = rejected({ spdxVersion: 'SPDX-2.3' }, { format: 'cyclonedx' });
    expect(spdxAsCdx.reason).toBe('format_mismatch');
    expect(spdxAsCdx.errors[0]).toEqual({
      path: '/spdxVersion',
      message: 'format=cyclonedx was requested, but the document is SPDX',
    });
    const cdxAsSpdx = rejected(cdx('1.5'), { format: 'spdx' });
    expect(cdxAsSpdx.errors[0]?.path).toBe('/bomFormat');
    // Nothing to contradict: the requested format's own checks name what is missing.
    expect(rejected({ name: 'x' }, { format: 'cyclonedx' }).errors[0]?.path).toBe('/bomFormat');
    expect(rejected({ name: 'x' }, { format: 'spdx' }).errors[0]?.path).toBe('/spdxVersion');
  });
});

describe('parseSbom: CycloneDX schema errors', () => {
  it('locates an unknown top-level property', () => {
    const error = rejected(cdx('1.5', { surprise: true }));
    expect(error.errors[0]).toEqual({ path: '/surprise', message: 'property is not allowed here' });
  });

  it('lists short enums and counts long ones', () => {
    const type = rejected(cdx('1.5', { components: [lib('a', { type: 'gadget' })] }));
    expect(type.message).toContain('"library"');
    const reference = rejected(
      cdx('1.5', {
        components: [lib('a', { externalReferences: [{ type: 'nope', url: 'https://x.org' }] })],
      }),
    );
    expect(reference.errors[0]?.path).toBe('/components/0/externalReferences/0/type');
    expect(reference.errors[0]?.message).toMatch(/one of the \d+ allowed values \(got "nope"\)/);
  });

  it('shows a short offending value and truncates a long one', () => {
    const error = rejected(cdx('1.5', { serialNumber: `urn:uuid:${'x'.repeat(200)}` }));
    expect(error.errors[0]?.message).toContain('must match the pattern');
    expect(error.errors[0]?.message).toMatch(/…" \(209 chars\)\)$/);
  });

  it('reports type errors with the value', () => {
    const error = rejected(cdx('1.5', { version: 'one' }));
    expect(error.errors[0]).toEqual({ path: '/version', message: 'must be integer (got "one")' });
  });

  it('rejects duplicate array items at the later one', () => {
    // Same members in another order: still the same item.
    const error = rejected(
      cdx('1.5', {
        components: [lib('b'), lib('a'), { version: '1.0.0', name: 'a', type: 'library' }],
      }),
    );
    expect(error.errors[0]?.path).toBe('/components/2');
    expect(error.errors[0]?.message).toBe('duplicates item /components/1 (items must be unique)');
  });

  it('rejects a document nested too deeply to validate', () => {
    const depth = 20_000;
    const text =
      '{"bomFormat":"CycloneDX","specVersion":"1.5","components":[' +
      '{"type":"library","name":"x","components":['.repeat(depth) +
      ']}'.repeat(depth) +
      ']}';
    const error = rejectionOf(() => parseSbom(Buffer.from(text)));
    expect(error.reason).toBe('invalid_structure');
  });

  it('lets unexpected validator failures through', () => {
    const broken = Object.assign(
      () => {
        throw new TypeError('boom');
      },
      { errors: null },
    );
    expect(() => validateOrReject(broken, {}, 'The test document', '')).toThrow(TypeError);
  });
});

describe('parseSbom: CycloneDX references', () => {
  it('rejects a duplicate bom-ref from 1.4 on, pointing at both uses', () => {
    const error = rejected(
      cdx('1.5', {
        metadata: { component: { type: 'application', name: 'app', 'bom-ref': 'root' } },
        components: [lib('a', { 'bom-ref': 'a', components: [lib('b', { 'bom-ref': 'root' })] })],
      }),
    );
    expect(error.reason).toBe('invalid_structure');
    expect(error.errors[0]).toEqual({
      path: '/components/0/components/0/bom-ref',
      message: 'bom-ref "root" is already used by /metadata/component',
    });
  });

  it('rejects a bom-ref shared by a component and a service', () => {
    const error = rejected(
      cdx('1.4', {
        components: [lib('a', { 'bom-ref': 'x' })],
        services: [{ name: 's', 'bom-ref': 'x' }],
      }),
    );
    expect(error.errors[0]?.path).toBe('/services/0/bom-ref');
    expect(error.errors[0]?.message).toContain('/components/0');
  });

  it('only warns about duplicate bom-refs in 1.2 and 1.3, where uniqueness is a recommendation', () => {
    const parsed = parseSbom(
      toBytes(
        cdx('1.3', {
          metadata: {
            component: { type: 'application', name: 'app', version: '1', 'bom-ref': 'r' },
          },
          components: [lib('a', { 'bom-ref': 'x' }), lib('b', { 'bom-ref': 'x' })],
          dependencies: [{ ref: 'r', dependsOn: ['x'] }],
        }),
      ),
    );
    expect(parsed.summary.component_count).toBe(2);
    // One ref, one direct dependency: the ambiguity is reported, not double-counted.
    expect(parsed.summary.direct_dependency_count).toBe(1);
    expect(parsed.warnings).toEqual([
      expect.stringMatching(/^bom-refs declared more than once .*: 1 \("x"\)$/),
    ]);
  });

  it('counts direct dependencies of the root that are components, nested ones included', () => {
    const parsed = parseSbom(
      toBytes(
        cdx('1.5', {
          metadata: { component: { type: 'application', name: 'app', 'bom-ref': 'root' } },
          components: [
            lib('a', { 'bom-ref': 'a', components: [lib('a1', { 'bom-ref': 'a1' })] }),
            lib('b', { 'bom-ref': 'b' }),
          ],
          services: [{ name: 'svc', 'bom-ref': 'svc' }],
          dependencies: [
            { ref: 'root', dependsOn: ['a', 'svc'] },
            { ref: 'a', dependsOn: ['a1'] },
            { ref: 'root', dependsOn: ['a1', 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#x'] },
            { ref: 'b', dependsOn: ['ghost'] },
          ],
        }),
      ),
    );
    expect(parsed.summary).toMatchObject({
      component_count: 3,
      direct_dependency_count: 2,
      transitive_dependency_count: 1,
      has_dependency_graph: true,
      root: { name: 'app', version: null, purl: null },
    });
    expect(parsed.summary.components.map((c) => c.name)).toEqual(['a', 'a1', 'b']);
    expect(parsed.warnings).toEqual([
      'Dependency entries repeating a ref, merged: 1 ("root")',
      'Dependency references naming no component or service of this BOM: 1 ("ghost")',
    ]);
  });

  it('counts nothing as direct without a usable root, and says why', () => {
    const graph = [{ ref: 'a', dependsOn: [] }];
    const noRoot = parseSbom(
      toBytes(cdx('1.5', { components: [lib('a', { 'bom-ref': 'a' })], dependencies: graph })),
    );
    expect(noRoot.summary.direct_dependency_count).toBe(0);
    expect(noRoot.warnings[0]).toMatch(/no metadata.component/);

    const noRef = parseSbom(
      toBytes(
        cdx('1.5', {
          metadata: { component: { type: 'application', name: 'app' } },
          components: [lib('a', { 'bom-ref': 'a' })],
          dependencies: graph,
        }),
      ),
    );
    expect(noRef.warnings[0]).toMatch(/has no bom-ref/);

    const noEntry = parseSbom(
      toBytes(
        cdx('1.5', {
          metadata: { component: { type: 'application', name: 'app', 'bom-ref': 'root' } },
          components: [lib('a', { 'bom-ref': 'a' })],
          dependencies: graph,
        }),
      ),
    );
    expect(noEntry.warnings[0]).toMatch(/no entry for metadata.component/);
    expect(noEntry.summary.transitive_dependency_count).toBe(1);
  });

  it('treats every component as transitive when there is no graph', () => {
    const parsed = parseSbom(
      toBytes(
        cdx('1.5', {
          metadata: { component: { type: 'application', name: 'app', 'bom-ref': 'r' } },
          components: [lib('a'), lib('b')],
        }),
      ),
    );
    expect(parsed.summary).toMatchObject({
      direct_dependency_count: 0,
      transitive_dependency_count: 2,
      has_dependency_graph: false,
    });
    expect(parsed.warnings).toEqual([]);
  });
});

describe('parseSbom: CycloneDX component fields', () => {
  it('normalises purls, licences and hashes', () => {
    const parsed = parseSbom(
      toBytes(
        cdx('1.5', {
          metadata: {
            component: {
              type: 'application',
              name: 'app',
              version: '2.0',
              purl: 'pkg:npm/app@2.0',
              licenses: [{ license: { name: 'Root-only licence' } }],
            },
          },
          components: [
            lib('a', {
              'bom-ref': 'a',
              purl: 'pkg:npm/a@1.0.0',
              hashes: [{ alg: 'SHA-256', content: 'AB'.repeat(32) }],
              licenses: [
                { license: { id: 'MIT' } },
                { license: { name: 'Custom EULA' } },
                { license: { name: 'MIT' } },
              ],
            }),
            lib('b', { purl: 'not a purl', licenses: [{ expression: 'MIT OR Apache-2.0' }] }),
            lib('c', { purl: 'pkg:', licenses: [{ expression: 'GPLv3+' }] }),
            { type: 'file', name: 'd', licenses: [{ license: { name: '  ' } }] },
          ],
        }),
      ),
    );
    const [a, b, c, d] = parsed.summary.components;
    expect(a).toEqual({
      ref: 'a',
      name: 'a',
      version: '1.0.0',
      purl: 'pkg:npm/a@1.0.0',
      licenses: ['MIT', 'Custom EULA'],
      hashes: [{ alg: 'SHA-256', content: 'ab'.repeat(32) }],
      type: 'library',
    });
    expect(b?.purl).toBeNull();
    expect(b?.licenses).toEqual(['MIT OR Apache-2.0']);
    expect(c?.purl).toBeNull();
    expect(d).toMatchObject({ ref: null, version: null, licenses: [], type: 'file' });
    expect(parsed.summary.root).toEqual({ name: 'app', version: '2.0', purl: 'pkg:npm/app@2.0' });
    expect(parsed.summary.licenses).toEqual(['Custom EULA', 'GPLv3+', 'MIT', 'MIT OR Apache-2.0']);
    expect(parsed.warnings).toEqual([
      'purls that packageurl-js cannot parse, dropped (set to null): 2 ("not a purl", "pkg:")',
      'Licence expressions that are not valid SPDX expressions, kept as written: 1 ("GPLv3+")',
    ]);
  });

  it('cuts long examples in warnings', () => {
    const purl = `pkg:${'x'.repeat(300)}`;
    const parsed = parseSbom(toBytes(cdx('1.5', { components: [lib('a', { purl })] })));
    expect(parsed.warnings[0]).toContain(`"${purl.slice(0, 79)}…"`);
    expect(parsed.warnings[0]?.length).toBeLessThan(200);
  });

  it('groups a repeated warning into one line with a few examples', () => {
    const components = Array.from({ length: 5 }, (_, i) => lib(`c${i}`, { purl: `bad purl ${i}` }));
    const parsed = parseSbom(toBytes(cdx('1.5', { components })));
    expect(parsed.warnings).toEqual([
      'purls that packageurl-js cannot parse, dropped (set to null): 5 ("bad purl 0", "bad purl 1", "bad purl 2", …)',
    ]);
  });
});

describe('parseSbom: attestations', () => {
  const bom = cdx('1.5', { components: [lib('a')] });

  it('unwraps a DSSE envelope and locates errors inside its payload', () => {
    const parsed = parseSbom(toBytes(envelope(statement(bom))));
    expect(parsed.summary.component_count).toBe(1);
    expect(parsed.warnings[0]).toMatch(/DSSE envelope whose signature was not verified/);

    const bad = rejected(envelope(statement(cdx('1.5', { components: [{ name: 'x' }] }))));
    expect(bad.errors[0]?.path).toBe('/payload/predicate/components/0/type');
  });

  it('reads an SPDX predicate too', () => {
    const spdx = {
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'x',
      documentNamespace: 'https://example.org/x',
      packages: [{ SPDXID: 'SPDXRef-a', name: 'a', downloadLocation: 'NONE' }],
    };
    const parsed = parseSbom(toBytes(envelope(statement(spdx, 'https://spdx.dev/Document'))));
    expect(parsed.format).toBe('spdx');
    expect(parsed.summary.component_count).toBe(1);
  });

  it('reads a bare in-toto statement, with a warning', () => {
    const parsed = parseSbom(toBytes(statement(bom)));
    expect(parsed.warnings).toEqual([
      'The SBOM came as an unsigned in-toto statement; its predicate was read.',
    ]);
    const bad = rejected(statement(cdx('1.1')));
    expect(bad.errors[0]?.path).toBe('/predicate/specVersion');
  });

  it('refuses a cosign vulnerability attestation as the wrong kind', () => {
    const attestation = envelope(
      statement({ scanner: { result: {} } }, 'https://cosign.sigstore.dev/attestation/vuln/v1'),
    );
    const error = rejected(attestation);
    expect(error.reason).toBe('wrong_kind');
    expect(error.errors[0]?.path).toBe('/payload/predicateType');
  });

  it('warns about a predicate type that is not an SBOM type', () => {
    const parsed = parseSbom(toBytes(envelope(statement(bom, 'https://slsa.dev/provenance/v1'))));
    expect(parsed.warnings).toContainEqual(
      expect.stringContaining('https://slsa.dev/provenance/v1'),
    );
  });

  it.each([
    ['another payload type', { ...envelope(statement(bom), 'text/plain') }, '/payloadType'],
    [
      'a payload that is not base64',
      { payloadType: 'application/vnd.in-toto+json', payload: '***' },
      '/payload',
    ],
    [
      'a payload that is not JSON',
      {
        payloadType: 'application/vnd.in-toto+json',
        payload: Buffer.from('{oops').toString('base64'),
      },
      '/payload',
    ],
    ['a payload that is not an object', envelope([1, 2]), '/payload'],
    [
      'a statement without predicate',
      envelope({ _type: 'https://in-toto.io/Statement/v1' }),
      '/payload/predicate',
    ],
    ['an envelope without payload', { payloadType: 'application/vnd.in-toto+json' }, '/payload'],
  ])('rejects %s', (_, document, pointer) => {
    const error = rejected(document);
    expect(error.reason).toBe('invalid_structure');
    expect(error.errors[0]?.path).toBe(pointer);
  });
});
