import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock } from '../platform/clock.js';
import type { Database } from '../platform/db/database.js';
import { uuidv7 } from '../platform/ids.js';
import type { Channel, DeliveryResult } from './channel.js';
import {
  anyDue,
  type ClaimedMessage,
  claimDue,
  insertAttempts,
  markDelivered,
  markFailed,
  type OutboxAttempt,
  type OutboxChannel,
} from './outbox-store.js';
import { nextDelayMs } from './retry-schedule.js';

export interface DispatcherOptions {
  /** Names this process in claims and attempts (default host:pid:random). */
  instance?: string;
  /** Messages claimed per claim transaction. */
  batchSize?: number;
  /** Deliveries in flight at once, all channels together. */
  concurrency?: number;
  /** How long a claim holds a message; longer than any channel's own timeout. */
  leaseMs?: number;
  /** How often an idle dispatcher looks for due messages (enqueues in this process wake it). */
  pollMs?: number;
  /** Outcomes wait this long to be recorded together in one transaction. */
  flushMs?: number;
  random?: () => number;
}

export interface DispatcherLog {
  warn(data: object, message: string): void;
  error(data: object, message: string): void;
}

/** One recorded attempt, for metrics: how it ended and, when delivered, how long after enqueue. */
export interface AttemptObservation {
  channel: OutboxChannel;
  outcome: OutboxAttempt['outcome'];
  /** Enqueue (commit) to delivery, for delivered messages. */
  latencyMs: number | null;
}

export interface DrainSummary {
  delivered: number;
  failed: number;
  dead: number;
}

interface Outcome {
  message: ClaimedMessage;
  channel: Channel;
  result: DeliveryResult;
  startedAt: Date;
  finishedAt: Date;
}

const DEFAULTS = {
  batchSize: 100,
  concurrency: 64,
  leaseMs: 120_000,
  pollMs: 250,
  flushMs: 10,
};

/**
 * Delivers the outbox. A claim transaction takes due messages (SKIP LOCKED and a lease on
 * PostgreSQL, the write lock on SQLite) and counts the attempt; delivery runs after it
 * commits, outside any transaction; the outcome is recorded in another (an attempt row, then
 * delivered, due again later on the retry schedule, or dead), guarded by the lease so an
 * instance that lost its lease cannot overwrite the new holder's state. A process killed
 * mid-delivery leaves its messages leased: when the lease runs out another instance claims
 * them, records the lost attempt as abandoned, and delivers again (at least once; receivers
 * dedupe on the message id).
 */
export class Dispatcher {
  readonly instance: string;
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #channels: Map<OutboxChannel, Channel>;
  #log: DispatcherLog | undefined;
  readonly #o: Required<Omit<DispatcherOptions, 'instance'>>;
  readonly #observers = new Set<(observation: AttemptObservation) => void>();

  #running = false;
  #loop: Promise<void> | null = null;
  #woken = false;
  #wakeUp: (() => void) | null = null;
  #inFlight = 0;
  #outcomes: Outcome[] = [];
  #flushing: Promise<void> | null = null;
  #settled: (() => void)[] = [];

  constructor(deps: {
    database: Database;
    clock: Clock;
    channels: Channel[];
    log?: DispatcherLog;
    options?: DispatcherOptions;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#channels = new Map(deps.channels.map((c) => [c.name, c]));
    this.#log = deps.log;
    const { instance, ...options } = deps.options ?? {};
    this.instance = instance ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.#o = { ...DEFAULTS, random: Math.random, ...options };
  }

  /** The channels whose messages this dispatcher claims (configured ones only). */
  get channels(): OutboxChannel[] {
    return [...this.#channels.values()].filter((c) => c.enabled).map((c) => c.name);
  }

  onAttempt(observer: (observation: AttemptObservation) => void): () => void {
    this.#observers.add(observer);
    return () => this.#observers.delete(observer);
  }

  /** Runs until stop(): claims what is due, delivers, records; sleeps pollMs when idle. */
  start(log?: DispatcherLog): void {
    if (this.#running) return;
    if (log) this.#log = log;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops claiming, waits for the deliveries in flight and records them. */
  async stop(): Promise<void> {
    this.#running = false;
    this.wake();
    await this.#loop;
    this.#loop = null;
    await this.#idle();
  }

  /**
   * wake() if any of `channels` is one this dispatcher delivers: messages for a channel that
   * is not configured (email without CABINET_SMTP_URL) wait, and must not cost a claim each.
   */
  wakeFor(channels: ReadonlySet<OutboxChannel>): void {
    if (this.channels.some((c) => channels.has(c))) this.wake();
  }

  /** Looks for due messages now instead of at the next poll (after an enqueue commits). */
  wake(): void {
    this.#woken = true;
    const wakeUp = this.#wakeUp;
    this.#wakeUp = null;
    wakeUp?.();
  }

  /**
   * Delivers everything due now, once, and returns (for `cabinet outbox drain` and tests).
   * A message that fails is due again later on its schedule, so drain does not loop on it.
   */
  async drain(onProgress?: (summary: DrainSummary) => void): Promise<DrainSummary> {
    const summary: DrainSummary = { delivered: 0, failed: 0, dead: 0 };
    for (;;) {
      const claimed = await this.#claim(this.#o.batchSize);
      if (claimed.length === 0) return summary;
      const outcomes = await runLimited(claimed, this.#o.concurrency, (m) => this.#deliver(m));
      await this.#record(outcomes, summary);
      onProgress?.({ ...summary });
    }
  }

  /**
   * Claims and delivers one message now, due or not (the webhook test ping). Answers the
   * recorded attempt, or null when it is not pending or another instance holds it.
   */
  async deliverNow(messageId: string): Promise<OutboxAttempt | null> {
    const [message] = await this.#claim(1, messageId);
    if (!message) return null;
    const outcome = await this.#deliver(message);
    const [attempt] = await this.#record([outcome]);
    return attempt ?? null;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      const room = Math.min(this.#o.batchSize, this.#o.concurrency - this.#inFlight);
      let full = false;
      if (room > 0) {
        try {
          const claimed = await this.#claim(room);
          for (const message of claimed) this.#launch(message);
          full = claimed.length === room;
        } catch (error) {
          // The database is away: try again at the next poll, never crash the server.
          this.#log?.error({ err: error }, 'outbox claim failed');
        }
      }
      if (full) continue;
      await this.#sleep();
    }
  }

  #sleep(): Promise<void> {
    if (this.#woken || !this.#running) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeUp = null;
        resolve();
      }, this.#o.pollMs);
      timer.unref();
      this.#wakeUp = () => {
        clearTimeout(timer);
        this.#woken = false;
        resolve();
      };
    });
  }

  #launch(message: ClaimedMessage): void {
    this.#inFlight++;
    void this.#deliver(message).then((outcome) => {
      this.#inFlight--;
      this.#outcomes.push(outcome);
      this.#scheduleFlush();
      // Half the slots are free again: claim more now, in one claim of that half, rather
      // than one claim per freed slot (a claim is a transaction of its own).
      if (this.#inFlight === Math.floor(this.#o.concurrency / 2)) this.wake();
    });
  }

  #scheduleFlush(): void {
    if (this.#flushing) return;
    this.#flushing = (async () => {
      await delay(this.#o.flushMs);
      while (this.#outcomes.length > 0) {
        const outcomes = this.#outcomes;
        this.#outcomes = [];
        try {
          await this.#record(outcomes);
        } catch (error) {
          // Not recorded: the lease runs out and another claim delivers again (at least once).
          this.#log?.error({ err: error, messages: outcomes.length }, 'outbox record failed');
        }
      }
      this.#flushing = null;
      if (this.#inFlight === 0) for (const settled of this.#settled.splice(0)) settled();
    })();
  }

  async #idle(): Promise<void> {
    if (this.#inFlight === 0 && this.#flushing === null && this.#outcomes.length === 0) return;
    await new Promise<void>((resolve) => this.#settled.push(resolve));
  }

  async #claim(limit: number, onlyId?: string): Promise<ClaimedMessage[]> {
    const channels = this.channels;
    if (channels.length === 0) return [];
    const now = this.#clock.now();
    const due = { now: now.toISOString(), channels, ...(onlyId === undefined ? {} : { onlyId }) };
    if (!(await anyDue(this.#database.db, due))) return [];
    return this.#database.transaction(async (trx) => {
      const claimed = await claimDue(trx, this.#database.dialect, {
        instance: this.instance,
        now: now.toISOString(),
        leaseUntil: new Date(now.getTime() + this.#o.leaseMs).toISOString(),
        channels,
        limit,
        ...(onlyId === undefined ? {} : { onlyId }),
      });
      // A lease that ran out is an attempt whose outcome nobody recorded: say so.
      const abandoned = claimed
        .filter((m) => m.claimed_by !== '' && m.claimed_by !== this.instance)
        .map(
          (m): OutboxAttempt => ({
            id: uuidv7(now.getTime()),
            message_id: m.id,
            attempt: m.attempts - 1,
            started_at: m.lease_until,
            finished_at: now.toISOString(),
            outcome: 'failed',
            status_code: null,
            error: `abandoned: ${m.claimed_by.slice(0, 100)} held the message until ${m.lease_until} and recorded no outcome`,
            instance: this.instance,
          }),
        );
      await insertAttempts(trx, abandoned);
      return claimed;
    });
  }

  async #deliver(message: ClaimedMessage): Promise<Outcome> {
    const channel = this.#channels.get(message.channel)!;
    const startedAt = this.#clock.now();
    let result: DeliveryResult;
    try {
      result = await channel.deliver(message);
    } catch (error) {
      // A channel should answer, not throw; if it does, the attempt failed (and is retried).
      result = { outcome: 'failed', error: flat(error) };
    }
    return { message, channel, result, startedAt, finishedAt: this.#clock.now() };
  }

  async #record(outcomes: Outcome[], summary?: DrainSummary): Promise<OutboxAttempt[]> {
    const attempts = outcomes.map(
      ({ message, result, startedAt, finishedAt }): OutboxAttempt => ({
        id: uuidv7(finishedAt.getTime()),
        message_id: message.id,
        attempt: message.attempts,
        started_at: startedAt.toISOString(),
        finished_at: finishedAt.toISOString(),
        outcome: result.outcome,
        status_code: result.statusCode ?? null,
        error: result.outcome === 'delivered' ? (result.note ?? null) : bounded(result.error),
        instance: this.instance,
      }),
    );
    const dead = new Set<string>();
    await this.#database.transaction(async (trx) => {
      await insertAttempts(trx, attempts);
      const delivered = outcomes.filter((o) => o.result.outcome === 'delivered');
      await markDelivered(
        trx,
        this.instance,
        delivered.map((o) => o.message.id),
        outcomes.at(-1)!.finishedAt.toISOString(),
      );
      for (const { message, result, finishedAt } of outcomes) {
        if (result.outcome === 'delivered') continue;
        const wait =
          result.outcome === 'gone' || result.permanent
            ? null
            : nextDelayMs(message.attempts, this.#o.random(), result.retryAfterMs ?? null);
        if (wait === null) dead.add(message.id);
        const next = wait === null ? null : new Date(finishedAt.getTime() + wait).toISOString();
        await markFailed(trx, this.instance, message.id, bounded(result.error), next);
      }
    });
    for (const { message, channel, result, finishedAt } of outcomes) {
      if (summary) {
        if (result.outcome === 'delivered') summary.delivered++;
        else if (dead.has(message.id)) summary.dead++;
        else summary.failed++;
      }
      const latencyMs =
        result.outcome === 'delivered'
          ? finishedAt.getTime() - Date.parse(message.created_at)
          : null;
      for (const observer of this.#observers) {
        observer({ channel: message.channel, outcome: result.outcome, latencyMs });
      }
      if (result.outcome === 'gone' && channel.onGone) {
        await channel.onGone(message, result).catch((error: unknown) => {
          this.#log?.warn({ err: error, message: message.id }, 'webhook onGone failed');
        });
      }
    }
    return attempts;
  }
}

/** Runs `work` over `items`, at most `limit` at once, answers in item order. */
async function runLimited<T, R>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Error text as stored: one line, bounded (a receiver's body can be anything). */
function bounded(text: string): string {
  const flatText = text.replace(/\s+/g, ' ').trim();
  return flatText.length > 500 ? `${flatText.slice(0, 500)}…` : flatText;
}

function flat(error: unknown): string {
  return bounded(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
}
