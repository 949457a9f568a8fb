import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../platform/clock.js';
import type { Context } from '../platform/context.js';
import type { Database, Executor, Trx } from '../platform/db/database.js';
import { isUniqueViolation } from '../platform/db/database.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  UnprocessableError,
} from '../platform/errors.js';
import { uuidv7 } from '../platform/ids.js';
import { isAllowed } from './authorization.js';
import type { ApiToken, User } from './identity-store.js';
import * as store from './identity-store.js';
import type { Role } from './roles.js';
import { endSessionsOfTokens } from './session-service.js';
import { generateToken, hashToken } from './token.js';

export type { ApiToken, User } from './identity-store.js';

export interface Principal {
  user: User;
  /** The token presented, or the one the session was made from. */
  tokenId: string;
  /** Set when the request authenticated with a dashboard session cookie. */
  session?: { id: string; expires_at: string };
}

export interface TokenView {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  status: 'active' | 'expired' | 'revoked';
}

export interface IssuedToken extends TokenView {
  token: string;
}

const DAY_MS = 86_400_000;
/** last_used_at is written at most this often per token, to keep reads from becoming writes. */
const TOUCH_INTERVAL_MS = 60_000;

export class IdentityService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #audit: AuditLog;

  constructor(database: Database, clock: Clock, audit: AuditLog) {
    this.#database = database;
    this.#clock = clock;
    this.#audit = audit;
  }

  async createUser(
    trx: Trx,
    ctx: Context,
    input: { email: string; display_name: string; roles: Role[] },
  ): Promise<User> {
    const now = this.#clock.now();
    const user: User = {
      id: uuidv7(now.getTime()),
      email: input.email.toLowerCase(),
      display_name: input.display_name,
      roles: [...new Set(input.roles)].sort(),
      disabled: false,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
    };
    if (await store.findUserByEmail(trx, user.email)) {
      throw new ConflictError(`A user with email ${user.email} already exists.`, 'email_taken');
    }
    try {
      await store.insertUser(trx, user);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`A user with email ${user.email} already exists.`, 'email_taken');
      }
      throw error;
    }
    await this.#audit.append(trx, ctx, {
      type: 'user.created',
      subject: user.id,
      data: { email: user.email, roles: user.roles },
    });
    return user;
  }

  async updateUser(
    trx: Trx,
    ctx: Context,
    id: string,
    patch: {
      roles?: Role[] | undefined;
      disabled?: boolean | undefined;
      display_name?: string | undefined;
    },
  ): Promise<User> {
    const before = await store.findUser(trx, id);
    if (!before) throw new NotFoundError('User', id);
    const after: User = {
      ...before,
      roles: patch.roles ? [...new Set(patch.roles)].sort() : before.roles,
      disabled: patch.disabled ?? before.disabled,
      display_name: patch.display_name ?? before.display_name,
      updated_at: this.#clock.now().toISOString(),
    };
    if (id === ctx.actorId && (after.disabled || !after.roles.includes('admin'))) {
      throw new UnprocessableError(
        'You cannot disable yourself or remove your own admin role: ask another admin.',
        [],
        'self_lockout',
      );
    }
    await store.updateUser(trx, after);
    await this.#audit.append(trx, ctx, {
      type: 'user.updated',
      subject: id,
      data: {
        before: {
          roles: before.roles,
          disabled: before.disabled,
          display_name: before.display_name,
        },
        after: { roles: after.roles, disabled: after.disabled, display_name: after.display_name },
      },
    });
    if (after.disabled && !before.disabled) {
      // Disabling revokes for good: re-enabling later must not bring the old secrets back,
      // the user asks for new tokens instead.
      const revoked = await store.revokeTokensOfUser(trx, id, after.updated_at);
      for (const token of revoked) {
        await this.#audit.append(trx, ctx, {
          type: 'token.revoked',
          subject: token.id,
          data: { user_id: id, name: token.name, reason: 'user_disabled' },
        });
      }
      // Every session of the user came from one of their tokens, revoked or not.
      const tokenIds = await store.listTokenIdsOfUser(trx, id);
      await endSessionsOfTokens(trx, this.#audit, ctx, tokenIds, after.updated_at, 'user_disabled');
    }
    return after;
  }

  async getUser(id: string, db: Executor = this.#database.db): Promise<User> {
    const user = await store.findUser(db, id);
    if (!user) throw new NotFoundError('User', id);
    return user;
  }

  /**
   * Enabled users holding `role`, as message recipients (resolved when a message is
   * enqueued, so a later role change does not redirect it).
   */
  async recipientsWithRole(
    role: Role,
    db: Executor = this.#database.db,
  ): Promise<{ user_id: string; email: string }[]> {
    const users = await store.listUsersWithRole(db, role);
    return users
      .filter((user) => !user.disabled)
      .map((user) => ({ user_id: user.id, email: user.email }));
  }

  async findUserByEmail(email: string): Promise<User | null> {
    return store.findUserByEmail(this.#database.db, email.toLowerCase());
  }

  listUsers(options: { afterId?: string | undefined; limit: number }): Promise<User[]> {
    return store.listUsers(this.#database.db, options);
  }

  async createToken(
    trx: Trx,
    ctx: Context,
    input: { user_id?: string | undefined; name: string; expires_in_days: number },
  ): Promise<IssuedToken> {
    const userId = input.user_id ?? ctx.actorId;
    if (userId !== ctx.actorId && !isAllowed(ctx.roles, 'tokens.create_for_others')) {
      throw new ForbiddenError('Only an admin may create tokens for another user.', 'missing_role');
    }
    const user = await store.findUser(trx, userId);
    if (!user) throw new NotFoundError('User', userId);
    if (user.disabled) {
      throw new UnprocessableError(`User ${userId} is disabled.`, [], 'user_disabled');
    }
    const now = this.#clock.now();
    const secret = generateToken();
    const token: ApiToken = {
      id: uuidv7(now.getTime()),
      user_id: userId,
      name: input.name,
      token_hash: secret.hash,
      token_prefix: secret.prefix,
      created_by: ctx.actorId,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + input.expires_in_days * DAY_MS).toISOString(),
      revoked_at: null,
      last_used_at: null,
    };
    await store.insertToken(trx, token);
    await this.#audit.append(trx, ctx, {
      type: 'token.created',
      subject: token.id,
      data: { user_id: userId, name: token.name, expires_at: token.expires_at },
    });
    return { ...this.tokenView(token), token: secret.token };
  }

  async listTokens(
    ctx: Context,
    options: { userId?: string | undefined; afterId?: string | undefined; limit: number },
  ): Promise<TokenView[]> {
    const all = isAllowed(ctx.roles, 'tokens.list_all');
    const userId = all ? options.userId : ctx.actorId;
    const rows = await store.listTokens(this.#database.db, { ...options, userId });
    return rows.map((row) => this.tokenView(row));
  }

  async revokeToken(trx: Trx, ctx: Context, id: string): Promise<TokenView> {
    const token = await store.findToken(trx, id);
    const mayRevokeAny = isAllowed(ctx.roles, 'tokens.revoke_for_others');
    // Someone else's token is reported as absent, not forbidden: its id reveals nothing.
    if (!token || (token.user_id !== ctx.actorId && !mayRevokeAny)) {
      throw new NotFoundError('Token', id);
    }
    if (token.revoked_at) return this.tokenView(token);
    const revoked = { ...token, revoked_at: this.#clock.now().toISOString() };
    await store.revokeToken(trx, id, revoked.revoked_at);
    await this.#audit.append(trx, ctx, {
      type: 'token.revoked',
      subject: id,
      data: { user_id: token.user_id, name: token.name },
    });
    await endSessionsOfTokens(trx, this.#audit, ctx, [id], revoked.revoked_at, 'token_revoked');
    return this.tokenView(revoked);
  }

  /** Resolves a bearer token to its user, or refuses with the reason. */
  async authenticate(secret: string): Promise<Principal> {
    const found = await store.findTokenByHash(this.#database.db, hashToken(secret));
    if (!found) throw new UnauthenticatedError('The bearer token is not valid.');
    const { token, user } = found;
    const now = this.#clock.now();
    // A disabled user's tokens are revoked too; saying "disabled" tells them why.
    if (user.disabled) throw new UnauthenticatedError('The user of this token is disabled.');
    if (token.revoked_at) throw new UnauthenticatedError('The bearer token has been revoked.');
    if (token.expires_at <= now.toISOString()) {
      throw new UnauthenticatedError(`The bearer token expired at ${token.expires_at}.`);
    }
    const lastUsed = token.last_used_at ? Date.parse(token.last_used_at) : 0;
    if (now.getTime() - lastUsed >= TOUCH_INTERVAL_MS) {
      await store.touchToken(this.#database.db, token.id, now.toISOString());
    }
    return { user, tokenId: token.id };
  }

  /**
   * On an empty database: creates the first admin and a token for it, once. Returns the
   * token (to print) or null when users already exist.
   */
  async bootstrapAdmin(ctx: Context): Promise<{ user: User; token: string } | null> {
    return this.#database.transaction(async (trx) => {
      if ((await store.countUsers(trx)) > 0) return null;
      const user = await this.createUser(trx, ctx, {
        email: 'admin@localhost',
        display_name: 'Administrator',
        roles: ['admin'],
      });
      const token = await this.createToken(
        trx,
        { ...ctx, actorId: user.id, roles: user.roles },
        { user_id: user.id, name: 'bootstrap', expires_in_days: 90 },
      );
      return { user, token: token.token };
    });
  }

  tokenView(token: ApiToken): TokenView {
    const now = this.#clock.now().toISOString();
    return {
      id: token.id,
      user_id: token.user_id,
      name: token.name,
      prefix: token.token_prefix,
      created_by: token.created_by,
      created_at: token.created_at,
      expires_at: token.expires_at,
      revoked_at: token.revoked_at,
      last_used_at: token.last_used_at,
      status: token.revoked_at ? 'revoked' : token.expires_at <= now ? 'expired' : 'active',
    };
  }
}
