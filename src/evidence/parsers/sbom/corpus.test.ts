import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSbom } from './index.js';

// CI runs in a fresh clone with shared/ copied beside it, so resolve from the working directory.
const corpus = path.resolve(process.cwd(), '../shared/corpus');
const fixtures = path.resolve(process.cwd(), 'src/evidence/parsers/sbom/fixtures');

type Json = Record<string, unknown>;

interface Expected {
  format: 'cyclonedx' | 'spdx';
  component_count: number;
  direct_dependency_count: number;
  licenses: string[];
  has_dependency_graph: boolean;
}

/*
 * The expectations below are computed from the raw JSON by a deliberately naive walk,
 * written from the contract (DESIGN.md, "Evidence items") and not from the parser's code.
 */

function list(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

function expectedCycloneDx(bom: Json): Expected {
  const components: Json[] = [];
  const collect = (items: unknown) => {
    for (const component of list(items)) {
      components.push(component);
      collect(component.components);
    }
  };
  collect(bom.components);
  const refs = new Set(components.map((c) => c['bom-ref']));
  const rootRef = ((bom.metadata as Json | undefined)?.component as Json | undefined)?.['bom-ref'];
  const direct = new Set<unknown>();
  for (const dependency of list(bom.dependencies)) {
    if (rootRef !== undefined && dependency.ref === rootRef) {
      for (const target of (dependency.dependsOn as unknown[] | undefined) ?? []) {
        if (refs.has(target)) direct.add(target);
      }
    }
  }
  const licences = new Set<string>();
  for (const component of components) {
    for (const choice of list(component.licenses)) {
      const licence = choice.license as Json | undefined;
      const value = choice.expression ?? licence?.id ?? licence?.name;
      if (typeof value === 'string' && value.trim() !== '') licences.add(value.trim());
    }
  }
  return {
    format: 'cyclonedx',
    component_count: components.length,
    direct_dependency_count: direct.size,
    licenses: [...licences].sort(),
    has_dependency_graph: list(bom.dependencies).length > 0,
  };
}

function expectedSpdx(document: Json): Expected {
  const relationships = list(document.relationships);
  const described = new Set<unknown>((document.documentDescribes as unknown[] | undefined) ?? []);
  for (const r of relationships) {
    if (r.relationshipType === 'DESCRIBES' && r.spdxElementId === document.SPDXID) {
      described.add(r.relatedSpdxElement);
    }
    if (r.relationshipType === 'DESCRIBED_BY' && r.relatedSpdxElement === document.SPDXID) {
      described.add(r.spdxElementId);
    }
  }
  const components = list(document.packages).filter((p) => !described.has(p.SPDXID));
  const ids = new Set(components.map((p) => p.SPDXID));
  const dependencyOf = /^([A-Z]+_)?DEPENDENCY_OF$/;
  const direct = new Set<unknown>();
  let graph = false;
  for (const r of relationships) {
    const type = String(r.relationshipType);
    if (type === 'DEPENDS_ON') {
      graph = true;
      if (described.has(r.spdxElementId) && ids.has(r.relatedSpdxElement))
        direct.add(r.relatedSpdxElement);
    }
    if (dependencyOf.test(type)) {
      graph = true;
      if (described.has(r.relatedSpdxElement) && ids.has(r.spdxElementId))
        direct.add(r.spdxElementId);
    }
  }
  const licences = new Set<string>();
  for (const p of components) {
    for (const value of [p.licenseConcluded, p.licenseDeclared]) {
      if (typeof value === 'string' && !['NOASSERTION', 'NONE', ''].includes(value.trim())) {
        licences.add(value.trim());
      }
    }
  }
  return {
    format: 'spdx',
    component_count: components.length,
    direct_dependency_count: direct.size,
    licenses: [...licences].sort(),
    has_dependency_graph: graph,
  };
}

function sbomFiles(): string[] {
  const files: string[] = [];
  for (const dir of [
    path.join(corpus, 'sbom/cyclonedx'),
    path.join(corpus, 'sbom/spdx'),
    fixtures,
  ]) {
    for (const name of readdirSync(dir)) files.push(path.join(dir, name));
  }
  return files;
}

function rawDocument(file: string): Json {
  const outer = JSON.parse(readFileSync(file, 'utf8')) as Json;
  if (typeof outer.payload !== 'string') return outer;
  const statement = JSON.parse(Buffer.from(outer.payload, 'base64').toString('utf8')) as Json;
  return statement.predicate as Json;
}

describe('parseSbom over the real-world corpus', () => {
  it('finds the corpus', () => {
    expect(sbomFiles().length).toBeGreaterThanOrEqual(13);
  });

  for (const file of sbomFiles()) {
    it(`summarises ${path.relative(corpus, file)}`, () => {
      const raw = rawDocument(file);
      const expected = 'bomFormat' in raw ? expectedCycloneDx(raw) : expectedSpdx(raw);
      const parsed = parseSbom(readFileSync(file));
      const { summary } = parsed;
      expect(parsed.format).toBe(expected.format);
      expect(summary.component_count).toBe(expected.component_count);
      expect(summary.components).toHaveLength(expected.component_count);
      expect(summary.direct_dependency_count).toBe(expected.direct_dependency_count);
      expect(summary.transitive_dependency_count).toBe(
        expected.component_count - expected.direct_dependency_count,
      );
      expect(summary.licenses).toEqual(expected.licenses);
      expect(summary.has_dependency_graph).toBe(expected.has_dependency_graph);
      for (const component of summary.components) {
        expect(component.name).not.toBe('');
      }
    });
  }

  it('counts the two formats of one Trivy scan the same way', () => {
    const cdx = parseSbom(
      readFileSync(path.join(corpus, 'sbom/cyclonedx/trivy-centos-7.cdx.json')),
    );
    const spdx = parseSbom(readFileSync(path.join(corpus, 'sbom/spdx/trivy-centos-7.spdx.json')));
    expect(spdx.summary.component_count).toBe(cdx.summary.component_count);
    const purls = (parsed: typeof cdx) =>
      parsed.summary.components.map((c) => String(c.purl)).sort();
    expect(purls(spdx)).toEqual(purls(cdx));
    expect(spdx.summary.root?.name).toBe(cdx.summary.root?.name);
  });

  it('counts npm sbom output the same in both formats', () => {
    const cdx = parseSbom(readFileSync(path.join(fixtures, 'npm-sbom.cdx.json')));
    const spdx = parseSbom(readFileSync(path.join(fixtures, 'npm-sbom.spdx.json')));
    for (const key of ['component_count', 'direct_dependency_count', 'licenses'] as const) {
      expect(spdx.summary[key]).toEqual(cdx.summary[key]);
    }
    expect(spdx.summary.direct_dependency_count).toBe(3);
    expect(spdx.summary.components.map((c) => c.purl).sort()).toEqual(
      cdx.summary.components.map((c) => c.purl).sort(),
    );
  });

  it('keeps components in document order, nested ones after their parent', () => {
    const parsed = parseSbom(
      readFileSync(path.join(corpus, 'sbom/cyclonedx/proton-bridge-1.8.0.cdx.json')),
    );
    const raw = rawDocument(path.join(corpus, 'sbom/cyclonedx/proton-bridge-1.8.0.cdx.json'));
    expect(parsed.summary.components.map((c) => c.name)).toEqual(
      list(raw.components).map((c) => c.name),
    );
  });

  it('unwraps the DSSE envelope and says its signature was not verified', () => {
    const parsed = parseSbom(
      readFileSync(path.join(corpus, 'sbom/cyclonedx/trivy-centos-7.cdx.intoto.jsonl')),
    );
    expect(parsed.spec_version).toBe('1.4');
    expect(parsed.summary.component_count).toBe(3);
    expect(parsed.warnings.some((w) => /DSSE envelope.*not verified/.test(w))).toBe(true);
    expect(parsed.warnings.some((w) => w.includes('GPLv3+'))).toBe(true);
    expect(parsed.summary.licenses).toContain('GPLv3+');
  });
});
