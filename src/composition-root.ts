import { ArtifactService } from './artifacts/artifact-service.js';
import { AssessmentService } from './assessment/assessment-service.js';
import { AuditLog } from './audit/audit-log.js';
import { ApprovalPolicyService } from './cab/approval-policy-service.js';
import { CabService } from './cab/cab-service.js';
import type { StaleReason } from './cab/cab-store.js';
import type { Config } from './config/config.js';
import { EvidenceService } from './evidence/evidence-service.js';
import { ParsePool } from './evidence/parse-pool.js';
import { ExceptionService } from './exceptions/exception-service.js';
import { IdentityService } from './identity/identity-service.js';
import { SessionService } from './identity/session-service.js';
import { IntentService } from './intents/intent-service.js';
import { EmailChannel } from './notify/email-channel.js';
import type { Channel } from './outbox/channel.js';
import { Dispatcher, type DispatcherOptions } from './outbox/dispatcher.js';
import { Outbox } from './outbox/outbox.js';
import { PackService } from './packs/pack-service.js';
import { type Clock, systemClock } from './platform/clock.js';
import type { Context } from './platform/context.js';
import { loadOrCreateSigningKey, type SigningKey } from './platform/crypto/signing-key.js';
import type { Trx } from './platform/db/database.js';
import { createDatabase, type Database } from './platform/db/database.js';
import { migrateToLatest } from './platform/db/migrate.js';
import { PolicySetService } from './policy/policy-set-service.js';
import { TrustedPublisherService } from './publishers/publisher-service.js';
import { SigstoreRootService } from './publishers/sigstore-root-service.js';
import { TrustAnchorService } from './trust-anchors/trust-anchor-service.js';
import { WebhookChannel } from './webhooks/webhook-channel.js';
import { WebhookService } from './webhooks/webhook-service.js';
import { findSubscribers } from './webhooks/webhook-store.js';

/** Everything the app and the CLI need, wired by hand in one place. */
export interface Container {
  config: Config;
  clock: Clock;
  database: Database;
  signingKey: SigningKey;
  audit: AuditLog;
  identity: IdentityService;
  /** Dashboard sign-ins (the session cookie). */
  sessions: SessionService;
  intents: IntentService;
  artifacts: ArtifactService;
  trustAnchors: TrustAnchorService;
  /** The publishers the artifact_signed rule matches signers against. */
  trustedPublishers: TrustedPublisherService;
  /** Sigstore trusted_root.json documents for bundle verification (activeRoots). */
  sigstoreRoots: SigstoreRootService;
  evidence: EvidenceService;
  exceptions: ExceptionService;
  policySets: PolicySetService;
  assessment: AssessmentService;
  packs: PackService;
  outbox: Outbox;
  /** Delivers the outbox (started by the server; `cabinet outbox drain` runs it once). */
  dispatcher: Dispatcher;
  approvalPolicies: ApprovalPolicyService;
  cab: CabService;
  webhooks: WebhookService;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  clock?: Clock;
  signingKey?: SigningKey;
  /** Apply pending migrations while wiring (the server and most CLI commands do). */
  migrate?: boolean;
  /** Lease, poll interval, batch size… of the outbox dispatcher (tests shorten the lease). */
  dispatcher?: DispatcherOptions;
}

export async function createContainer(
  config: Config,
  overrides: ContainerOverrides = {},
): Promise<Container> {
  const clock = overrides.clock ?? systemClock;
  const signingKey =
    overrides.signingKey ??
    loadOrCreateSigningKey(config.signingKeyFile, config.generateSigningKey);
  const database = createDatabase(config.databaseUrl);
  try {
    if (overrides.migrate ?? true) {
      await migrateToLatest(database);
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  const audit = new AuditLog(database, clock, signingKey);
  const identity = new IdentityService(database, clock, audit);
  const sessions = new SessionService({ database, clock, audit, hours: config.sessionHours });
  const intents = new IntentService(database, clock, audit);
  const trustAnchors = new TrustAnchorService(database, clock, audit);
  const artifacts = new ArtifactService({
    database,
    clock,
    audit,
    trustAnchors,
    maxUploadBytes: config.maxUploadBytes,
  });
  const trustedPublishers = new TrustedPublisherService(database, clock, audit);
  const sigstoreRoots = new SigstoreRootService(database, clock, audit);
  const parsePool = new ParsePool();
  const evidence = new EvidenceService({
    database,
    clock,
    audit,
    intents,
    trustAnchors,
    sigstoreRoots,
    maxUploadBytes: config.maxUploadBytes,
    parsePool,
    dataDir: config.dataDir,
  });
  const outbox = new Outbox({ database, clock, audit, targets: { subscribers: findSubscribers } });
  const webhooks = new WebhookService({ database, clock, audit, outbox });
  // The CAB service needs packs and exceptions, and both tell it about changes: these
  // gateways call it once it exists (only at run time, after wiring).
  let cab: CabService | undefined;
  const cabGateway = {
    lapsed: (trx: Trx, ctx: Context, id: string, code: StaleReason['code']) =>
      cab!.markStale(trx, ctx, id, code),
    supersedeOpen: (
      trx: Trx,
      ctx: Context,
      intentId: string,
      pack: { id: string; version: string },
    ) => cab!.supersedeOpen(trx, ctx, intentId, pack),
    ofPack: (...args: Parameters<CabService['ofPack']>) => cab!.ofPack(...args),
  };
  const exceptions = new ExceptionService({
    database,
    clock,
    audit,
    outbox,
    people: identity,
    lapses: cabGateway,
    artifacts,
    owners: intents,
    maxDays: config.exceptionMaxDays,
    reminderDays: config.exceptionReminderDays,
  });
  const policySets = new PolicySetService(database, clock, audit);
  const assessment = new AssessmentService({
    database,
    clock,
    intents,
    policySets,
    exceptions,
    evidence,
    publishers: trustedPublishers,
    embeddedSignatures: artifacts,
  });
  const packs = new PackService({
    database,
    clock,
    audit,
    signingKey,
    intents,
    assessment,
    evidence,
    newVersions: cabGateway,
    decisions: cabGateway,
  });
  const approvalPolicies = new ApprovalPolicyService(database, clock, audit);
  cab = new CabService({
    database,
    clock,
    audit,
    outbox,
    signingKey,
    packs,
    intents,
    exceptions,
    people: identity,
    policies: approvalPolicies,
    authorizationDays: config.authorizationDays,
    postReviewDays: config.postReviewDays,
  });
  // The ways out of the outbox; a channel that is not configured leaves its messages waiting.
  const channels: Channel[] = [
    EmailChannel.fromConfig(config),
    new WebhookChannel({ clock, webhooks }),
  ];
  const dispatcher = new Dispatcher({
    database,
    clock,
    channels,
    ...(overrides.dispatcher ? { options: overrides.dispatcher } : {}),
  });
  return {
    config,
    clock,
    database,
    signingKey,
    audit,
    identity,
    sessions,
    intents,
    artifacts,
    trustAnchors,
    trustedPublishers,
    sigstoreRoots,
    evidence,
    exceptions,
    policySets,
    assessment,
    packs,
    outbox,
    dispatcher,
    approvalPolicies,
    cab,
    webhooks,
    async close() {
      await dispatcher.stop();
      await Promise.all(channels.map((c) => c.close?.()));
      await parsePool.close();
      await artifacts.close();
      await database.close();
    },
  };
}
