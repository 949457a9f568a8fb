import type { EvidenceItem } from '../evidence/evidence-store.js';
import type { Finding } from '../evidence/parsers/scan/index.js';
import type { SuppressedFinding } from '../evidence/parsers/vex/index.js';
import type { SignatureSummary } from '../evidence/signatures/index.js';
import type { ActiveException } from '../exceptions/index.js';
import type { Intent } from '../intents/intent-service.js';
import type { Clock } from '../platform/clock.js';
import type { Database, Executor } from '../platform/db/database.js';
import { evaluatePolicy, type PolicyResult } from '../policy/policy-engine.js';
import type { PolicySet } from '../policy/policy-set.js';
import type { PolicySetService } from '../policy/policy-set-service.js';
import type { PublisherRule } from '../publishers/publisher-match.js';
import {
  DEFAULT_RISK_MODEL_VERSION,
  getRiskModel,
  type RiskResult,
  scoreRisk,
} from '../risk/index.js';
import { applySnapshotVex, policyInputOf, riskInputOf } from './assessment-inputs.js';
import { type EvidenceSnapshot, embeddedSignatureItem, snapshotOf } from './evidence-snapshot.js';

export interface ExceptionsGateway {
  activeExceptions(artifactSha256: string, at: Date, db?: Executor): Promise<ActiveException[]>;
}

export interface EvidenceGateway {
  items(intentId: string, db?: Executor): Promise<EvidenceItem[]>;
}

/** An artifact's own (Authenticode) signature, judged at an instant (src/artifacts). */
export interface EmbeddedSignaturesGateway {
  judgeEmbedded(
    sha256: string,
    at: Date,
    db?: Executor,
  ): Promise<{
    summary: SignatureSummary | null;
    problem: string | null;
    material: { sha256: string; size_bytes: number } | null;
    recorded_at: string;
  } | null>;
}

/** The trusted publishers in force (src/publishers), in matching order. */
export interface PublishersGateway {
  inForce(db?: Executor): Promise<PublisherRule[]>;
}

export interface IntentsGateway {
  get(id: string, db?: Executor): Promise<Intent>;
}

export interface Assessment {
  snapshot: EvidenceSnapshot;
  policy_set: PolicySet;
  policy: PolicyResult;
  /** Findings after VEX; null when no scan is attached. */
  findings: Finding[] | null;
  vex_suppressed: SuppressedFinding[];
  /** The exceptions that waived something, as they stood at `as_of`. */
  exceptions: ActiveException[];
  risk: RiskResult;
}

/**
 * Reads an intent's evidence as of one instant and runs the pure cores on it: VEX, policy
 * (with the exceptions in force at that instant), then the risk model. Stores nothing.
 */
export class AssessmentService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #intents: IntentsGateway;
  readonly #policySets: PolicySetService;
  readonly #exceptions: ExceptionsGateway;
  readonly #evidence: EvidenceGateway;
  readonly #publishers: PublishersGateway;
  readonly #embeddedSignatures: EmbeddedSignaturesGateway;

  constructor(deps: {
    database: Database;
    clock: Clock;
    intents: IntentsGateway;
    policySets: PolicySetService;
    exceptions: ExceptionsGateway;
    evidence: EvidenceGateway;
    publishers: PublishersGateway;
    embeddedSignatures: EmbeddedSignaturesGateway;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#intents = deps.intents;
    this.#policySets = deps.policySets;
    this.#exceptions = deps.exceptions;
    this.#evidence = deps.evidence;
    this.#publishers = deps.publishers;
    this.#embeddedSignatures = deps.embeddedSignatures;
  }

  async assess(
    intentId: string,
    options: { modelVersion?: string | undefined; db?: Executor } = {},
  ): Promise<Assessment> {
    const model = getRiskModel(options.modelVersion ?? DEFAULT_RISK_MODEL_VERSION);
    const db = options.db ?? this.#database.db;
    const at = this.#clock.now();
    const intent = await this.#intents.get(intentId, db);
    const [items, policySet, active, publishers] = await Promise.all([
      this.#evidence.items(intentId, db),
      this.#policySets.current(db),
      this.#exceptions.activeExceptions(intent.artifact_sha256, at, db),
      this.#publishers.inForce(db),
    ]);
    const snapshot = snapshotOf(intent, items, at.toISOString());
    // DESIGN: with no separate signature evidence, the signature inside the artifact counts.
    let signatureProblem: string | null = null;
    if (!snapshot.signature) {
      const embedded = await this.#embeddedSignatures.judgeEmbedded(intent.artifact_sha256, at, db);
      if (embedded?.summary && embedded.material) {
        snapshot.signature = embeddedSignatureItem(intent, {
          format: embedded.summary.authenticode?.format ?? 'pe',
          summary: embedded.summary as unknown as Record<string, unknown>,
          material: embedded.material,
          recorded_at: embedded.recorded_at,
        });
      } else if (embedded) {
        signatureProblem = embedded.problem;
      }
    }
    const vex = applySnapshotVex(snapshot);
    const policy = evaluatePolicy(
      policyInputOf(snapshot, vex.findings, publishers, signatureProblem),
      policySet.config,
      active,
    );
    const risk = scoreRisk(riskInputOf(snapshot, vex.findings, policy), model);
    const applied = new Set(policy.exceptions_applied);
    return {
      snapshot,
      policy_set: policySet,
      policy,
      findings: vex.findings,
      vex_suppressed: vex.suppressed,
      exceptions: active.filter((e) => applied.has(e.id)),
      risk,
    };
  }
}
