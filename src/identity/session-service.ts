import { createHash, randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database, Trx } from '../platform/db/database.js';
import { DomainError, UnauthenticatedError } from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import type { Principal } from './identity-service.js';
import * as identityStore from './identity-store.js';
import * as store from './session-store.js';

/** 32 random bytes, base64url: what the cookie carries (only its SHA-256 is stored). */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

const HOUR_MS = 3_600_000;

/** Why a session stopped before its expiry (the `reason` of `session.ended`). */
export type SessionEndReason = 'signed_out' | 'token_revoked' | 'user_disabled';

export interface StartedSession {
  /** The cookie value: shown to the browser once, never stored. */
  secret: string;
  id: string;
  expires_at: string;
}

function hashSession(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function refused(message: string, reason: string): DomainError {
  return new DomainError('unauthenticated', message, { reason });
}

/**
 * Dashboard sessions: a browser signs in once with an API token and then sends an opaque
 * cookie instead. A session lives until its absolute expiry (CABINET_SESSION_HOURS, never
 * later than its token's), a sign-out, or the revocation of its token (disabling the user
 * revokes their tokens): whatever ends the token ends the session.
 */
export class SessionService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #lifetimeMs: number;

  constructor(options: { database: Database; clock: Clock; audit: AuditLog; hours: number }) {
    this.#database = options.database;
    this.#clock = options.clock;
    this.#audit = options.audit;
    this.#lifetimeMs = options.hours * HOUR_MS;
  }

  /** Opens a session for an authenticated token (the caller checked it) in the route's trx. */
  async start(trx: Trx, ctx: Context, principal: Principal): Promise<StartedSession> {
    const token = await identityStore.findToken(trx, principal.tokenId);
    if (!token) throw new UnauthenticatedError('The bearer token is not valid.');
    const now = this.#clock.now();
    const expiresMs = Math.min(now.getTime() + this.#lifetimeMs, Date.parse(token.expires_at));
    const secret = randomBytes(32).toString('base64url');
    const row: store.SessionRow = {
      id: uuidv7(now.getTime()),
      session_hash: hashSession(secret),
      user_id: principal.user.id,
      token_id: token.id,
      created_at: now.toISOString(),
      expires_at: new Date(expiresMs).toISOString(),
      ended_at: null,
    };
    await store.insertSession(trx, row);
    await this.#audit.append(trx, ctx, {
      type: 'session.created',
      subject: row.id,
      data: { user_id: row.user_id, token_id: row.token_id, expires_at: row.expires_at },
    });
    return { secret, id: row.id, expires_at: row.expires_at };
  }

  /** Resolves a session cookie to the same Principal its token gives, or refuses with why. */
  async authenticate(secret: string): Promise<Principal> {
    const invalid = () => refused('The session is not valid: sign in again.', 'session_invalid');
    if (!SESSION_ID.test(secret)) throw invalid();
    const db = this.#database.db;
    const row = await store.findSessionByHash(db, hashSession(secret));
    if (!row) throw invalid();
    if (row.ended_at) throw refused('The session has ended: sign in again.', 'session_ended');
    const now = this.#clock.now().toISOString();
    if (row.expires_at <= now) {
      throw refused(`The session expired at ${row.expires_at}: sign in again.`, 'session_expired');
    }
    // Revoking the token or disabling the user ends its sessions as it happens; this guards
    // against a session that outlived that (written before the check existed, a race).
    const token = await identityStore.findToken(db, row.token_id);
    const user = await identityStore.findUser(db, row.user_id);
    if (!token || token.revoked_at || token.expires_at <= now || !user || user.disabled) {
      throw refused(
        'The session has ended: its token was revoked or its user disabled.',
        'session_ended',
      );
    }
    return { user, tokenId: token.id, session: { id: row.id, expires_at: row.expires_at } };
  }

  /**
   * Signs out: ends the session this cookie names, if it is still open. Returns whether it
   * ended one (an unknown, ended or expired cookie is simply forgotten).
   */
  async end(trx: Trx, ctx: Context, secret: string): Promise<boolean> {
    if (!SESSION_ID.test(secret)) return false;
    const row = await store.findSessionByHash(trx, hashSession(secret));
    if (!row || row.ended_at) return false;
    const at = this.#clock.now().toISOString();
    if (row.expires_at <= at) return false;
    if (!(await store.endSession(trx, row.id, at))) return false;
    const user = await identityStore.findUser(trx, row.user_id);
    await this.#audit.append(
      trx,
      { ...ctx, actorId: row.user_id, roles: user?.roles ?? [] },
      {
        type: 'session.ended',
        subject: row.id,
        data: { user_id: row.user_id, token_id: row.token_id, reason: 'signed_out' },
      },
    );
    return true;
  }
}

/**
 * Ends every open session made from these tokens, one `session.ended` event each, in the
 * caller's transaction (a token revocation, a user disabled).
 */
export async function endSessionsOfTokens(
  trx: Trx,
  audit: AuditLog,
  ctx: Context,
  tokenIds: readonly string[],
  at: string,
  reason: SessionEndReason,
): Promise<void> {
  const ended = await store.endSessionsOfTokens(trx, tokenIds, at);
  for (const session of ended) {
    await audit.append(trx, ctx, {
      type: 'session.ended',
      subject: session.id,
      data: { user_id: session.user_id, token_id: session.token_id, reason },
    });
  }
}
