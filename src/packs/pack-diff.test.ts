import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SbomComponent, SbomSummary } from '../evidence/parsers/sbom/index.js';
import { parseSbom } from '../evidence/parsers/sbom/index.js';
import type { Finding, Severity } from '../evidence/parsers/scan/index.js';
import type { ActiveException } from '../exceptions/index.js';
import type { Violation } from '../policy/policy-engine.js';
import type { RuleId } from '../policy/rule-catalogue.js';
import { RISK_MODEL_V1_0 } from '../risk/model-v1-0.js';
import { AS_OF, bestInput, daysBefore } from '../risk/risk-fixtures.js';
import type { RiskInput, RiskModel } from '../risk/risk-model.js';
import { scoreRisk } from '../risk/score-risk.js';
import type { DocumentRef, PackBody, TestEvidence } from './pack-body.js';
import {
  componentIdentity,
  diffPacks,
  isEmptyDiff,
  type PackDiff,
  purlIdentity,
} from './pack-diff.js';

// ---------------------------------------------------------------------------------------
// Fixtures: a complete pack body with fixed values; each test overrides what it is about.
// ---------------------------------------------------------------------------------------

const SHA = (c: string) => c.repeat(64).slice(0, 64);

function documentRef(kind: string, sha256: string): DocumentRef {
  return {
    evidence_id: `ev-${kind}-${sha256.slice(0, 4)}`,
    kind,
    format: 'json',
    spec_version: null,
    sha256,
    size_bytes: 100,
    created_at: '2026-02-01T00:00:00.000Z',
  };
}

function sbomSummary(components: SbomComponent[], licenses: string[] = []): SbomSummary {
  return {
    component_count: components.length,
    direct_dependency_count: 0,
    transitive_dependency_count: components.length,
    licenses,
    components,
    root: null,
    has_dependency_graph: false,
  };
}

function component(
  name: string,
  version: string | null,
  purl: string | null = null,
): SbomComponent {
  return { ref: null, name, version, purl, licenses: [], hashes: [], type: 'library' };
}

function finding(id: string, severity: Severity = 'high'): Finding {
  const [vulnerability_id = id, pkg = 'pkg', installed = ''] = id.split('|');
  return {
    id,
    vulnerability_id,
    package: pkg,
    installed_version: installed === '' ? null : installed,
    fixed_version: null,
    severity,
    purl: null,
    targets: [],
    title: null,
  };
}

function scan(
  findings: Finding[],
  options: { sha?: string; suppressed?: string[]; vex?: string[] } = {},
): NonNullable<PackBody['vuln_scan_results']> {
  return {
    document: documentRef('vuln_scan', options.sha ?? SHA('5')),
    tool_version: '0.50.0',
    severity_counts: { critical: 0, high: 0, medium: 0, low: 0, unknown: 0 },
    findings,
    vex_suppressed: (options.suppressed ?? []).map((finding_id) => ({
      finding_id,
      status: 'not_affected',
      vulnerability_id: finding_id.split('|')[0] ?? finding_id,
    })),
    vex_documents: (options.vex ?? []).map((sha) => documentRef('vex', sha)),
  };
}

function violation(rule_id: RuleId, extra: Partial<Violation> = {}): Violation {
  return {
    rule_id,
    severity: 'high',
    message: `${rule_id} is violated.`,
    finding_ids: [],
    component_ids: [],
    ...extra,
  };
}

function violations(...list: Violation[]): PackBody['policy_violations'] {
  return Object.fromEntries(list.map((v) => [v.rule_id, v]));
}

function exception(id: string): ActiveException {
  return {
    id,
    exception_type: 'vuln_high',
    finding_ids: [],
    rule_ids: [],
    expires_at: '2026-05-01T00:00:00.000Z',
    approved_by: 'reviewer',
    approved_at: '2026-02-01T00:00:00.000Z',
    compensating_controls: 'WAF rule',
    compensating_control_verification: 'checked',
    description: 'accepted',
    requested_by: 'submitter',
  };
}

function testEvidence(
  stage: 'lab' | 'ring0',
  counts: Partial<Omit<TestEvidence, 'stage' | 'document'>> = {},
  sha = SHA(stage === 'lab' ? '7' : '8'),
): TestEvidence {
  return {
    stage,
    document: documentRef('test_results', sha),
    total: 10,
    passed: 10,
    failed: 0,
    skipped: 0,
    coverage_percent: stage === 'lab' ? 90 : null,
    devices: stage === 'ring0' ? 25 : null,
    duration_seconds: 60,
    ...counts,
  };
}

function risk(input: Partial<RiskInput> = {}, model: RiskModel = RISK_MODEL_V1_0) {
  return scoreRisk(bestInput(input), model);
}

function body(overrides: Partial<PackBody> = {}): PackBody {
  return {
    deployment_intent: {
      id: 'intent-1',
      status: 'submitted',
      revision: 1,
      created_by: 'submitter',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      app_name: 'Proton Bridge',
      app_version: '1.8.0',
      plane: 'intune',
      artifact_sha256: SHA('a'),
      install_command: 'setup.exe /S',
      install_timeout_seconds: 600,
      uninstall_command: 'uninstall.exe /S',
      uninstall_timeout_seconds: 300,
      detection_method: 'registry',
      detection_query: 'HKLM\\SOFTWARE\\Proton:Version',
      rollout_plan: { rings: [] },
      rollback_plan: { strategy: 'uninstall' },
      justification: 'update',
    },
    artifact_sha256: SHA('a'),
    artifact_signature: null,
    artifact_size_bytes: 1000,
    artifact_publisher: 'Proton AG',
    artifact_filename: 'bridge.exe',
    artifact_build_time: null,
    sbom_format: 'cyclonedx',
    sbom_data: { document: documentRef('sbom', SHA('b')), summary: sbomSummary([]) },
    vuln_scan_tool: 'trivy',
    vuln_scan_results: scan([]),
    vuln_scan_passed: true,
    install_command: 'setup.exe /S',
    install_timeout_seconds: 600,
    uninstall_command: 'uninstall.exe /S',
    uninstall_timeout_seconds: 300,
    detection_method: 'registry',
    detection_query: 'HKLM\\SOFTWARE\\Proton:Version',
    rollout_plan: { rings: [] },
    rollback_plan: { strategy: 'uninstall' },
    test_evidence: { lab: testEvidence('lab'), ring0: testEvidence('ring0') },
    test_summary: 'pass',
    policy_violations: {},
    policy_waived: [],
    policy_approved: true,
    policy_set_version: '1',
    policy_rules_checked: ['sbom_present'],
    has_exceptions: false,
    exception_count: 0,
    exception_records: [],
    risk: risk(),
    version: '1.0',
    previous_version: null,
    previous_pack_id: null,
    created_at: AS_OF,
    created_by: 'submitter',
    is_immutable: true,
    as_of: AS_OF,
    ...overrides,
  };
}

function withComponents(components: SbomComponent[], licenses: string[] = []): Partial<PackBody> {
  return {
    sbom_data: {
      document: documentRef('sbom', SHA('b')),
      summary: sbomSummary(components, licenses),
    },
  };
}

// ---------------------------------------------------------------------------------------
// Acceptance: proton-bridge 1.6.3 → 1.8.0, checked against an independent naive walk.
// ---------------------------------------------------------------------------------------

const CORPUS = '/work/shared/corpus/sbom/cyclonedx';
const rawJson = (file: string): unknown => JSON.parse(readFileSync(`${CORPUS}/${file}`, 'utf8'));

interface NaiveComponent {
  key: string;
  name: string;
  version: string | null;
  purl: string | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `components` and their nested `components`, read straight from the JSON. */
function naiveWalk(document: unknown): NaiveComponent[] {
  const out: NaiveComponent[] = [];
  const visit = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const node of list) {
      if (!isRecord(node)) continue;
      const purl = text(node.purl);
      const name = text(node.name) ?? '';
      // Naive identity: the purl up to its version ('@' after the last '/'); else the name.
      let key = `name:${name.toLowerCase()}`;
      if (purl !== null) {
        const bare = purl.split('?')[0]?.split('#')[0] ?? purl;
        const at = bare.lastIndexOf('@');
        key = at > bare.lastIndexOf('/') ? bare.slice(0, at) : bare;
      }
      out.push({ key, name, version: text(node.version), purl });
      visit(node.components);
    }
  };
  if (isRecord(document)) visit(document.components);
  return out;
}

/** The multiset rule done the slow, obvious way: arrays and splice. */
function naiveDiff(before: NaiveComponent[], after: NaiveComponent[]) {
  const keys = [...new Set([...before, ...after].map((c) => c.key))];
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  let unchanged = 0;
  for (const key of keys) {
    const was = before.filter((c) => c.key === key);
    const now = after.filter((c) => c.key === key);
    const left: NaiveComponent[] = [];
    for (const c of was) {
      const i = now.findIndex((n) => n.version === c.version);
      if (i >= 0) {
        now.splice(i, 1);
        unchanged++;
      } else left.push(c);
    }
    if (left.length === 1 && now.length === 1) {
      const [f, t] = [left[0] as NaiveComponent, now[0] as NaiveComponent];
      changed.push(`${key} ${t.name} ${f.version} → ${t.version} ${f.purl} → ${t.purl}`);
    } else {
      removed.push(...left.map((c) => `${c.key}@${c.version} ${c.purl}`));
      added.push(...now.map((c) => `${c.key}@${c.version} ${c.purl}`));
    }
  }
  return { added: added.sort(), removed: removed.sort(), changed: changed.sort(), unchanged };
}

function observed(diff: PackDiff) {
  return {
    added: diff.components.added.map((c) => `${c.key}@${c.version} ${c.purl}`).sort(),
    removed: diff.components.removed.map((c) => `${c.key}@${c.version} ${c.purl}`).sort(),
    changed: diff.components.changed
      .map(
        (c) =>
          `${c.key} ${c.name} ${c.from_version} → ${c.to_version} ${c.from_purl} → ${c.to_purl}`,
      )
      .sort(),
    unchanged: diff.components.unchanged_count,
  };
}

function packOfDocument(document: unknown, version: string, sha: string): PackBody {
  const parsed = parseSbom(new TextEncoder().encode(JSON.stringify(document)));
  return body({
    version,
    sbom_data: { document: documentRef('sbom', sha), summary: parsed.summary },
  });
}

describe('diffPacks: proton-bridge 1.6.3 → 1.8.0 (acceptance)', () => {
  const old = rawJson('proton-bridge-1.6.3.cdx.json');
  const next = rawJson('proton-bridge-1.8.0.cdx.json');

  it('reports exactly the component changes between the two documents', () => {
    const diff = diffPacks(
      packOfDocument(old, '1.0', SHA('1')),
      packOfDocument(next, '1.1', SHA('2')),
    );
    const expected = naiveDiff(naiveWalk(old), naiveWalk(next));

    expect(naiveWalk(old)).toHaveLength(201);
    expect(naiveWalk(next)).toHaveLength(201);
    expect(observed(diff)).toEqual(expected);
    expect(diff.components.added).toHaveLength(0);
    expect(diff.components.removed).toHaveLength(0);
    expect(diff.components.changed).toHaveLength(7);
    expect(diff.components.unchanged_count).toBe(194);
    expect(diff.components.changed.map((c) => [c.name, c.from_version, c.to_version])).toEqual([
      [
        'github.com/emersion/go-imap-quota',
        'v0.0.0-20200423100218-dcfd1b7d2b41',
        'v0.0.0-20210203125329-619074823f3c',
      ],
      ['github.com/go-resty/resty/v2', 'v2.3.0', 'v2.6.0'],
      ['github.com/miekg/dns', 'v1.1.30', 'v1.1.41'],
      [
        'golang.org/x/net',
        'v0.0.0-20200707034311-ab3426394381',
        'v0.0.0-20210405180319-a5a99cb37ef4',
      ],
      [
        'golang.org/x/sync',
        'v0.0.0-20190911185100-cd5d95a43a6e',
        'v0.0.0-20210220032951-036812b2e83c',
      ],
      [
        'golang.org/x/sys',
        'v0.0.0-20200323222414-85ca7c5b95cd',
        'v0.0.0-20210330210617-4fbd30eecc44',
      ],
      [
        'golang.org/x/term',
        'v0.0.0-20201117132131-f5c789dd3221',
        'v0.0.0-20201126162022-7de9c90e9dd1',
      ],
    ]);
    expect(diff.documents_changed).toEqual([{ kind: 'sbom', from: SHA('1'), to: SHA('2') }]);
  });

  it('matches the naive walk on an edited 1.8.0 with removals, nested additions and duplicates', () => {
    const edited = structuredClone(next) as { components: Record<string, unknown>[] };
    const dropped = edited.components.splice(10, 3);
    const first = edited.components[0] as Record<string, unknown>;
    first.components = [
      {
        type: 'library',
        name: 'example.com/nested',
        version: 'v1.0.0',
        purl: 'pkg:golang/example.com/nested@v1.0.0',
      },
      { type: 'library', name: 'Local-Tool', version: '2' },
    ];
    // A second copy of a component under the same identity: one version stays, one is added.
    const copy = structuredClone(edited.components[20] as Record<string, unknown>);
    copy.version = 'v9.9.9';
    copy.purl = `${String(copy.purl).split('@')[0]}@v9.9.9`;
    delete copy['bom-ref'];
    edited.components.push(copy);

    const diff = diffPacks(
      packOfDocument(old, '1.0', SHA('1')),
      packOfDocument(edited, '1.1', SHA('3')),
    );
    const expected = naiveDiff(naiveWalk(old), naiveWalk(edited));

    expect(observed(diff)).toEqual(expected);
    expect(diff.components.removed).toHaveLength(dropped.length);
    expect(diff.components.added).toHaveLength(3);
    const components = (d: unknown) => naiveWalk(d).length;
    expect(diff.components.added.length - diff.components.removed.length).toBe(
      components(edited) - components(old),
    );
  });
});

// ---------------------------------------------------------------------------------------
// Component identity and the multiset rule.
// ---------------------------------------------------------------------------------------

describe('component identity', () => {
  it('is the canonical purl without version, qualifiers and subpath', () => {
    expect(purlIdentity('pkg:npm/%40Angular/Core@1.0.0?a=b#c')).toBe('pkg:npm/%40angular/core');
    expect(purlIdentity('pkg:PYPI/Django_Rest@1.0')).toBe('pkg:pypi/django-rest');
    expect(purlIdentity('pkg:rpm/centos/glibc@2.17?arch=x86_64&distro=centos-7')).toBe(
      'pkg:rpm/centos/glibc',
    );
    expect(purlIdentity('pkg:generic/tool')).toBe('pkg:generic/tool');
  });

  it('cuts a purl packageurl-js refuses the same way, as written', () => {
    // packageurl-js rejects golang versions starting with "v" that are not semver.
    expect(purlIdentity('pkg:golang/github.com/x/y@vnext?q=1')).toBe('pkg:golang/github.com/x/y');
    expect(purlIdentity('pkg:GOLANG/github.com/x/y@vnext#sub')).toBe('pkg:golang/github.com/x/y');
    expect(purlIdentity('pkg:golang/github.com/x/y')).toBe('pkg:golang/github.com/x/y');
    // An unencoded '@' in an npm scope is not a version separator.
    expect(purlIdentity('pkg:npm/@Scope/x%zz@1')).toBe('pkg:npm/@Scope/x%zz');
    expect(purlIdentity('pkg:npm/@Scope/x%zz')).toBe('pkg:npm/@Scope/x%zz');
    expect(purlIdentity('not a purl')).toBeNull();
    expect(purlIdentity('pkg:nothing')).toBeNull();
  });

  it('falls back to the trimmed, lower-cased name', () => {
    expect(componentIdentity({ name: ' OpenSSL ', purl: null })).toBe('name:openssl');
    expect(componentIdentity({ name: 'OpenSSL', purl: 'garbage' })).toBe('name:openssl');
    expect(componentIdentity({ name: 'x', purl: 'pkg:npm/x@1' })).toBe('pkg:npm/x');
  });
});

describe('diffPacks: components', () => {
  const diffOf = (before: SbomComponent[], after: SbomComponent[]) =>
    diffPacks(body(withComponents(before)), body(withComponents(after))).components;

  it('matches by identity: added, removed, changed, unchanged', () => {
    const d = diffOf(
      [
        component('a', '1', 'pkg:npm/a@1'),
        component('b', '1', 'pkg:npm/b@1'),
        component('c', '1', 'pkg:npm/c@1'),
      ],
      [
        component('a', '1', 'pkg:npm/a@1'),
        component('b', '2', 'pkg:npm/b@2'),
        component('d', '1', 'pkg:npm/d@1'),
      ],
    );
    expect(d.added).toEqual([{ key: 'pkg:npm/d', name: 'd', version: '1', purl: 'pkg:npm/d@1' }]);
    expect(d.removed).toEqual([{ key: 'pkg:npm/c', name: 'c', version: '1', purl: 'pkg:npm/c@1' }]);
    expect(d.changed).toEqual([
      {
        key: 'pkg:npm/b',
        name: 'b',
        from_version: '1',
        to_version: '2',
        from_purl: 'pkg:npm/b@1',
        to_purl: 'pkg:npm/b@2',
      },
    ]);
    expect(d.unchanged_count).toBe(1);
  });

  it('treats one identity as a multiset of versions', () => {
    const npm = (v: string) => component('lodash', v, `pkg:npm/lodash@${v}`);
    // {1, 1, 2} → {1, 3}: one 1 unchanged; {1, 2} left against {3}: removed ×2, added ×1.
    const d = diffOf([npm('1'), npm('1'), npm('2')], [npm('1'), npm('3')]);
    expect(d.unchanged_count).toBe(1);
    expect(d.changed).toEqual([]);
    expect(d.removed.map((c) => c.version)).toEqual(['1', '2']);
    expect(d.added.map((c) => c.version)).toEqual(['3']);
    // {1, 2} → {1, 3}: exactly one version left on each side is a change.
    const e = diffOf([npm('1'), npm('2')], [npm('3'), npm('1')]);
    expect(e.changed.map((c) => [c.from_version, c.to_version])).toEqual([['2', '3']]);
    expect(e.unchanged_count).toBe(1);
    // {1, 2} → {3, 4}: no guess which became which.
    const f = diffOf([npm('1'), npm('2')], [npm('3'), npm('4')]);
    expect([f.removed.length, f.added.length, f.changed.length]).toEqual([2, 2, 0]);
  });

  it('ignores qualifiers and name case; keeps per-architecture copies apart by count', () => {
    const rpm = (v: string, arch: string, distro: string) =>
      component('glibc', v, `pkg:rpm/centos/glibc@${v}?arch=${arch}&distro=${distro}`);
    const d = diffOf(
      [
        rpm('2.17', 'x86_64', 'centos-7.8'),
        rpm('2.17', 'i686', 'centos-7.8'),
        component('Left-Pad', '1'),
      ],
      [
        rpm('2.17', 'x86_64', 'centos-7.9'),
        rpm('2.17', 'i686', 'centos-7.9'),
        component('left-pad', '2'),
      ],
    );
    expect(d.unchanged_count).toBe(2);
    expect(d.changed).toEqual([
      {
        key: 'name:left-pad',
        name: 'left-pad',
        from_version: '1',
        to_version: '2',
        from_purl: null,
        to_purl: null,
      },
    ]);
  });

  it('distinguishes a null version from an empty one, and sorts deterministically', () => {
    const d = diffOf(
      [],
      [
        component('z', ''),
        component('z', null),
        component('z', 'a', null),
        component('a', null, 'pkg:npm/a'),
      ],
    );
    expect(d.added.map((c) => [c.key, c.version])).toEqual([
      ['name:z', null],
      ['name:z', ''],
      ['name:z', 'a'],
      ['pkg:npm/a', null],
    ]);
    const same = diffOf([component('z', null)], [component('z', '')]);
    expect(same.changed).toHaveLength(1);
    const tie = diffOf(
      [],
      [
        component('Q', '1', 'pkg:npm/q@1'),
        component('q', '1', 'pkg:npm/q@1'),
        component('q', '1', null),
        component('q', '1', 'pkg:npm/q@1?x=1'),
      ],
    );
    expect(tie.added.map((c) => [c.purl, c.name])).toEqual([
      [null, 'q'],
      ['pkg:npm/q@1', 'Q'],
      ['pkg:npm/q@1', 'q'],
      ['pkg:npm/q@1?x=1', 'q'],
    ]);
  });

  it('treats a missing SBOM as no components', () => {
    const withSbom = body(withComponents([component('a', '1')], ['MIT']));
    const without = body({ sbom_data: null, sbom_format: null });
    const d = diffPacks(without, withSbom);
    expect(d.components.added).toHaveLength(1);
    expect(d.components.licenses).toEqual({ added: ['MIT'], removed: [] });
    expect(d.documents_changed).toEqual([{ kind: 'sbom', from: null, to: SHA('b') }]);
    expect(diffPacks(withSbom, without).components.removed).toHaveLength(1);
  });

  it('reports the licence set', () => {
    const d = diffPacks(
      body(withComponents([], ['Apache-2.0', 'MIT'])),
      body(withComponents([], ['GPL-3.0-only', 'MIT', 'GPL-3.0-only'])),
    );
    expect(d.components.licenses).toEqual({ added: ['GPL-3.0-only'], removed: ['Apache-2.0'] });
  });
});

// ---------------------------------------------------------------------------------------
// The other sections.
// ---------------------------------------------------------------------------------------

describe('diffPacks: findings', () => {
  const a = 'CVE-1|openssl|1.0';
  const b = 'CVE-2|zlib|1.2';
  const c = 'CVE-3|curl|';

  it('reports new, fixed and severity changes by id', () => {
    const d = diffPacks(
      body({ vuln_scan_results: scan([finding(b, 'high'), finding(a, 'medium')]) }),
      body({
        vuln_scan_results: scan([finding(c, 'low'), finding(b, 'critical'), finding(c, 'high')]),
      }),
    ).findings;
    expect(d.new.map((f) => [f.id, f.severity])).toEqual([[c, 'low']]);
    expect(d.fixed.map((f) => f.id)).toEqual([a]);
    expect(d.severity_changed).toEqual([{ id: b, from: 'high', to: 'critical' }]);
    expect(d.vex).toEqual({ now_suppressed: [], no_longer_suppressed: [] });
  });

  it('counts a finding suppressed by VEX as fixed, and a withdrawn statement as new', () => {
    const before = body({ vuln_scan_results: scan([finding(a)], { suppressed: [b] }) });
    const after = body({ vuln_scan_results: scan([finding(b)], { suppressed: [a] }) });
    const d = diffPacks(before, after).findings;
    expect(d.fixed.map((f) => f.id)).toEqual([a]);
    expect(d.new.map((f) => f.id)).toEqual([b]);
    expect(d.vex).toEqual({ now_suppressed: [a], no_longer_suppressed: [b] });
  });

  it('treats a missing scan as no findings', () => {
    const d = diffPacks(
      body({ vuln_scan_results: null }),
      body({ vuln_scan_results: scan([finding(a)]) }),
    );
    expect(d.findings.new.map((f) => f.id)).toEqual([a]);
    expect(d.documents_changed).toEqual([{ kind: 'vuln_scan', from: null, to: SHA('5') }]);
    const back = diffPacks(
      body({ vuln_scan_results: scan([finding(a)]) }),
      body({ vuln_scan_results: null }),
    );
    expect(back.findings.fixed.map((f) => f.id)).toEqual([a]);
  });
});

describe('diffPacks: policy', () => {
  it('reports violations added, resolved and changed by rule id', () => {
    const before = body({
      policy_approved: false,
      policy_violations: violations(
        violation('lab_tests_passed', { message: '2 tests of 10 failed in lab.' }),
        violation('no_critical_high_findings', { finding_ids: ['f1', 'f2'] }),
        violation('licenses_allowed', { component_ids: ['pkg:npm/a@1'] }),
        violation('ring0_passed'),
        violation('timeouts_within_bounds', { severity: 'medium' }),
        violation('artifact_signed'),
      ),
    });
    const after = body({
      policy_approved: false,
      policy_set_version: '2',
      policy_violations: violations(
        violation('lab_tests_passed', { message: '3 tests of 10 failed in lab.' }),
        violation('no_critical_high_findings', { finding_ids: ['f3', 'f2'] }),
        violation('licenses_allowed', { component_ids: ['pkg:npm/b@1'] }),
        violation('ring0_passed'),
        violation('timeouts_within_bounds', { severity: 'high' }),
        violation('sbom_present'),
      ),
    });
    const d = diffPacks(before, after).policy;
    expect(d.violations_added.map((v) => v.rule_id)).toEqual(['sbom_present']);
    expect(d.violations_resolved.map((v) => v.rule_id)).toEqual(['artifact_signed']);
    expect(d.violations_changed).toEqual([
      {
        rule_id: 'lab_tests_passed',
        severity: { from: 'high', to: 'high' },
        message: { from: '2 tests of 10 failed in lab.', to: '3 tests of 10 failed in lab.' },
        finding_ids: { added: [], removed: [] },
        component_ids: { added: [], removed: [] },
      },
      {
        rule_id: 'licenses_allowed',
        severity: { from: 'high', to: 'high' },
        message: { from: 'licenses_allowed is violated.', to: 'licenses_allowed is violated.' },
        finding_ids: { added: [], removed: [] },
        component_ids: { added: ['pkg:npm/b@1'], removed: ['pkg:npm/a@1'] },
      },
      {
        rule_id: 'no_critical_high_findings',
        severity: { from: 'high', to: 'high' },
        message: {
          from: 'no_critical_high_findings is violated.',
          to: 'no_critical_high_findings is violated.',
        },
        finding_ids: { added: ['f3'], removed: ['f1'] },
        component_ids: { added: [], removed: [] },
      },
      {
        rule_id: 'timeouts_within_bounds',
        severity: { from: 'medium', to: 'high' },
        message: {
          from: 'timeouts_within_bounds is violated.',
          to: 'timeouts_within_bounds is violated.',
        },
        finding_ids: { added: [], removed: [] },
        component_ids: { added: [], removed: [] },
      },
    ]);
    expect(d.approved).toEqual({ from: false, to: false });
    expect(d.set_version).toEqual({ from: '1', to: '2' });
  });

  it('sees no change in reordered ids', () => {
    const v = (ids: string[]) =>
      body({
        policy_violations: violations(violation('no_critical_high_findings', { finding_ids: ids })),
      });
    expect(diffPacks(v(['a', 'b']), v(['b', 'a'])).policy.violations_changed).toEqual([]);
  });
});

describe('diffPacks: risk', () => {
  it('reports every factor, flags the changed ones, and the score movement', () => {
    const before = body({ risk: risk({ vulnerabilities: { critical: 0, high: 0 } }) });
    const after = body({
      risk: risk({
        vulnerabilities: { critical: 4, high: 2 },
        policy_violation_count: 2,
        lab_coverage_percent: null,
      }),
    });
    const d = diffPacks(before, after).risk;
    expect(d.changed_factors).toEqual(['vulnerabilities', 'policy_violations', 'test_coverage']);
    expect(d.factors.vulnerabilities).toEqual({
      from: { raw: 0, normalized: 0, weighted: 0 },
      to: { raw: 5, normalized: 50, weighted: 12.5 },
      changed: true,
    });
    expect(d.factors.test_coverage.to.raw).toBeNull();
    expect(d.factors.dependency_risk.changed).toBe(false);
    // 12.5 + 15 + 15 = 42.5, rounded half up.
    expect(d.score).toEqual({ from: 0, to: 43, delta: 43 });
    expect(d.recommendation).toEqual({ from: 'LOW', to: 'MODERATE' });
    expect(d.model_version).toEqual({ from: '1.0', to: '1.0' });
    expect(d.threshold_exceeded).toEqual({ from: false, to: true });
  });

  it('flags a raw change that leaves the normalized value alone', () => {
    const d = diffPacks(
      body({ risk: risk({ transitive_dependency_count: 10 }) }),
      body({ risk: risk({ transitive_dependency_count: 20 }) }),
    ).risk;
    expect(d.changed_factors).toEqual(['dependency_risk']);
    expect(d.score.delta).toBe(0);
  });

  it('compares stored results under different model versions without re-scoring', () => {
    const weights = { ...RISK_MODEL_V1_0.weights, vulnerabilities: 30, artifact_age: 0 };
    const v11: RiskModel = { ...RISK_MODEL_V1_0, version: '1.1', weights };
    const facts = { artifact_build_time: daysBefore(400) };
    const d = diffPacks(body({ risk: risk(facts) }), body({ risk: risk(facts, v11) })).risk;
    expect(d.model_version).toEqual({ from: '1.0', to: '1.1' });
    expect(d.changed_factors).toEqual(['artifact_age']);
    expect(d.factors.artifact_age.to).toEqual({ raw: 400, normalized: 100, weighted: 0 });
  });
});

describe('diffPacks: exceptions, tests, artifact, documents', () => {
  it('reports exception ids added and removed', () => {
    const d = diffPacks(
      body({ exception_records: [exception('e1'), exception('e2')], exception_count: 2 }),
      body({ exception_records: [exception('e3'), exception('e2')], exception_count: 2 }),
    ).exceptions;
    expect(d).toEqual({ added: ['e3'], removed: ['e1'], count: { from: 2, to: 2 } });
  });

  it('reports test summary and stage counts', () => {
    const before = body({
      test_evidence: { lab: null, ring0: testEvidence('ring0') },
      test_summary: 'partial',
    });
    const after = body({
      test_evidence: {
        lab: testEvidence('lab'),
        ring0: testEvidence('ring0', { passed: 8, failed: 2 }),
      },
      test_summary: 'fail',
    });
    const d = diffPacks(before, after).tests;
    expect(d.summary).toEqual({ from: 'partial', to: 'fail' });
    expect(d.lab).toEqual({
      from: null,
      to: {
        total: 10,
        passed: 10,
        failed: 0,
        skipped: 0,
        coverage_percent: 90,
        devices: null,
        duration_seconds: 60,
      },
      changed: true,
    });
    expect(d.ring0.changed).toBe(true);
    expect(d.ring0.to?.failed).toBe(2);
    const rerun = diffPacks(
      after,
      body({
        ...after,
        test_evidence: { lab: testEvidence('lab', {}, SHA('9')), ring0: after.test_evidence.ring0 },
      }),
    );
    expect(rerun.tests.lab.changed).toBe(false);
    expect(rerun.documents_changed).toEqual([{ kind: 'lab', from: SHA('7'), to: SHA('9') }]);
  });

  it('reports an artifact change', () => {
    const d = diffPacks(body(), body({ artifact_sha256: SHA('c') })).artifact;
    expect(d).toEqual({ sha256: { from: SHA('a'), to: SHA('c') }, changed: true });
  });

  it('lists every changed document, in a fixed order, VEX as a set', () => {
    const signature = (sha: string): PackBody['artifact_signature'] => ({
      method: 'x509',
      signer_subject: 'CN=Proton AG',
      issuer: 'CN=CA',
      serial_number: '01',
      not_before: '2025-01-01T00:00:00.000Z',
      not_after: '2027-01-01T00:00:00.000Z',
      algorithm: 'Ed25519',
      chain_valid: true,
      code_signing: true,
      signature_valid: true,
      valid_at_signing_time: true,
      trust_anchor_subject: 'CN=CA',
      trust_anchor_sha256: SHA('f'),
      document: documentRef('signature', sha),
    });
    const before = body({
      artifact_signature: null,
      vuln_scan_results: scan([], { sha: SHA('5'), vex: [SHA('d'), SHA('1'), SHA('e')] }),
      test_evidence: { lab: testEvidence('lab'), ring0: testEvidence('ring0') },
    });
    const after = body({
      sbom_data: { document: documentRef('sbom', SHA('c')), summary: sbomSummary([]) },
      artifact_signature: signature(SHA('4')),
      vuln_scan_results: scan([], { sha: SHA('6'), vex: [SHA('e'), SHA('0'), SHA('2')] }),
      test_evidence: { lab: testEvidence('lab'), ring0: null },
    });
    const d = diffPacks(before, after);
    expect(d.documents_changed).toEqual([
      { kind: 'sbom', from: SHA('b'), to: SHA('c') },
      { kind: 'vuln_scan', from: SHA('5'), to: SHA('6') },
      { kind: 'vex', from: null, to: SHA('0') },
      { kind: 'vex', from: SHA('1'), to: null },
      { kind: 'vex', from: null, to: SHA('2') },
      { kind: 'vex', from: SHA('d'), to: null },
      { kind: 'signature', from: null, to: SHA('4') },
      { kind: 'ring0', from: SHA('8'), to: null },
    ]);
    expect(isEmptyDiff(diffPacks(after, structuredClone(after)))).toBe(true);
  });
});

describe('isEmptyDiff', () => {
  it('is true for identical packs, whatever their versions', () => {
    const a = body(withComponents([component('a', '1', 'pkg:npm/a@1')]));
    const d = diffPacks(a, { ...structuredClone(a), version: '1.1', as_of: daysBefore(-1) });
    expect(isEmptyDiff(d)).toBe(true);
    expect(d.from).toEqual({ version: '1.0', as_of: AS_OF });
    expect(d.to).toEqual({ version: '1.1', as_of: daysBefore(-1) });
    expect(d.components.unchanged_count).toBe(1);
  });

  it('is false for any single kind of change', () => {
    const changes: Partial<PackBody>[] = [
      withComponents([component('a', '1')]),
      { vuln_scan_results: scan([finding('X|y|1')]) },
      { policy_approved: false },
      { risk: risk({ exception_count: 1 }) },
      { exception_count: 1 },
      { test_summary: 'fail' },
      { test_evidence: { lab: testEvidence('lab', { failed: 1 }), ring0: testEvidence('ring0') } },
      { test_evidence: { lab: testEvidence('lab'), ring0: testEvidence('ring0', { devices: 3 }) } },
      { artifact_sha256: SHA('c') },
      {
        artifact_signature: null,
        sbom_data: { document: documentRef('sbom', SHA('9')), summary: sbomSummary([]) },
      },
    ];
    for (const change of changes) expect(isEmptyDiff(diffPacks(body(), body(change)))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------

/** Identities keep one name each, so the later pack's name is also the earlier one's. */
const IDENTITIES = [
  { name: 'lodash', purl: (v: string) => `pkg:npm/lodash@${v}` },
  { name: 'core', purl: (v: string) => `pkg:npm/%40angular/core@${v}` },
  { name: 'glibc', purl: (v: string) => `pkg:rpm/centos/glibc@${v}?arch=x86_64` },
  { name: 'glibc', purl: (v: string) => `pkg:rpm/centos/glibc@${v}?arch=i686` },
  { name: 'Local-Tool', purl: null },
  { name: 'zlib', purl: null },
] as const;

const componentArb = fc
  .record({
    identity: fc.constantFrom(...IDENTITIES),
    version: fc.option(fc.constantFrom('1', '2', '3', ''), { nil: null }),
  })
  .map(({ identity, version }) =>
    component(
      identity.name,
      version,
      identity.purl && version !== null ? identity.purl(version) : null,
    ),
  );

const FINDING_IDS = ['CVE-1|a|1', 'CVE-2|b|1', 'CVE-3|c|', 'GHSA-x|d|2'];
const RULE_IDS: RuleId[] = ['no_critical_high_findings', 'licenses_allowed', 'lab_tests_passed'];
const SHAS = [SHA('1'), SHA('2'), SHA('3')];

const bodyArb = fc
  .record({
    components: fc.array(componentArb, { maxLength: 12 }),
    licenses: fc.subarray(['MIT', 'Apache-2.0', 'GPL-3.0-only']),
    findings: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom(...FINDING_IDS),
        severity: fc.constantFrom<Severity>('critical', 'high', 'low'),
      }),
      { selector: (f) => f.id },
    ),
    suppressed: fc.subarray(FINDING_IDS),
    vex: fc.subarray(SHAS),
    scanSha: fc.constantFrom(...SHAS),
    violations: fc.uniqueArray(
      fc.record({
        rule_id: fc.constantFrom(...RULE_IDS),
        finding_ids: fc.subarray(FINDING_IDS),
        message: fc.constantFrom('one', 'two'),
      }),
      { selector: (v) => v.rule_id },
    ),
    exceptions: fc.subarray(['e1', 'e2', 'e3']),
    lab: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    risk: fc.record({
      critical: fc.integer({ min: 0, max: 5 }),
      violations: fc.integer({ min: 0, max: 3 }),
      coverage: fc.option(fc.integer({ min: 0, max: 100 }), { nil: null }),
    }),
    artifact: fc.constantFrom(SHA('a'), SHA('c')),
  })
  .map((g) =>
    body({
      ...withComponents(g.components, g.licenses),
      vuln_scan_results: scan(
        g.findings.map((f) => finding(f.id, f.severity)),
        { sha: g.scanSha, suppressed: g.suppressed, vex: g.vex },
      ),
      policy_violations: violations(
        ...g.violations.map((v) =>
          violation(v.rule_id, { finding_ids: v.finding_ids, message: v.message }),
        ),
      ),
      policy_approved: g.violations.length === 0,
      exception_records: g.exceptions.map(exception),
      exception_count: g.exceptions.length,
      test_evidence: {
        lab: g.lab === null ? null : testEvidence('lab', { failed: g.lab }),
        ring0: null,
      },
      risk: risk({
        vulnerabilities: { critical: g.risk.critical, high: 0 },
        policy_violation_count: g.risk.violations,
        lab_coverage_percent: g.risk.coverage,
      }),
      artifact_sha256: g.artifact,
    }),
  );

const swap = <T>(pair: { from: T; to: T }) => ({ from: pair.to, to: pair.from });
const swapSets = (s: { added: string[]; removed: string[] }) => ({
  added: s.removed,
  removed: s.added,
});

/** What diffPacks(after, before) must be, derived from diffPacks(before, after). */
function invert(d: PackDiff): PackDiff {
  const factors = Object.fromEntries(
    Object.entries(d.risk.factors).map(([name, f]) => [
      name,
      { from: f.to, to: f.from, changed: f.changed },
    ]),
  ) as PackDiff['risk']['factors'];
  return {
    from: d.to,
    to: d.from,
    components: {
      added: d.components.removed,
      removed: d.components.added,
      changed: d.components.changed.map((c) => ({
        key: c.key,
        name: c.name,
        from_version: c.to_version,
        to_version: c.from_version,
        from_purl: c.to_purl,
        to_purl: c.from_purl,
      })),
      unchanged_count: d.components.unchanged_count,
      licenses: swapSets(d.components.licenses),
    },
    findings: {
      new: d.findings.fixed,
      fixed: d.findings.new,
      severity_changed: d.findings.severity_changed.map((s) => ({
        id: s.id,
        from: s.to,
        to: s.from,
      })),
      vex: {
        now_suppressed: d.findings.vex.no_longer_suppressed,
        no_longer_suppressed: d.findings.vex.now_suppressed,
      },
    },
    policy: {
      violations_added: d.policy.violations_resolved,
      violations_resolved: d.policy.violations_added,
      violations_changed: d.policy.violations_changed.map((v) => ({
        rule_id: v.rule_id,
        severity: swap(v.severity),
        message: swap(v.message),
        finding_ids: swapSets(v.finding_ids),
        component_ids: swapSets(v.component_ids),
      })),
      approved: swap(d.policy.approved),
      set_version: swap(d.policy.set_version),
    },
    risk: {
      score: { ...swap(d.risk.score), delta: d.risk.score.from - d.risk.score.to },
      recommendation: swap(d.risk.recommendation),
      model_version: swap(d.risk.model_version),
      threshold_exceeded: swap(d.risk.threshold_exceeded),
      factors,
      changed_factors: d.risk.changed_factors,
    },
    exceptions: { ...swapSets(d.exceptions), count: swap(d.exceptions.count) },
    tests: {
      summary: swap(d.tests.summary),
      lab: { ...swap(d.tests.lab), changed: d.tests.lab.changed },
      ring0: { ...swap(d.tests.ring0), changed: d.tests.ring0.changed },
    },
    artifact: { sha256: swap(d.artifact.sha256), changed: d.artifact.changed },
    documents_changed: d.documents_changed.map((c) => ({ kind: c.kind, from: c.to, to: c.from })),
  };
}

const countOf = (b: PackBody) => b.sbom_data?.summary.components.length ?? 0;

describe('diffPacks: properties', () => {
  it('diff(a, a) is empty', () => {
    fc.assert(
      fc.property(bodyArb, (a) => {
        const d = diffPacks(a, structuredClone(a));
        expect(isEmptyDiff(d)).toBe(true);
        expect(d.components.unchanged_count).toBe(countOf(a));
        expect([d.components.added, d.components.removed, d.components.changed]).toEqual([
          [],
          [],
          [],
        ]);
        expect([d.findings.new, d.findings.fixed, d.findings.severity_changed]).toEqual([
          [],
          [],
          [],
        ]);
        expect(d.documents_changed).toEqual([]);
      }),
    );
  });

  it('swapping the packs swaps added↔removed, new↔fixed and every from↔to', () => {
    fc.assert(
      fc.property(bodyArb, bodyArb, (a, b) => {
        expect(diffPacks(b, a)).toEqual(invert(diffPacks(a, b)));
      }),
    );
  });

  it('accounts for every component: |added| − |removed| = |after| − |before|', () => {
    fc.assert(
      fc.property(bodyArb, bodyArb, (a, b) => {
        const { added, removed, changed, unchanged_count } = diffPacks(a, b).components;
        // Each `changed` entry pairs one component of each side, so it needs no correction.
        expect(added.length - removed.length).toBe(countOf(b) - countOf(a));
        expect(unchanged_count + changed.length + removed.length).toBe(countOf(a));
        expect(unchanged_count + changed.length + added.length).toBe(countOf(b));
      }),
    );
  });

  it('agrees with the naive multiset walk on random component lists', () => {
    const naive = (b: PackBody) =>
      (b.sbom_data?.summary.components ?? []).map((c) => ({
        key: c.purl
          ? (c.purl.split('?')[0] as string).replace(/@[^@/]*$/, '')
          : `name:${c.name.toLowerCase()}`,
        name: c.name,
        version: c.version,
        purl: c.purl,
      }));
    fc.assert(
      fc.property(bodyArb, bodyArb, (a, b) => {
        expect(observed(diffPacks(a, b))).toEqual(naiveDiff(naive(a), naive(b)));
      }),
    );
  });
});
