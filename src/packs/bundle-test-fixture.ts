/**
 * A realistic, internally consistent evidence bundle built from scratch, for the verifier's
 * tests and the CLI's: real documents, a pack body that references them all, a DSSE envelope,
 * an audit excerpt (mid-chain, with redacted links) and a signed checkpoint. Test-only.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  canonicalData,
  checkpointMessage,
  hashEvent,
  type StoredAuditEvent,
} from '../audit/chain.js';
import {
  type DecisionPredicate,
  decisionStatement,
  signDecision,
} from '../cab/decision-attestation.js';
import { canonicalJson, sha256Hex } from '../platform/crypto/canonical-json.js';
import { type SigningKey, signingKeyFromPem } from '../platform/crypto/signing-key.js';
import { RULE_IDS } from '../policy/rule-catalogue.js';
import { RISK_MODEL_V1_0 } from '../risk/model-v1-0.js';
import { scoreRisk } from '../risk/score-risk.js';
import type {
  BundleAuditEvent,
  BundleCabDecision,
  BundleDocument,
  EvidenceBundle,
} from './bundle-types.js';
import { packStatement, signEnvelope } from './dsse.js';
import type { DocumentRef, PackBody } from './pack-body.js';

export const PACK_ID = '0193a5b0-7c00-7000-8000-00000000c0de';
export const INTENT_ID = '0193a5a0-0000-7000-8000-0000000001a7';
export const REQUEST_ID = '0193a5c0-0000-7000-8000-00000000cab1';
const ARTIFACT_SHA256 = sha256Hex('Contoso Notes 4.2.1 installer bytes');
const AS_OF = '2026-11-20T10:00:00.000Z';

export function newSigningKey(): SigningKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

interface SourceDocument {
  kind: string;
  format: string;
  spec_version: string | null;
  media_type: string;
  bytes: Buffer;
}

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');

/**
 * The stored documents, as uploaded (pretty-printed JSON and XML: bytes, not values).
 * `sbom` replaces the SBOM's bytes, e.g. with a large one to exercise progress reporting.
 */
export function sourceDocuments(
  sbom?: Buffer,
): Record<'sbom' | 'scan' | 'vex' | 'signature' | 'lab' | 'ring0', SourceDocument> {
  return {
    sbom: {
      kind: 'sbom',
      format: 'cyclonedx',
      spec_version: '1.6',
      media_type: 'application/json',
      bytes:
        sbom ??
        json({
          bomFormat: 'CycloneDX',
          specVersion: '1.6',
          metadata: { component: { name: 'contoso-notes', version: '4.2.1' } },
          components: [
            {
              'bom-ref': 'openssl',
              name: 'openssl',
              version: '3.0.13',
              purl: 'pkg:generic/openssl@3.0.13',
            },
            { 'bom-ref': 'zlib', name: 'zlib', version: '1.3.1', purl: 'pkg:generic/zlib@1.3.1' },
          ],
        }),
    },
    scan: {
      kind: 'vuln_scan',
      format: 'trivy',
      spec_version: null,
      media_type: 'application/json',
      bytes: json({
        SchemaVersion: 2,
        Results: [
          {
            Target: 'contoso-notes',
            Vulnerabilities: [
              {
                VulnerabilityID: 'CVE-2024-0727',
                PkgName: 'openssl',
                InstalledVersion: '3.0.13',
                Severity: 'MEDIUM',
              },
              {
                VulnerabilityID: 'CVE-2023-5678',
                PkgName: 'openssl',
                InstalledVersion: '3.0.13',
                Severity: 'HIGH',
              },
            ],
          },
        ],
      }),
    },
    vex: {
      kind: 'vex',
      format: 'openvex',
      spec_version: '0.2.0',
      media_type: 'application/json',
      bytes: json({
        '@context': 'https://openvex.dev/ns/v0.2.0',
        statements: [{ vulnerability: { name: 'CVE-2023-5678' }, status: 'not_affected' }],
      }),
    },
    signature: {
      kind: 'signature',
      format: 'detached',
      spec_version: null,
      media_type: 'application/json',
      bytes: json({ signature: 'MEUCIQ…', certificate_chain: ['-----BEGIN CERTIFICATE-----…'] }),
    },
    lab: {
      kind: 'test_results',
      format: 'junit',
      spec_version: null,
      media_type: 'application/xml',
      bytes: Buffer.from(
        '<?xml version="1.0"?>\n<testsuite name="lab" tests="3" failures="0">\n' +
          '  <testcase name="installs"/><testcase name="launches"/><testcase name="uninstalls"/>\n' +
          '</testsuite>\n',
        'utf8',
      ),
    },
    ring0: {
      kind: 'test_results',
      format: 'cabinet-json',
      spec_version: null,
      media_type: 'application/json',
      bytes: json({ stage: 'ring0', total: 25, passed: 25, failed: 0, devices: 25 }),
    },
  };
}

function refOf(id: string, source: SourceDocument): DocumentRef {
  return {
    evidence_id: id,
    kind: source.kind,
    format: source.format,
    spec_version: source.spec_version,
    sha256: sha256Hex(source.bytes),
    size_bytes: source.bytes.length,
    created_at: '2026-11-19T08:00:00.000Z',
  };
}

export function packBodyFixture(sbom?: Buffer): PackBody {
  const docs = sourceDocuments(sbom);
  const findings = [
    {
      id: 'CVE-2024-0727|openssl|3.0.13',
      vulnerability_id: 'CVE-2024-0727',
      package: 'openssl',
      installed_version: '3.0.13',
      fixed_version: '3.0.14',
      severity: 'medium' as const,
      purl: 'pkg:generic/openssl@3.0.13',
      targets: ['contoso-notes'],
      title: 'openssl: denial of service via null dereference',
    },
  ];
  const risk = scoreRisk(
    {
      vulnerabilities: { critical: 0, high: 0 },
      policy_violation_count: 0,
      lab_coverage_percent: 81.5,
      exception_count: 0,
      ring0: { failed: 0, total: 25 },
      transitive_dependency_count: 0,
      artifact_build_time: '2026-11-01T00:00:00Z',
      as_of: AS_OF,
    },
    RISK_MODEL_V1_0,
  );
  const rollout_plan = {
    rings: [
      {
        name: 'ring0',
        target_group: 'IT-Pilot',
        size: 25,
        start_offset_hours: 0,
        duration_hours: 24,
        exclusions: [],
      },
      {
        name: 'broad',
        target_group: 'All-Staff',
        size: 4000,
        start_offset_hours: 24,
        duration_hours: 72,
        exclusions: ['Kiosks'],
      },
    ],
  };
  const rollback_plan = { strategy: 'reinstall_previous' as const, previous_version: '4.1.9' };
  return {
    deployment_intent: {
      id: INTENT_ID,
      app_name: 'Contoso Notes',
      app_version: '4.2.1',
      plane: 'intune',
      artifact_sha256: ARTIFACT_SHA256,
      install_command: 'msiexec /i ContosoNotes-4.2.1.msi /qn',
      install_timeout_seconds: 600,
      uninstall_command: 'msiexec /x {6F1C2A4E-0000-4000-8000-000000000421} /qn',
      uninstall_timeout_seconds: 300,
      detection_method: 'productcode',
      detection_query: '{6F1C2A4E-0000-4000-8000-000000000421}',
      rollout_plan,
      rollback_plan,
      justification: 'Quarterly update: fixes the sync crash — «Ünïcödé» included on purpose',
      status: 'ready',
      revision: 3,
      created_by: 'user-ann',
      created_at: '2026-11-18T09:00:00.000Z',
      updated_at: '2026-11-19T09:30:00.000Z',
    },
    artifact_sha256: ARTIFACT_SHA256,
    artifact_signature: {
      method: 'x509',
      signer_subject: 'CN=Contoso Ltd,O=Contoso Ltd,C=US',
      issuer: 'CN=Contoso Code Signing CA,O=Contoso Ltd,C=US',
      serial_number: '4a1f',
      not_before: '2026-01-01T00:00:00.000Z',
      not_after: '2027-01-01T00:00:00.000Z',
      algorithm: 'ECDSA-P256-SHA256',
      chain_valid: true,
      code_signing: true,
      signature_valid: true,
      valid_at_signing_time: true,
      trust_anchor_subject: 'CN=Contoso Root CA,O=Contoso Ltd,C=US',
      trust_anchor_sha256: sha256Hex('Contoso Root CA'),
      document: refOf('ev-signature', docs.signature),
    },
    artifact_size_bytes: 48_211_968,
    artifact_publisher: 'Contoso Ltd',
    artifact_filename: 'ContosoNotes-4.2.1.msi',
    artifact_build_time: '2026-11-01T00:00:00Z',
    sbom_format: 'cyclonedx',
    sbom_data: {
      document: refOf('ev-sbom', docs.sbom),
      summary: {
        component_count: 2,
        direct_dependency_count: 2,
        transitive_dependency_count: 0,
        licenses: ['Apache-2.0', 'Zlib'],
        components: [
          {
            ref: 'openssl',
            name: 'openssl',
            version: '3.0.13',
            purl: 'pkg:generic/openssl@3.0.13',
            licenses: ['Apache-2.0'],
            hashes: [],
            type: 'library',
          },
          {
            ref: 'zlib',
            name: 'zlib',
            version: '1.3.1',
            purl: 'pkg:generic/zlib@1.3.1',
            licenses: ['Zlib'],
            hashes: [],
            type: 'library',
          },
        ],
        root: { name: 'contoso-notes', version: '4.2.1', purl: null },
        has_dependency_graph: false,
      },
    },
    vuln_scan_tool: 'trivy',
    vuln_scan_results: {
      document: refOf('ev-scan', docs.scan),
      tool_version: '0.57.0',
      severity_counts: { critical: 0, high: 0, medium: 1, low: 0, unknown: 0 },
      findings,
      vex_suppressed: [
        {
          finding_id: 'CVE-2023-5678|openssl|3.0.13',
          status: 'not_affected',
          vulnerability_id: 'CVE-2023-5678',
        },
      ],
      vex_documents: [refOf('ev-vex', docs.vex)],
    },
    vuln_scan_passed: true,
    install_command: 'msiexec /i ContosoNotes-4.2.1.msi /qn',
    install_timeout_seconds: 600,
    uninstall_command: 'msiexec /x {6F1C2A4E-0000-4000-8000-000000000421} /qn',
    uninstall_timeout_seconds: 300,
    detection_method: 'productcode',
    detection_query: '{6F1C2A4E-0000-4000-8000-000000000421}',
    rollout_plan,
    rollback_plan,
    test_evidence: {
      lab: {
        stage: 'lab',
        document: refOf('ev-lab', docs.lab),
        total: 3,
        passed: 3,
        failed: 0,
        skipped: 0,
        coverage_percent: 81.5,
        devices: null,
        duration_seconds: 12.25,
      },
      ring0: {
        stage: 'ring0',
        document: refOf('ev-ring0', docs.ring0),
        total: 25,
        passed: 25,
        failed: 0,
        skipped: 0,
        coverage_percent: null,
        devices: 25,
        duration_seconds: 86_400,
      },
    },
    test_summary: 'pass',
    policy_violations: {},
    policy_waived: [],
    policy_approved: true,
    policy_set_version: '1.0',
    policy_rules_checked: RULE_IDS,
    has_exceptions: false,
    exception_count: 0,
    exception_records: [],
    risk,
    version: '1.0',
    previous_version: null,
    previous_pack_id: null,
    created_at: AS_OF,
    created_by: 'user-ann',
    is_immutable: true,
    as_of: AS_OF,
  };
}

export function bundleDocuments(sbom?: Buffer): BundleDocument[] {
  return Object.values(sourceDocuments(sbom)).map((source) => ({
    sha256: sha256Hex(source.bytes),
    kind: source.kind,
    format: source.format,
    media_type: source.media_type,
    size_bytes: source.bytes.length,
    content_base64: source.bytes.toString('base64'),
  }));
}

export interface EventSpec {
  event_type: string;
  subject: string | null;
  data: Record<string, unknown>;
  /** Shown as a hash link only. */
  redacted?: boolean;
}

/** Full events, hash-chained from `prevHash` at `startSeq`. */
export function chainEvents(
  startSeq: number,
  prevHash: string,
  specs: readonly EventSpec[],
): StoredAuditEvent[] {
  let prev = prevHash;
  return specs.map((spec, i) => {
    const seq = startSeq + i;
    const unhashed = {
      seq,
      id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      event_type: spec.event_type,
      correlation_id: spec.subject === null ? null : `corr-${seq}`,
      actor: 'user-ann',
      subject: spec.subject,
      data: canonicalData(spec.data),
      created_at: new Date(Date.UTC(2026, 10, 20, 10, 0, seq)).toISOString(),
      prev_hash: prev,
    };
    const event = { ...unhashed, hash: hashEvent(unhashed) };
    prev = event.hash;
    return event;
  });
}

export function redact(event: StoredAuditEvent): BundleAuditEvent {
  return { seq: event.seq, prev_hash: event.prev_hash, hash: event.hash, redacted: true };
}

export function signCheckpoint(key: SigningKey, last: { seq: number; hash: string }) {
  const unsigned = {
    seq: last.seq,
    hash: last.hash,
    key_id: key.keyId,
    created_at: '2026-11-20T10:05:00.000Z',
  };
  return { ...unsigned, signature: key.sign(checkpointMessage(unsigned)) };
}

export function auditSpecs(packId: string, digest: string): EventSpec[] {
  return [
    { event_type: 'intent.created', subject: INTENT_ID, data: { app_name: 'Contoso Notes' } },
    { event_type: 'token.created', subject: 'tok-1', data: { user: 'bob' }, redacted: true },
    { event_type: 'evidence.attached', subject: INTENT_ID, data: { kind: 'sbom' } },
    { event_type: 'auth.refused', subject: '/api/v1/users', data: { status: 401 }, redacted: true },
    { event_type: 'evidence.attached', subject: INTENT_ID, data: { kind: 'vuln_scan' } },
    {
      event_type: PACK_GENERATED,
      subject: packId,
      data: { intent_id: INTENT_ID, version: '1.0', digest },
    },
    {
      event_type: 'user.created',
      subject: 'user-carol',
      data: { email: 'c@example.org' },
      redacted: true,
    },
    { event_type: 'notification.sent', subject: null, data: { channel: 'email' }, redacted: true },
  ];
}

const PACK_GENERATED = 'evidence_pack.generated';

/** How far the pack's CAB request got: `approved` comes with a decision attestation. */
export type CabOutcome = 'pending' | 'approved' | 'denied';

/** The request's events (subject = its id): submitted, a CAB member's vote, the decision. */
export function cabSpecs(packId: string, digest: string, outcome: CabOutcome): EventSpec[] {
  const specs: EventSpec[] = [
    {
      event_type: 'cab.request.submitted',
      subject: REQUEST_ID,
      data: { intent_id: INTENT_ID, pack_id: packId, pack_version: '1.0', pack_digest: digest },
    },
  ];
  if (outcome === 'pending') return specs;
  const decision = outcome === 'approved' ? 'approve' : 'deny';
  specs.push(
    { event_type: 'cab.vote.cast', subject: REQUEST_ID, data: { decision, reviewer: 'user-cab' } },
    {
      event_type: 'cab.request.decided',
      subject: REQUEST_ID,
      data: { from: 'pending', to: outcome, change_type: 'normal', approvals: 1, denials: 0 },
    },
  );
  return specs;
}

/** The predicate the cab domain signs when the request is approved. */
export function decisionPredicateFixture(
  packId: string,
  body: PackBody,
  digest: string,
): DecisionPredicate {
  return {
    request_id: REQUEST_ID,
    intent_id: INTENT_ID,
    pack: { id: packId, version: body.version, digest },
    plane: body.deployment_intent.plane,
    status: 'approved',
    change_type: 'normal',
    votes: [
      {
        reviewer_id: 'user-cab',
        reviewer_email: 'cab@example.org',
        roles: ['cab_member'],
        decision: 'approve',
        at: '2026-11-20T10:00:50.000Z',
      },
    ],
    conditions: [],
    risk: {
      score: body.risk.score,
      model_version: body.risk.model_version,
      recommendation: body.risk.recommendation,
    },
    approval_policy_version: '1.0',
    decided_at: '2026-11-20T10:00:50.000Z',
    authorization_expires_at: '2026-12-04T10:00:50.000Z',
  };
}

export interface BundleOptions {
  /** Replaces the SBOM's bytes (in the body's ref and in the documents). */
  sbom?: Buffer;
  key?: SigningKey;
  body?: PackBody;
  packId?: string;
  /** seq of the first event: 1 starts at the genesis hash, anything else mid-chain. */
  startSeq?: number;
  specs?: EventSpec[];
  /** The pack's CAB request (its events join the excerpt); none by default. */
  cab?: CabOutcome;
}

/** A bundle exactly as the server exports one, everything consistent under `key`. */
export function buildBundle(options: BundleOptions = {}): {
  bundle: EvidenceBundle;
  key: SigningKey;
} {
  const key = options.key ?? newSigningKey();
  const body = options.body ?? packBodyFixture(options.sbom);
  const packId = options.packId ?? PACK_ID;
  const digest = sha256Hex(canonicalJson(body));
  const startSeq = options.startSeq ?? 41;
  const prevHash = startSeq === 1 ? '0'.repeat(64) : sha256Hex(`event ${startSeq - 1}`);
  let specs = options.specs ?? auditSpecs(packId, digest);
  let cabDecision: BundleCabDecision | undefined;
  if (options.cab) {
    // After the generation event and before the trailing redacted links.
    specs = [...specs.slice(0, -2), ...cabSpecs(packId, digest, options.cab), ...specs.slice(-2)];
    const statement = decisionStatement(
      { name: body.artifact_filename, sha256: body.artifact_sha256 },
      decisionPredicateFixture(packId, body, digest),
    );
    cabDecision = {
      request_id: REQUEST_ID,
      status: options.cab,
      attestation: options.cab === 'approved' ? signDecision(statement, key) : null,
    };
  }
  const full = chainEvents(startSeq, prevHash, specs);
  const events = full.map((event, i) => (specs[i]!.redacted ? redact(event) : event));
  return {
    key,
    bundle: {
      format: 'cabinet-evidence-bundle/v1',
      exported_at: '2026-11-21T12:00:00.000Z',
      pack: { id: packId, version: body.version, digest, body },
      envelope: signEnvelope(packStatement(body), key),
      documents: bundleDocuments(options.sbom),
      audit: { events, checkpoint: signCheckpoint(key, full.at(-1)!) },
      public_key: { key_id: key.keyId, algorithm: 'ed25519', pem: key.publicKeyPem },
      ...(cabDecision && { cab_decision: cabDecision }),
    },
  };
}
