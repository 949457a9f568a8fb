import type { FastifyBaseLogger } from 'fastify';

export interface ScheduledJob {
  name: string;
  intervalMs: number;
  run(): Promise<unknown>;
}

/**
 * Runs periodic sweeps in-process. Each job guards itself across instances (advisory lock
 * or idempotent writes), so every instance may run the scheduler. A run never overlaps
 * the previous run of the same job.
 */
export function startScheduler(jobs: ScheduledJob[], log: FastifyBaseLogger): () => void {
  const timers = jobs.map((job) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      job
        .run()
        .catch((error: unknown) => log.error({ err: error, job: job.name }, 'scheduled job failed'))
        .finally(() => {
          running = false;
        });
    }, job.intervalMs);
    timer.unref();
    return timer;
  });
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
