import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateCycloneDx } from '../../../../bench/generators/cyclonedx.js';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseCycloneDxStream } from './cyclonedx-stream.js';
import {
  corpus,
  fixtures,
  type Json,
  jsonFiles,
  reordered,
  streamEquivalence,
} from './stream-test-fixture.js';
import type { ParsedSbom } from './types.js';

const { expectSameAsWhole, expectRejected, expectParsed, comparisons } =
  streamEquivalence(parseCycloneDxStream);

function generated(count: number, seed = 1): Json {
  return JSON.parse(generateCycloneDx(count, seed)) as Json;
}

type Component = Json & { 'bom-ref'?: string; components?: Component[] };

function componentsOf(document: Json): Component[] {
  return document.components as Component[];
}

/** The generated document as CycloneDX 1.3 (whose metadata.tools is an array). */
function asVersion13(document: Json): Json {
  const { $schema: _, ...rest } = document;
  const metadata = { ...(rest.metadata as Json) };
  delete metadata.tools;
  return { ...rest, specVersion: '1.3', metadata };
}

describe('parseCycloneDxStream over the corpus', () => {
  const files = [...jsonFiles(corpus), ...jsonFiles(fixtures)];

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(120);
  });

  for (const file of files) {
    it(`answers as parseSbom for ${path.relative(corpus, file)}`, () => {
      const bytes = readFileSync(file);
      const answer = expectSameAsWhole(bytes);
      if (answer === 'fallback') {
        // Only attestations and documents that are not CycloneDX are left to parseSbom.
        const text = bytes.toString('utf8');
        expect(/"payloadType"|"_type"/.test(text) || !/"bomFormat"/.test(text)).toBe(true);
      }
    });
  }
});

describe('parseCycloneDxStream over generated documents', () => {
  it.each([0, 1, 60, 700])('matches parseSbom on %i components', (count) => {
    const parsed = expectParsed(generateCycloneDx(count, count + 1));
    expect(parsed.summary.component_count).toBe(count);
  });

  it('matches parseSbom on a pretty-printed document with a BOM', () => {
    expectParsed(`\uFEFF${JSON.stringify(generated(40), null, 2)}\n`);
  });

  it.each([
    ['components before bomFormat and specVersion', ['components', 'dependencies']],
    ['metadata last', ['bomFormat', 'specVersion', 'components', 'dependencies']],
    ['dependencies before components', ['bomFormat', 'specVersion', 'metadata', 'dependencies']],
    ['dependencies first of all', ['dependencies', 'components', 'metadata']],
    ['specVersion after components', ['bomFormat', 'metadata', 'components', 'specVersion']],
  ])('matches parseSbom with %s', (_, order) => {
    const document = generated(80, 4);
    document.services = [{ name: 'api', 'bom-ref': 'svc:api', services: [{ name: 'db' }] }];
    expectParsed(JSON.stringify(reordered(document, order)));
    // Services before components, and services after dependencies.
    const early = reordered(document, ['bomFormat', 'specVersion', 'services', ...order]);
    expectParsed(JSON.stringify(early));
    const { services, ...rest } = reordered(document, order);
    expectParsed(JSON.stringify({ ...rest, services }));
  });

  it.each(['1.3', '1.5'])('matches parseSbom on bom-refs repeated under %s', (version) => {
    const base = generated(120, 5);
    const document = version === '1.3' ? asVersion13(base) : base;
    const components = componentsOf(document);
    const nested = components.find((c) => c.components !== undefined) as Component;
    const repeatedAt = (index: number) => components[index]?.['bom-ref'] as string;
    (components[70] as Component)['bom-ref'] = repeatedAt(3);
    (nested.components?.[0] as Component)['bom-ref'] = repeatedAt(90);
    document.services = [{ name: 'svc', 'bom-ref': repeatedAt(100) }];
    const metadata = document.metadata as { component: Json };
    metadata.component['bom-ref'] = repeatedAt(110);
    const answer = expectSameAsWhole(JSON.stringify(document));
    if (version === '1.3') {
      expect((answer as ParsedSbom).warnings.join('\n')).toMatch(/declared more than once.*: 4 /);
    } else {
      expect((answer as InvalidDocumentError).errors[0]?.path).toMatch(/^\/components\/\d+/);
    }
    // One repeat at a time names both pointers as parseSbom does: a top-level component
    // repeating an earlier one, and one whose ref a later nested component repeats.
    const nestedRef = nested.components?.[0]?.['bom-ref'] as string;
    for (const [index, ref] of [
      [70, repeatedAt(3)],
      [5, nestedRef],
    ] as const) {
      const single = generated(120, 5);
      (componentsOf(single)[index] as Component)['bom-ref'] = ref;
      const answer = expectSameAsWhole(
        JSON.stringify(version === '1.3' ? asVersion13(single) : single),
      );
      if (version === '1.5') {
        expect((answer as InvalidDocumentError).errors[0]?.message).toMatch(
          /already used by \/components\/\d+$/,
        );
      }
    }
  });

  it.each([
    ['a nested component', (c: Component[]) => c.find((x) => x.components)?.components?.[0]],
    ['the last component', (c: Component[]) => c[c.length - 1]],
  ])('matches parseSbom when %s repeats the root bom-ref', (_, pick) => {
    const document = generated(120, 8);
    const root = (document.metadata as { component: Json }).component;
    (pick(componentsOf(document)) as Component)['bom-ref'] = root['bom-ref'] as string;
    const error = expectRejected(JSON.stringify(document), 'invalid_structure');
    expect(error.errors[0]?.message).toContain('/metadata/component');
  });

  it.each(['1.3', '1.5'])(
    'matches parseSbom on repeated identical components and entries under %s',
    (version) => {
      const base = generated(150, 6);
      const document = version === '1.3' ? asVersion13(base) : base;
      const components = componentsOf(document);
      components[120] = structuredClone(components[30]) as Component;
      const error = expectRejected(JSON.stringify(document), 'invalid_structure');
      expect(error.errors[0]).toEqual({
        path: '/components/120',
        message: 'duplicates item /components/30 (items must be unique)',
      });
      const entries = generated(150, 6).dependencies as Json[];
      entries[140] = { ...(entries[12] as Json) };
      const withEntries = { ...generated(150, 6), dependencies: entries };
      expectRejected(
        JSON.stringify(version === '1.3' ? asVersion13(withEntries) : withEntries),
        'invalid_structure',
      );
    },
  );

  it('matches parseSbom on repeated components without bom-refs, and on scalar items', () => {
    const document = generated(30, 2);
    const components = componentsOf(document);
    for (const component of components) delete component['bom-ref'];
    document.dependencies = [];
    expectParsed(JSON.stringify(document));
    components.push(structuredClone(components[10]) as Component);
    expectRejected(JSON.stringify(document), 'invalid_structure');
    expectRejected(
      JSON.stringify({ ...document, components: [...components.slice(0, 3), 1, 'x', 1] }),
      'invalid_structure',
    );
    // Same bucket, different content: settled without a false duplicate.
    const twins = generated(30, 2);
    const [a, b] = componentsOf(twins) as [Component, Component];
    b['bom-ref'] = a['bom-ref'] as string;
    expectSameAsWhole(JSON.stringify(asVersion13(twins)));
  });

  it('matches parseSbom on the first of several invalid items, and invalid items with repeats', () => {
    const document = generated(200, 7);
    const components = componentsOf(document);
    (components[150] as Component).type = 'not-a-type';
    (components[160] as Component).hashes = [{ alg: 'SHA-256', content: 'xyz' }];
    expect(expectRejected(JSON.stringify(document), 'invalid_structure').errors[0]?.path).toBe(
      '/components/150/type',
    );
    // A repeated pair before the invalid item: the invalid item is still what Ajv reports.
    components[20] = structuredClone(components[10]) as Component;
    expectRejected(JSON.stringify(document), 'invalid_structure');
    // A repeated pair after it, an invalid dependency entry and invalid metadata too.
    const more = generated(200, 7);
    componentsOf(more)[190] = structuredClone(componentsOf(more)[180]) as Component;
    (componentsOf(more)[185] as Component).name = 5 as unknown as string;
    (more.dependencies as Json[])[7] = { dependsOn: ['x'] };
    expectRejected(JSON.stringify(more), 'invalid_structure');
    (more.metadata as Json).timestamp = 'yesterday';
    expectRejected(JSON.stringify(more), 'invalid_structure');
    expectRejected(
      JSON.stringify(reordered(more, ['components', 'metadata'])),
      'invalid_structure',
    );
  });

  it('matches parseSbom on invalid metadata or services, with a repeated bom-ref later', () => {
    const document = generated(50, 9);
    (componentsOf(document)[40] as Component)['bom-ref'] = componentsOf(document)[2]?.[
      'bom-ref'
    ] as string;
    expectRejected(JSON.stringify(document), 'invalid_structure');
    (document.metadata as Json).component = { name: 'no type' };
    expectRejected(JSON.stringify(document), 'invalid_structure');
    const services = generated(50, 9);
    services.services = [{ 'bom-ref': 'x', name: 1 }];
    expectRejected(JSON.stringify(services), 'invalid_structure');
    services.services = [{ 'bom-ref': componentsOf(services)[3]?.['bom-ref'], name: 's' }];
    expectRejected(JSON.stringify(services), 'invalid_structure');
    expectRejected(
      JSON.stringify(reordered(services, ['bomFormat', 'specVersion', 'metadata', 'dependencies'])),
      'invalid_structure',
    );
  });

  it('matches parseSbom on dangling and repeated dependency entries, and odd roots', () => {
    const document = generated(60, 3);
    const entries = document.dependencies as { ref: string; dependsOn?: string[] }[];
    entries.push({ ref: 'pkg:npm/ghost@1', dependsOn: ['pkg:npm/phantom@2', 'urn:cdx:x/1#y'] });
    entries.push({ ref: entries[0]?.ref as string });
    entries.push({ ref: entries[3]?.ref as string, dependsOn: [entries[4]?.ref as string] });
    const parsed = expectParsed(JSON.stringify(document));
    expect(parsed.warnings.length).toBeGreaterThanOrEqual(2);
    const metadata = document.metadata as { component: Json };
    delete metadata.component['bom-ref'];
    expectParsed(JSON.stringify(document));
    delete (document as { metadata?: unknown }).metadata;
    expectParsed(JSON.stringify(document));
    expectParsed(JSON.stringify({ ...document, dependencies: [] }));
  });

  it('matches parseSbom on licences, purls and hashes needing normalisation', () => {
    const document = generated(20, 11);
    const components = componentsOf(document);
    Object.assign(components[0] as Component, {
      licenses: [{ license: { name: ' Custom ' } }, { license: { id: 'MIT' } }],
      purl: 'pkg:npm/%zz@1',
      hashes: [{ alg: 'SHA-1', content: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' }],
    });
    Object.assign(components[1] as Component, { licenses: [{ expression: 'MIT OR (' }] });
    const parsed = expectParsed(JSON.stringify(document));
    expect(parsed.warnings).toHaveLength(2);
  });
});

describe('parseCycloneDxStream: refusals and fallbacks', () => {
  const minimal = { bomFormat: 'CycloneDX', specVersion: '1.5', components: [] };

  it.each([
    ['an array root', '[{"bomFormat":"CycloneDX"}]'],
    ['a string root', '"x"'],
    ['an empty body', ''],
    ['whitespace', '  \n'],
    ['SPDX', JSON.stringify({ spdxVersion: 'SPDX-2.3', SPDXID: 'SPDXRef-DOCUMENT' })],
    ['another JSON object', JSON.stringify({ Results: [], SchemaVersion: 2 })],
    ['a repeated member', '{"bomFormat":"CycloneDX","specVersion":"1.5","specVersion":"1.4"}'],
    [
      'a repeated array',
      '{"bomFormat":"CycloneDX","specVersion":"1.5","components":[],"components":[]}',
    ],
    [
      'a DSSE envelope',
      JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: 'e30=' }),
    ],
    [
      'an in-toto statement',
      JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', predicate: minimal }),
    ],
    ['a broken BOM', Buffer.from([0xef, 0xbb, 0x7b, 0x7d])],
  ])('leaves %s to parseSbom', (_, document) => {
    expect(expectSameAsWhole(document)).toBe('fallback');
  });

  it('leaves a document without bomFormat to parseSbom even with format=cyclonedx', () => {
    expect(expectSameAsWhole('{"specVersion":"1.5"}', { format: 'cyclonedx' })).toBe('fallback');
  });

  it.each([
    ['gzip', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])],
    ['zip', Buffer.from('PK\x03\x04rest', 'latin1')],
    ['XML', '<?xml version="1.0"?><bom/>'],
    ['tag-value', 'SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n'],
    ['tar', Buffer.concat([Buffer.alloc(257), Buffer.from('ustar\0'), Buffer.alloc(300)])],
  ])('refuses %s as parseSbom does', (_, document) => {
    expectRejected(document, 'unsupported_format');
  });

  it('refuses what parseSbom refuses before validating, once the JSON is known to be valid', () => {
    const document = generated(30, 12);
    expectRejected(JSON.stringify({ ...document, bomFormat: 'SPDX' }), 'unknown_format');
    expectRejected(JSON.stringify({ ...document, specVersion: '2.0' }), 'unsupported_version');
    const { specVersion: _, ...noVersion } = document;
    expectRejected(JSON.stringify(noVersion), 'unsupported_version');
    expectRejected(JSON.stringify(document), 'format_mismatch', { format: 'spdx' });
    expectParsed(JSON.stringify(document), { format: 'cyclonedx' });
    // Those members after the arrays, and a syntax error in an array after them.
    const late = reordered({ ...document, bomFormat: 'x' }, ['components', 'dependencies']);
    expectRejected(JSON.stringify(late), 'unknown_format');
    const text = JSON.stringify({ ...document, bomFormat: 'x' });
    expectRejected(text.replace('"library"', '"library" x'), 'invalid_json');
    const lateText = JSON.stringify(late);
    expectRejected(lateText.replace('"library"', '"library" x'), 'invalid_json');
  });

  it('declines a lone surrogate in a component, which parseSbom refuses by pointer', () => {
    const text = JSON.stringify(generated(30, 13)).replace(/"name":"[^"]*"/, '"name":"x\\ud800"');
    expect(expectSameAsWhole(text)).toBe('fallback');
    const refused = expectSameAsWhole(text, undefined, [], () => null);
    expect(refused).toBeInstanceOf(InvalidDocumentError);
    expect((refused as InvalidDocumentError).reason).toBe('invalid_unicode');
  });

  it('refuses a document listing vulnerabilities but no components', () => {
    expectRejected(
      JSON.stringify({ ...minimal, vulnerabilities: [{ id: 'CVE-2024-1' }] }),
      'wrong_kind',
    );
  });

  it('rejects a document nested too deeply to validate as parseSbom does', () => {
    const depth = 20_000;
    const nested = `${'{"type":"library","name":"n","components":['.repeat(depth)}${'{"type":"library","name":"leaf"}'}${']}'.repeat(depth)}`;
    const text = `{"bomFormat":"CycloneDX","specVersion":"1.5","components":[${nested}]}`;
    const error = expectSameAsWhole(text, undefined, [64 * 1024]);
    expect(error).toBeInstanceOf(InvalidDocumentError);
  });

  it('rejects metadata nested too deeply to validate as parseSbom does', () => {
    const depth = 20_000;
    const nested = `${'{"type":"library","name":"n","components":['.repeat(depth)}{"type":"library","name":"leaf"}${']}'.repeat(depth)}`;
    const text = `{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":${nested}},"components":[]}`;
    expectRejected(text, 'invalid_structure');
  });

  it('keeps a "__proto__" member an own member, as JSON.parse does', () => {
    const text =
      '{"bomFormat":"CycloneDX","specVersion":"1.2","__proto__":{"x":1},"components":[]}';
    expectParsed(text);
  });
});

describe('parseCycloneDxStream: syntax errors', () => {
  const text = JSON.stringify(generated(40, 13), null, 1);

  it('counts lines and columns after a BOM as parseSbom does', () => {
    expectRejected(`\uFEFF${text.replace('"library"', '"library" x')}`, 'invalid_json');
    expectRejected('\uFEFF{"bomFormat":"CycloneDX" "x"}', 'invalid_json');
  });

  it('rejects truncated documents naming the line, wherever the cut is', () => {
    for (const fraction of [0.001, 0.1, 0.3, 0.5, 0.77, 0.9, 0.999]) {
      const cut = Buffer.from(text).subarray(0, Math.floor(text.length * fraction));
      expectRejected(cut, 'invalid_json');
    }
  });

  it.each([
    ['inside a component', (t: string) => t.replace('"library"', '"library" "x"')],
    ['between components', (t: string) => t.replace('},\n  {', '}\n  {')],
    ['in a member', (t: string) => t.replace('"timestamp"', '"timestamp" 1')],
    ['after the root', (t: string) => `${t} {}`],
    ['in a dependency entry', (t: string) => t.replace('"dependsOn": [', '"dependsOn": [,')],
    ['in a string', (t: string) => t.replace('"library"', '"lib\\qrary"')],
    ['a control character', (t: string) => t.replace('"library"', '"lib\u0001rary"')],
    ['a multi-byte character before', (t: string) => t.replace('"library"', '"библиотека" x')],
  ])('rejects invalid JSON %s at the line parseSbom names', (_, edit) => {
    expectRejected(edit(text), 'invalid_json');
  });
});

describe('parseCycloneDxStream: properties', () => {
  interface Tree {
    name: string;
    children: Tree[];
  }
  const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
    node: fc.record({
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
      children: fc.oneof(
        { maxDepth: 3, depthIdentifier: 'tree' },
        fc.constant<Tree[]>([]),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    }),
  })).node;
  const keys = ['bomFormat', 'specVersion', 'metadata', 'components', 'services', 'dependencies'];

  it('answers as parseSbom on random documents, member orders and chunkings', () => {
    fc.assert(
      fc.property(
        fc.array(tree, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        fc.constantFrom('1.2', '1.3', '1.4', '1.6', '1.7'),
        fc.shuffledSubarray(keys, { minLength: keys.length }),
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        (forest, picks, version, order, size, reuseRefs) => {
          let next = 0;
          const refs: string[] = [];
          const toComponent = (node: Tree): Json => {
            // Refs drawn from a small pool repeat now and then.
            const ref = reuseRefs
              ? `r${(picks[next++ % Math.max(picks.length, 1)] ?? 0) % 5}`
              : `c${next++}`;
            refs.push(ref);
            return {
              type: 'library',
              name: node.name,
              version: '1',
              'bom-ref': ref,
              components: node.children.map(toComponent),
            };
          };
          const components = forest.map(toComponent);
          const members: Json = {
            bomFormat: 'CycloneDX',
            specVersion: version,
            metadata: {
              component: { type: 'application', name: 'root', version: '1', 'bom-ref': 'root' },
            },
            components,
            services: [{ name: 'svc', 'bom-ref': reuseRefs ? 'r1' : 'svc' }],
            dependencies: [
              {
                ref: 'root',
                dependsOn: [
                  ...new Set(picks.map((pick) => refs[pick % Math.max(refs.length, 1)] ?? 'none')),
                ],
              },
              ...picks.slice(0, 3).map((pick) => ({ ref: `r${pick % 7}` })),
            ],
          };
          const bytes = Buffer.from(JSON.stringify(reordered(members, order)));
          expectSameAsWhole(bytes, undefined, [size]);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('ran every comparison it counted', () => {
    // Documents × chunk sizes compared by the tests above (this file's total).
    expect(comparisons()).toBeGreaterThan(500);
  });
});
