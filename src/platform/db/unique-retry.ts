import { isUniqueViolation } from './database.js';

/**
 * What a transaction's owner does when it fails on a unique key: `'retry'` runs the whole
 * transaction once more (a concurrent writer of the same key has committed, and the second
 * run sees its rows and answers as for a known one), or the factory names the conflict the
 * client gets instead (a 409 to retry itself).
 */
export type OnUniqueViolation = 'retry' | (() => Error);

/**
 * Runs `run` (a whole transaction: a failed statement leaves a PostgreSQL transaction
 * unusable, so only the owner of the transaction can retry it) and applies `then` to a
 * unique-key violation. Any other error, and a second violation after a retry, is rethrown.
 */
export async function onUniqueViolation<T>(
  run: () => Promise<T>,
  then: OnUniqueViolation,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    if (then === 'retry') return run();
    throw then();
  }
}
