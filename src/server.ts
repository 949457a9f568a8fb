import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { sweepStaleUploads } from './blobs/blob-parts.js';
import type { Container } from './composition-root.js';
import { systemContext } from './platform/context.js';
import { LOCKS } from './platform/db/database.js';
import { runExclusive } from './platform/db/exclusive.js';
import { pruneIdempotencyKeys } from './platform/http/idempotency.js';
import { type ScheduledJob, startScheduler } from './platform/scheduler.js';

const IDEMPOTENCY_RETENTION_MS = 48 * 3_600_000;
export const SQLITE_CHECKPOINT_INTERVAL_MS = 250;

/**
 * The periodic sweeps every instance schedules. Each is safe to run on several at once, and
 * still runs on one instance at a time (an advisory lock): two instances never both do the
 * same step, and a sweep on a shared database is not done twice for nothing.
 */
export function scheduledJobs(container: Container): ScheduledJob[] {
  const { database } = container;
  const jobs: (ScheduledJob & { lock: number })[] = [
    {
      name: 'audit-checkpoint',
      lock: LOCKS.sweepAuditCheckpoint,
      intervalMs: container.config.checkpointIntervalSeconds * 1000,
      run: () => container.audit.checkpoint(),
    },
    {
      name: 'idempotency-prune',
      lock: LOCKS.sweepIdempotency,
      intervalMs: 3_600_000,
      run: () =>
        pruneIdempotencyKeys(
          container.database,
          new Date(container.clock.now().getTime() - IDEMPOTENCY_RETENTION_MS),
        ),
    },
    {
      // Expiry itself is enforced by time on every read; this records it (state, version,
      // audit event) once per exception, whichever instances run it.
      name: 'exception-expiry',
      lock: LOCKS.sweepExceptionExpiry,
      intervalMs: 60_000,
      run: () => container.exceptions.expireDue(),
    },
    {
      // Reminders CABINET_EXCEPTION_REMINDER_DAYS before an approved exception expires; each
      // exists once (its outbox dedupe key), whichever instance sweeps.
      name: 'exception-reminders',
      lock: LOCKS.sweepExceptionReminders,
      intervalMs: 15 * 60_000,
      run: () => container.exceptions.remindExpiring(),
    },
    {
      // Uploads cut off by a crash leave parts no transaction will claim. Age is the only safe
      // sign on a shared database: another instance may be receiving a young one right now.
      name: 'stale-upload-sweep',
      lock: LOCKS.sweepStaleUploads,
      intervalMs: 3_600_000,
      run: () =>
        sweepStaleUploads(
          database.db,
          new Date(
            container.clock.now().getTime() - container.config.staleUploadHours * 3_600_000,
          ).toISOString(),
        ),
    },
    // The SQLite connection does not checkpoint on commit (see createSqlite): the WAL is
    // folded back here, between requests, not inside whichever commit crossed 1,000 pages.
    // Often, because a long WAL slows every statement: each page read searches the WAL's
    // index and each commit appends to a growing file. 50 clients voting grow it by ~95 MB/s;
    // checkpointed every 10 s it reached 900 MB and a COMMIT took 1.7 ms; every 250 ms, and
    // truncating only after 2 s idle (a TRUNCATE under load stops every writer, and the file
    // then grows back at the writers' cost), a COMMIT takes 0.54 ms and BEGIN no longer
    // waits: 90–122 → 234 decisions/s in `npm run bench -- cab` (363/s answered
    // return=minimal). An idle round is a no-op.
    ...(database.dialect === 'sqlite'
      ? [
          {
            name: 'sqlite-checkpoint',
            lock: LOCKS.sweepSqliteCheckpoint,
            intervalMs: SQLITE_CHECKPOINT_INTERVAL_MS,
            run: () => database.checkpoint({ onlyWhenIdle: true }),
          },
        ]
      : []),
  ];
  // A round another instance is running answers null here (nothing done).
  return jobs.map(({ lock, ...job }) => ({
    ...job,
    run: async () => {
      const outcome = await runExclusive(database, lock, job.run);
      return outcome.ran ? outcome.result : null;
    },
  }));
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts serving: bootstraps the first admin on an empty database (printing its token
 * once), listens, and runs the periodic sweeps until stopped.
 */
export async function startServer(
  container: Container,
  print: (line: string) => void,
): Promise<RunningServer> {
  const app = await buildApp(container);
  const bootstrap = await container.identity.bootstrapAdmin(systemContext());
  if (bootstrap) {
    print(`admin user: ${bootstrap.user.email} (${bootstrap.user.id})`);
    print(`admin token: ${bootstrap.token}`);
    print('Store this token now: it is shown only once.');
  }
  const { config } = container;
  const address = await app.listen({ port: config.port, host: config.host });
  print(`cabinet listening on ${address} (database: ${container.database.dialect})`);

  const stopScheduler = startScheduler(scheduledJobs(container), app.log);
  // Every server process delivers the outbox; an enqueue committed here wakes it at once.
  const { dispatcher, outbox } = container;
  const stopWaking = outbox.onEnqueued((channels) => dispatcher.wakeFor(channels));
  dispatcher.start(app.log);
  return {
    app,
    url: address,
    async stop() {
      stopScheduler();
      stopWaking();
      await app.close();
      await dispatcher.stop();
      // A last checkpoint so the head at shutdown is signed.
      await container.audit.checkpoint().catch(() => undefined);
      await container.close();
    },
  };
}
