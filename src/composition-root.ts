import { AuditLog } from './audit/audit-log.js';
import type { Config } from './config/config.js';
import { IdentityService } from './identity/identity-service.js';
import { type Clock, systemClock } from './platform/clock.js';
import { loadOrCreateSigningKey, type SigningKey } from './platform/crypto/signing-key.js';
import { createDatabase, type Database } from './platform/db/database.js';
import { migrateToLatest } from './platform/db/migrate.js';

/** Everything the app and the CLI need, wired by hand in one place. */
export interface Container {
  config: Config;
  clock: Clock;
  database: Database;
  signingKey: SigningKey;
  audit: AuditLog;
  identity: IdentityService;
  close(): Promise<void>;
}

export interface ContainerOverrides {
  clock?: Clock;
  signingKey?: SigningKey;
  /** Apply pending migrations while wiring (the server and most CLI commands do). */
  migrate?: boolean;
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
  return {
    config,
    clock,
    database,
    signingKey,
    audit,
    identity,
    close: () => database.close(),
  };
}
