import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSbom } from './index.js';

interface Tree {
  name: string;
  children: Tree[];
}

const tree: fc.Arbitrary<Tree> = fc.letrec<{ node: Tree }>((tie) => ({
  node: fc.record({
    name: fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/),
    children: fc.oneof(
      { maxDepth: 4, depthIdentifier: 'tree' },
      fc.constant<Tree[]>([]),
      fc.array(tie('node'), { maxLength: 3 }),
    ),
  }),
})).node;

/** Pre-order (document order) list of a forest's nodes. */
function flatten(forest: Tree[]): Tree[] {
  return forest.flatMap((node) => [node, ...flatten(node.children)]);
}

describe('parseSbom properties', () => {
  it('counts every generated component, nested or not, and splits them into direct + transitive', () => {
    fc.assert(
      fc.property(
        fc.array(tree, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.boolean(),
        (forest, picks, withGraph) => {
          const all = flatten(forest);
          const refOf = new Map(all.map((node, index) => [node, `c${index}`]));
          const toComponent = (node: Tree): Record<string, unknown> => ({
            type: 'library',
            'bom-ref': refOf.get(node),
            name: node.name,
            components: node.children.map(toComponent),
          });
          const direct = new Set(
            all.length === 0 ? [] : picks.map((pick) => `c${pick % all.length}`),
          );
          const bom = {
            bomFormat: 'CycloneDX',
            specVersion: '1.6',
            metadata: { component: { type: 'application', name: 'root', 'bom-ref': 'root' } },
            components: forest.map(toComponent),
            ...(withGraph ? { dependencies: [{ ref: 'root', dependsOn: [...direct] }] } : {}),
          };
          const { summary, warnings } = parseSbom(Buffer.from(JSON.stringify(bom)));
          expect(summary.component_count).toBe(all.length);
          expect(summary.components.map((c) => c.name)).toEqual(all.map((node) => node.name));
          expect(summary.direct_dependency_count).toBe(withGraph ? direct.size : 0);
          expect(summary.direct_dependency_count + summary.transitive_dependency_count).toBe(
            summary.component_count,
          );
          expect(summary.has_dependency_graph).toBe(withGraph);
          expect(warnings).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('never throws anything but InvalidDocumentError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseSbom(Buffer.from(JSON.stringify(value) ?? 'null'));
        } catch (error) {
          expect((error as Error).name).toBe('InvalidDocumentError');
        }
      }),
      { numRuns: 300 },
    );
  });
});
