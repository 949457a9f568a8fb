/**
 * The deployment intent for an installer: what `cabinet demo` declares for each of its apps
 * and, with the 7-Zip example of DESIGN.md, what the tests declare (test/intake-fixtures.ts
 * builds on this, so the two never drift apart). Pure: no I/O.
 */
import type { IntentFields, Plane, Ring } from '../intents/intent-rules.js';

/** An installer as a person describes it; the commands follow from its plane and file. */
export interface InstallerSpec {
  name: string;
  version: string;
  /** The version a rollback reinstalls. */
  previous: string;
  plane: Plane;
  file: string;
  justification: string;
  /** Where detection looks, when not the plane's usual place for the app. */
  detection_query?: string;
  rings?: readonly Ring[];
}

/** Lab, pilot, then broad: the rollout every demo intent uses (the tests take the first two). */
export const STANDARD_RINGS: readonly Ring[] = [
  {
    name: 'ring0',
    target_group: 'IT-Lab',
    size: 25,
    start_offset_hours: 0,
    duration_hours: 48,
    exclusions: [],
  },
  {
    name: 'ring1',
    target_group: 'Pilot',
    size: 500,
    start_offset_hours: 48,
    duration_hours: 72,
    exclusions: ['Kiosks'],
  },
  {
    name: 'ring2',
    target_group: 'Broad',
    size: 8000,
    start_offset_hours: 120,
    duration_hours: 168,
    exclusions: ['Kiosks'],
  },
];

const WINDOWS: readonly Plane[] = ['intune', 'configmgr'];

export function intentFields(app: InstallerSpec, artifactSha256: string): IntentFields {
  const windows = WINDOWS.includes(app.plane);
  const slug = app.name.replace(/[^A-Za-z0-9]+/g, '');
  return {
    app_name: app.name,
    app_version: app.version,
    plane: app.plane,
    artifact_sha256: artifactSha256,
    install_command: windows
      ? app.file.endsWith('.msi')
        ? `msiexec /i ${app.file} /qn`
        : `${app.file} /S`
      : app.plane === 'jamf'
        ? `installer -pkg ${app.file} -target /`
        : `apt-get install -y ./${app.file}`,
    install_timeout_seconds: 600,
    uninstall_command: windows
      ? `"C:\\Program Files\\${app.name}\\Uninstall.exe" /S`
      : app.plane === 'jamf'
        ? `rm -rf "/Applications/${app.name}.app"`
        : `apt-get remove -y ${slug.toLowerCase()}`,
    uninstall_timeout_seconds: 300,
    detection_method: windows ? 'registry' : 'file',
    detection_query:
      app.detection_query ??
      (windows
        ? `HKLM\\SOFTWARE\\${slug}:Version`
        : app.plane === 'jamf'
          ? `/Applications/${app.name}.app`
          : `/usr/bin/${slug.toLowerCase()}`),
    // Copies: a caller may change its intent without changing everyone's rings.
    rollout_plan: {
      rings: (app.rings ?? STANDARD_RINGS).map((r) => ({ ...r, exclusions: [...r.exclusions] })),
    },
    rollback_plan: {
      strategy: 'reinstall_previous',
      previous_version: app.previous,
      steps: [`uninstall ${app.version}`, `install ${app.previous}`],
    },
    justification: app.justification,
  };
}
