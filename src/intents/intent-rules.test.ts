import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exampleIntent } from '../../test/intake-fixtures.js';
import { ConflictError } from '../platform/errors.js';
import {
  assertAcceptsEvidence,
  DETECTION_METHODS,
  DETECTION_METHODS_BY_PLANE,
  detectionQueryProblem,
  INTENT_STATUSES,
  type IntentFields,
  PLANES,
  type Plane,
  type Ring,
  ROLLBACK_STRATEGIES,
  ROLLBACK_STRATEGIES_BY_PLANE,
  validateDetection,
  validateIntent,
  validateRollbackPlan,
  validateRolloutPlan,
} from './intent-rules.js';

const ring = (name: string, start: number, extra: Partial<Ring> = {}): Ring => ({
  name,
  target_group: `${name}-group`,
  size: 10,
  start_offset_hours: start,
  duration_hours: 24,
  exclusions: [],
  ...extra,
});

/** DESIGN.md's example body. */
const example: IntentFields = exampleIntent('a'.repeat(64));

const paths = (problems: { path: string }[]) => problems.map((p) => p.path);

describe('validateIntent', () => {
  it('accepts DESIGN.md’s example', () => {
    expect(validateIntent(example)).toEqual([]);
  });

  it('reports every broken rule at once, each at its JSON path', () => {
    const problems = validateIntent({
      ...example,
      plane: 'jamf',
      rollout_plan: { rings: [ring('a', 10), ring('A', 5)] },
      rollback_plan: { strategy: 'supersede' },
    });
    expect(paths(problems)).toEqual([
      '/detection_method',
      '/rollout_plan/rings/1/name',
      '/rollout_plan/rings/1/start_offset_hours',
      '/rollback_plan/strategy',
    ]);
  });
});

describe('validateRolloutPlan', () => {
  it('names the ring that starts before the one ahead of it', () => {
    const problems = validateRolloutPlan({
      rings: [ring('r0', 0), ring('r1', 48), ring('r2', 24)],
    });
    expect(problems).toEqual([
      {
        path: '/rollout_plan/rings/2/start_offset_hours',
        message: expect.stringContaining('before ring 1 (hour 48)'),
      },
    ]);
  });

  it('treats names differing only in case or spaces as duplicates', () => {
    const problems = validateRolloutPlan({ rings: [ring('Pilot', 0), ring(' pilot ', 1)] });
    expect(problems).toEqual([
      { path: '/rollout_plan/rings/1/name', message: 'duplicates the name of ring 0' },
    ]);
  });

  it('refuses a ring that excludes its own target group', () => {
    const problems = validateRolloutPlan({
      rings: [ring('r0', 0, { target_group: 'Pilot', exclusions: ['Kiosks', 'pilot'] })],
    });
    expect(paths(problems)).toEqual(['/rollout_plan/rings/0/exclusions/1']);
  });

  it('accepts any plan whose rings have distinct names and non-decreasing starts', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), {
          minLength: 1,
          maxLength: 20,
          selector: (name) => name.trim().toLowerCase(),
        }),
        fc.array(fc.double({ min: 0, max: 8760, noNaN: true }), { minLength: 20, maxLength: 20 }),
        (names, offsets) => {
          const starts = offsets.slice(0, names.length).sort((a, b) => a - b);
          const rings = names.map((name, i) => ring(name, starts[i]!));
          expect(validateRolloutPlan({ rings })).toEqual([]);
        },
      ),
    );
  });

  it('flags exactly the rings that start before their predecessor', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 20 }),
        (starts) => {
          const rings = starts.map((start, i) => ring(`r${i}`, start));
          const expected = starts.flatMap((start, i) =>
            i > 0 && start < starts[i - 1]! ? [`/rollout_plan/rings/${i}/start_offset_hours`] : [],
          );
          expect(paths(validateRolloutPlan({ rings }))).toEqual(expected);
        },
      ),
    );
  });
});

describe('validateRollbackPlan', () => {
  it('needs previous_version to reinstall the previous version, and a different one', () => {
    expect(paths(validateRollbackPlan({ strategy: 'reinstall_previous' }, 'intune', '2'))).toEqual([
      '/rollback_plan/previous_version',
    ]);
    expect(
      validateRollbackPlan(
        { strategy: 'reinstall_previous', previous_version: ' 2 ' },
        'jamf',
        '2',
      ),
    ).toEqual([
      { path: '/rollback_plan/previous_version', message: expect.stringContaining('deployed') },
    ]);
  });

  it('needs at least one step for a custom rollback', () => {
    expect(paths(validateRollbackPlan({ strategy: 'custom' }, 'landscape', '1'))).toEqual([
      '/rollback_plan/steps',
    ]);
    expect(paths(validateRollbackPlan({ strategy: 'custom', steps: [] }, 'custom', '1'))).toEqual([
      '/rollback_plan/steps',
    ]);
    expect(
      validateRollbackPlan({ strategy: 'custom', steps: ['apt remove x'] }, 'custom', '1'),
    ).toEqual([]);
  });

  it.each(
    PLANES.flatMap((plane) => ROLLBACK_STRATEGIES.map((strategy) => [plane, strategy] as const)),
  )('on %s, %s is allowed exactly when the plane table says so', (plane, strategy) => {
    const plan = { strategy, previous_version: '1.0', steps: ['step'] };
    const problems = validateRollbackPlan(plan, plane, '2.0');
    const allowed = ROLLBACK_STRATEGIES_BY_PLANE[plane].includes(strategy);
    expect(paths(problems)).toEqual(allowed ? [] : ['/rollback_plan/strategy']);
  });

  it('offers supersede only where the plane has supersedence', () => {
    const planes = PLANES.filter((p) => ROLLBACK_STRATEGIES_BY_PLANE[p].includes('supersede'));
    expect(planes).toEqual(['intune', 'configmgr']);
  });
});

/** A query that is well-formed for each method on each kind of plane. */
const goodQuery: Record<string, string> = {
  registry: 'HKLM\\SOFTWARE\\7-Zip:Path',
  productcode: '{23170F69-40C1-2702-2408-000001000000}',
  custom: 'if [ -d /opt/x ]; then echo found; fi',
};

function goodFileFor(plane: Plane): string {
  return plane === 'jamf' || plane === 'landscape'
    ? '/Applications/7-Zip.app'
    : 'C:\\Program Files\\7-Zip\\7z.exe';
}

describe('validateDetection', () => {
  it.each(PLANES.flatMap((plane) => DETECTION_METHODS.map((method) => [plane, method] as const)))(
    'on %s, %s detection is allowed exactly when the plane table says so',
    (plane, method) => {
      const query = method === 'file' ? goodFileFor(plane) : goodQuery[method]!;
      const allowed = DETECTION_METHODS_BY_PLANE[plane].includes(method);
      expect(paths(validateDetection(plane, method, query))).toEqual(
        allowed ? [] : ['/detection_method'],
      );
    },
  );

  it('keeps registry and product codes to Windows planes (and custom)', () => {
    const planes = PLANES.filter((p) => DETECTION_METHODS_BY_PLANE[p].includes('registry'));
    expect(planes).toEqual(['intune', 'configmgr', 'custom']);
  });

  it('names the query when its format does not fit the method', () => {
    expect(validateDetection('intune', 'productcode', '23170F69')).toEqual([
      { path: '/detection_query', message: expect.stringContaining('GUID in braces') },
    ]);
  });
});

describe('detectionQueryProblem', () => {
  it.each([
    'HKLM\\SOFTWARE\\7-Zip',
    'HKLM\\SOFTWARE\\7-Zip:Path',
    'hkcu\\Software\\Vendor\\App:Version',
    'HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\App',
    'HKCR\\Installer\\Products\\X',
    'HKU\\.DEFAULT\\Software\\App:Value\\with\\backslashes',
  ])('accepts the registry query %s', (query) => {
    expect(detectionQueryProblem('registry', query, 'windows')).toBeNull();
  });

  it.each([
    ['SOFTWARE\\7-Zip', 'registry hive'],
    ['HKLM\\', 'registry hive'],
    ['HKXX\\SOFTWARE', 'registry hive'],
    ['HKLM/SOFTWARE/7-Zip', 'registry hive'],
    ['HKLM\\SOFTWARE\\\\7-Zip', 'empty key name'],
    ['HKLM\\SOFTWARE\\7-Zip\\:Path', 'empty key name'],
    ['HKLM\\SOFTWARE\\7-Zip:', 'names no value'],
    ['HKLM\\SOFTWARE\\7-Zip\nrm -rf', 'control character'],
  ])('refuses the registry query %j (%s)', (query, why) => {
    expect(detectionQueryProblem('registry', query, 'windows')).toContain(why);
  });

  it('accepts any GUID in braces as a product code, whatever its case', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.boolean(), (uuid, upper) => {
        const code = `{${upper ? uuid.toUpperCase() : uuid}}`;
        expect(detectionQueryProblem('productcode', code, 'windows')).toBeNull();
      }),
    );
  });

  it('refuses any product code that is not exactly a GUID in braces', () => {
    const guid =
      /^\{[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}$/;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.uuid(),
          fc.uuid().map((u) => `{${u}} `),
          fc.uuid().map((u) => `{${u.slice(1)}}`),
        ),
        (query) => {
          fc.pre(!guid.test(query));
          expect(detectionQueryProblem('productcode', query, 'windows')).not.toBeNull();
        },
      ),
    );
  });

  it.each([
    ['C:\\Program Files\\7-Zip\\7z.exe', 'windows'],
    ['c:\\Program Files\\7-Zip\\', 'windows'],
    ['%ProgramFiles%\\7-Zip\\7z.exe', 'windows'],
    ['%ProgramFiles(x86)%\\App\\app.exe', 'windows'],
    ['/Applications/7-Zip.app', 'posix'],
    ['/usr/bin/7z', 'posix'],
    ['/opt/app/', 'posix'],
    ['/usr/bin/7z', 'any'],
    ['D:\\Tools\\7z.exe', 'any'],
  ] as const)('accepts the file path %s on %s planes', (query, style) => {
    expect(detectionQueryProblem('file', query, style)).toBeNull();
  });

  it.each([
    ['/usr/bin/7z', 'windows', 'absolute Windows path'],
    ['Program Files\\7-Zip', 'windows', 'absolute Windows path'],
    ['C:7z.exe', 'windows', 'absolute Windows path'],
    ['C:\\', 'windows', 'name a file or folder'],
    ['C:\\Program Files\\..\\Windows\\x.exe', 'windows', '. or ..'],
    ['C:\\Program Files\\\\7z.exe', 'windows', 'empty path segment'],
    ['C:\\Program Files\\7z?.exe', 'windows', 'forbids'],
    ['C:\\Program Files\\a:b', 'windows', 'forbids'],
    ['C:\\Program Files\\7z.exe', 'posix', 'absolute path'],
    ['Applications/7-Zip.app', 'posix', 'absolute path'],
    ['/', 'posix', 'below /'],
    ['/opt/../etc/passwd', 'posix', '. or ..'],
    ['/opt/./app', 'posix', '. or ..'],
    ['/opt//app', 'posix', 'empty path segment'],
    ['/opt/app\u0000', 'posix', 'control character'],
    ['relative/path', 'any', 'absolute Windows path'],
  ] as const)('refuses the file path %j on %s planes (%s)', (query, style, why) => {
    expect(detectionQueryProblem('file', query, style)).toContain(why);
  });

  it('accepts any custom query: it is the plane’s own script', () => {
    fc.assert(
      fc.property(fc.string(), (query) => {
        expect(detectionQueryProblem('custom', query, 'any')).toBeNull();
      }),
    );
  });
});

describe('assertAcceptsEvidence', () => {
  it.each(INTENT_STATUSES)('%s', (status) => {
    const closed = ['approved', 'denied', 'superseded'].includes(status);
    const attempt = () => assertAcceptsEvidence({ id: 'i1', status });
    if (closed) {
      expect(attempt).toThrow(ConflictError);
      expect(attempt).toThrow(expect.objectContaining({ reason: 'intent_closed' }));
      expect(attempt).toThrow(new RegExp(`is ${status}`));
    } else {
      expect(attempt).not.toThrow();
    }
  });
});
