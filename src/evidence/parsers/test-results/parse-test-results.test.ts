import { describe, expect, it } from 'vitest';
import { InvalidDocumentError } from '../../../platform/errors.js';
import { parseTestResults } from './index.js';

const bytes = (value: unknown): Uint8Array =>
  new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));

function rejection(
  input: unknown,
  options: Parameters<typeof parseTestResults>[1] = {},
): InvalidDocumentError {
  try {
    parseTestResults(input instanceof Uint8Array ? input : bytes(input), options);
  } catch (error) {
    if (error instanceof InvalidDocumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidDocumentError');
}

const lab = {
  stage: 'lab',
  total: 4,
  passed: 2,
  failed: 1,
  skipped: 1,
  coverage_percent: 81.5,
  duration_seconds: 12.5,
  cases: [
    { name: 'installs', status: 'passed' },
    { name: 'detects', status: 'passed', message: null },
    { name: 'uninstalls', status: 'failed', message: 'exit 1603' },
    { name: 'rollback', status: 'skipped' },
  ],
};

describe('test results as JSON', () => {
  it('reads the DESIGN.md summary', () => {
    const parsed = parseTestResults(bytes(lab));
    expect(parsed).toEqual({
      format: 'json',
      spec_version: null,
      warnings: [],
      summary: {
        stage: 'lab',
        total: 4,
        passed: 2,
        failed: 1,
        skipped: 1,
        coverage_percent: 81.5,
        devices: null,
        duration_seconds: 12.5,
        cases: [
          { name: 'installs', status: 'passed', message: null },
          { name: 'detects', status: 'passed', message: null },
          { name: 'uninstalls', status: 'failed', message: 'exit 1603' },
          { name: 'rollback', status: 'skipped', message: null },
        ],
      },
    });
  });

  it('takes the stage from the document or the option, and refuses a conflict or none', () => {
    const ring0 = {
      total: 10,
      passed: 10,
      failed: 0,
      skipped: 0,
      devices: 25,
      duration_seconds: 3600,
    };
    expect(parseTestResults(bytes(ring0), { stage: 'ring0' }).summary).toMatchObject({
      stage: 'ring0',
      devices: 25,
      duration_seconds: 3600,
      coverage_percent: null,
      cases: [],
    });
    expect(parseTestResults(bytes(lab), { stage: 'lab' }).summary.stage).toBe('lab');
    const conflict = rejection(lab, { stage: 'ring0' });
    expect(conflict).toMatchObject({ reason: 'stage_mismatch', errors: [{ path: '/stage' }] });
    const missing = rejection(ring0);
    expect(missing).toMatchObject({ reason: 'stage_required', errors: [{ path: '/stage' }] });
    expect(rejection(ring0, { stage: 'ring1' as 'lab' }).reason).toBe('invalid_stage');
    expect(rejection({ ...lab, stage: 'prod' }).errors).toEqual([
      { path: '/stage', message: 'must be "lab" or "ring0", got string "prod"' },
    ]);
  });

  it('refuses totals that do not add up, naming /total', () => {
    const error = rejection({ ...lab, total: 5 });
    expect(error).toMatchObject({ reason: 'inconsistent_totals', errors: [{ path: '/total' }] });
    expect(error.message).toBe(
      'passed + failed + skipped must equal total: 2 + 1 + 1 = 4, but total is 5.',
    );
  });

  it('names every type problem by JSON pointer', () => {
    const error = rejection({
      stage: 'lab',
      total: '4',
      passed: -1,
      failed: 1.5,
      coverage_percent: 120,
      devices: -2,
      duration_seconds: 'long',
      cases: [5, { status: 'flaky', message: 3 }],
    });
    expect(error.reason).toBe('invalid_structure');
    expect(error.errors.map((e) => e.path)).toEqual([
      '/total',
      '/passed',
      '/failed',
      '/skipped',
      '/coverage_percent',
      '/devices',
      '/duration_seconds',
      '/cases/0',
      '/cases/1/name',
      '/cases/1/status',
      '/cases/1/message',
    ]);
    expect(error.errors[3]?.message).toBe('is required');
    expect(rejection({ ...lab, cases: 'all good' }).errors).toEqual([
      { path: '/cases', message: 'must be an array, got string "all good"' },
    ]);
    expect(rejection({ ...lab, coverage_percent: 'x' }).errors[0]?.message).toMatch(
      /between 0 and 100/,
    );
    expect(rejection([lab]).errors).toEqual([{ path: '', message: 'got an array' }]);
  });

  it('warns about unknown fields, thin ring-0 evidence and cases that disagree with the counts', () => {
    const parsed = parseTestResults(
      bytes({
        stage: 'ring0',
        total: 2,
        passed: 2,
        failed: 0,
        skipped: 0,
        extra: true,
        cases: [
          { name: 'a', status: 'passed' },
          { name: 'b', status: 'error' },
        ],
      }),
    );
    expect(parsed.warnings).toEqual([
      'Ignored unknown fields: extra.',
      'Ring-0 results should give devices and duration_seconds.',
      'The cases list does not agree with the passed/failed/skipped counts.',
    ]);
  });

  it('names the line of truncated JSON', () => {
    const error = rejection(bytes('{\n "stage": "lab",\n "total": '), { format: 'json' });
    expect(error).toMatchObject({ reason: 'invalid_json' });
    expect(error.errors[0]?.path).toBe('line 3');
  });
});

const junit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="agent" tests="6" time="1,234.5">
  <testsuite name="install" tests="3" time="10">
    <properties><property name="os" value="win11"/></properties>
    <testcase classname="Install" name="msi &amp; exe" time="1.5"/>
    <testcase classname="Install" name="detect" time="2">
      <failure message="expected &quot;1.2&quot; &lt;got&gt; &#8364;&#x41;" type="AssertionError">stack</failure>
    </testcase>
    <testcase name="reboot"><skipped message="no VM"/></testcase>
  </testsuite>
  <testsuite name="uninstall" time="5">
    <testcase classname="Uninstall" name="remove"><error>  boom &amp; bust  </error></testcase>
    <testsuite name="nested">
      <testcase classname="Uninstall" name="cleanup"><failure/></testcase>
      <testcase classname="Uninstall" name="registry"><skipped/></testcase>
    </testsuite>
  </testsuite>
</testsuites>`;

describe('JUnit XML', () => {
  it('counts testcase elements (failures + errors = failed), in document order, with decoded text', () => {
    const parsed = parseTestResults(bytes(junit), { stage: 'lab' });
    expect(parsed).toMatchObject({ format: 'junit', spec_version: null, warnings: [] });
    expect(parsed.summary).toEqual({
      stage: 'lab',
      total: 6,
      passed: 1,
      failed: 3,
      skipped: 2,
      coverage_percent: null,
      devices: null,
      duration_seconds: 1234.5,
      cases: [
        { name: 'Install.msi & exe', status: 'passed', message: null },
        { name: 'Install.detect', status: 'failed', message: 'expected "1.2" <got> €A' },
        { name: 'reboot', status: 'skipped', message: 'no VM' },
        { name: 'Uninstall.remove', status: 'error', message: 'boom & bust' },
        { name: 'Uninstall.cleanup', status: 'failed', message: null },
        { name: 'Uninstall.registry', status: 'skipped', message: null },
      ],
    });
  });

  it('reads a single <testsuite>, summing suite times, or testcase times when suites have none', () => {
    const single = `<testsuite tests="3" time="2.5"><testcase name="a" time="1"/><testcase name="b"/></testsuite>`;
    const parsed = parseTestResults(bytes(single), { stage: 'ring0', format: 'junit' });
    expect(parsed.summary).toMatchObject({
      stage: 'ring0',
      total: 2,
      passed: 2,
      duration_seconds: 2.5,
    });
    expect(parsed.warnings).toEqual([
      'The report declares tests="3" but contains 2 <testcase> elements; the elements were counted.',
    ]);
    const caseTimes = `<testsuites><testsuite><testcase name="a" time="1.25"/><testcase name="b" time="bad"/><testcase time=""/></testsuite></testsuites>`;
    const summed = parseTestResults(bytes(caseTimes), { stage: 'lab' });
    expect(summed.summary.duration_seconds).toBe(1.25);
    expect(summed.summary.cases[2]?.name).toBe('(unnamed)');
    const untimed = parseTestResults(bytes('<testsuites tests="x"><testsuite/></testsuites>'), {
      stage: 'lab',
    });
    expect(untimed.summary).toMatchObject({ total: 0, duration_seconds: null });
    expect(untimed.warnings).toEqual(['The JUnit report contains no test cases.']);
  });

  it('caps very long messages', () => {
    const long = 'x'.repeat(5000);
    const parsed = parseTestResults(
      bytes(`<testsuite><testcase name="a"><failure>${long}</failure></testcase></testsuite>`),
      {
        stage: 'lab',
      },
    );
    expect(parsed.summary.cases[0]?.message).toHaveLength(1001);
  });

  it('names the line of malformed XML', () => {
    const error = rejection(
      bytes('<testsuites>\n  <testsuite>\n    <testcase name="a">\n  </testsuite>\n</testsuites>'),
      {
        stage: 'lab',
      },
    );
    expect(error).toMatchObject({ reason: 'invalid_xml' });
    expect(error.errors[0]?.path).toMatch(/^line [34]$/);
    expect(error.message).toMatch(/malformed \(line \d\)/);
  });

  it('refuses a DOCTYPE, so no entity can ever expand (billion laughs)', () => {
    const bomb = `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<testsuite><testcase name="&lol3;"/></testsuite>`;
    const error = rejection(bytes(bomb), { stage: 'lab' });
    expect(error).toMatchObject({ reason: 'doctype_not_allowed', errors: [{ path: 'line 2' }] });
  });

  it('accepts a failure message quoting an HTML DOCTYPE in CDATA', () => {
    const xml =
      '<testsuite><testcase name="page"><failure><![CDATA[got <!DOCTYPE html><p>]]></failure></testcase></testsuite>';
    expect(parseTestResults(bytes(xml), { stage: 'lab' }).summary.cases[0]?.message).toBe(
      'got <!DOCTYPE html><p>',
    );
  });

  it('leaves undeclared entities as written (entity processing is off)', () => {
    const parsed = parseTestResults(
      bytes('<testsuite><testcase name="a &ent; &#xFFFFFFF;"/></testsuite>'),
      { stage: 'lab' },
    );
    expect(parsed.summary.cases[0]?.name).toBe('a &ent; &#xFFFFFFF;');
  });

  it('requires the stage option and a JUnit root element', () => {
    expect(rejection(bytes('<testsuite/>'))).toMatchObject({ reason: 'stage_required' });
    const wrongRoot = rejection(bytes('<?xml version="1.0"?>\n\n<report><test/></report>'), {
      stage: 'lab',
    });
    expect(wrongRoot).toMatchObject({ reason: 'invalid_structure', errors: [{ path: 'line 3' }] });
    expect(rejection(bytes('   '), { format: 'junit', stage: 'lab' }).message).toMatch(/empty/);
  });

  it('detects the format from the first character, past a BOM and whitespace', () => {
    expect(
      parseTestResults(bytes('\uFEFF\n <testsuite><testcase name="a"/></testsuite>'), {
        stage: 'lab',
      }).format,
    ).toBe('junit');
    expect(parseTestResults(bytes(`\uFEFF ${JSON.stringify(lab)}`)).format).toBe('json');
    expect(rejection(bytes('total=4'))).toMatchObject({ reason: 'unknown_format' });
    expect(rejection(bytes('\n\t '))).toMatchObject({
      reason: 'invalid_structure',
      message: 'The test results document is empty.',
    });
  });
});

describe('JUnit message sources', () => {
  it('uses the message attribute, else the text, else nothing', () => {
    const xml = `<testsuite>
      <testcase name="a"><failure type="T">text body</failure></testcase>
      <testcase name="b"><failure type="T"/></testcase>
      <testcase name="c"><error message="   "/></testcase>
    </testsuite>`;
    const { cases } = parseTestResults(bytes(xml), { stage: 'lab' }).summary;
    expect(cases.map((c) => c.message)).toEqual(['text body', null, null]);
  });
});
