import { describe, expect, it } from 'vitest';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseSbom } from './index.js';

function parse(rest: Record<string, unknown>) {
  return parseSbom(
    Buffer.from(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', ...rest })),
  );
}

function rejection(rest: Record<string, unknown>): InvalidDocumentError {
  try {
    parse(rest);
  } catch (error) {
    if (error instanceof InvalidDocumentError) return error;
    throw error;
  }
  throw new Error('the document was accepted');
}

const root = { type: 'application', name: 'app', 'bom-ref': 'root' };
const lib = (ref: string, rest: Record<string, unknown> = {}) => ({
  type: 'library',
  name: ref,
  'bom-ref': ref,
  ...rest,
});

describe('the CycloneDX dependency graph', () => {
  it('reads an entry for the root without dependsOn as "depends on nothing"', () => {
    const parsed = parse({
      metadata: { component: root },
      components: [lib('a')],
      dependencies: [{ ref: 'root' }, { ref: 'a' }],
    });
    expect(parsed.summary).toMatchObject({
      has_dependency_graph: true,
      direct_dependency_count: 0,
      transitive_dependency_count: 1,
    });
    expect(parsed.warnings).toEqual([]);
  });

  it.each([
    ['without dependsOn first', [{ ref: 'root' }, { ref: 'root', dependsOn: ['a'] }]],
    ['without dependsOn last', [{ ref: 'root', dependsOn: ['a'] }, { ref: 'root' }]],
  ])('merges repeated entries for the root, one %s', (_, dependencies) => {
    const parsed = parse({
      metadata: { component: root },
      components: [lib('a'), lib('b')],
      dependencies,
    });
    expect(parsed.summary.direct_dependency_count).toBe(1);
    expect(parsed.warnings).toEqual(['Dependency entries repeating a ref, merged: 1 ("root")']);
  });
});

describe('duplicate bom-refs', () => {
  it.each([
    [
      'a nested component of the root',
      {
        metadata: { component: { ...root, components: [lib('x')] } },
        components: [lib('x')],
      },
      '/components/0/bom-ref',
      '/metadata/component/components/0',
    ],
    [
      'a nested component',
      { components: [lib('a', { components: [lib('x')] }), lib('x')] },
      '/components/1/bom-ref',
      '/components/0/components/0',
    ],
    [
      'a component, repeated by a service',
      { components: [lib('x')], services: [{ name: 'svc', 'bom-ref': 'x' }] },
      '/services/0/bom-ref',
      '/components/0',
    ],
    [
      'a service, repeated by a nested service',
      {
        services: [
          { name: 'a', 'bom-ref': 'x' },
          { name: 'b', services: [{ name: 'c', 'bom-ref': 'x' }] },
        ],
      },
      '/services/1/services/0/bom-ref',
      '/services/0',
    ],
  ])('name the first use when it is %s', (_, bom, path, first) => {
    const error = rejection(bom);
    expect(error.errors).toEqual([{ path, message: `bom-ref "x" is already used by ${first}` }]);
  });
});
