import type { Executor } from '../platform/db/database.js';
import { fromDbBool } from '../platform/db/database.js';
import type { ApiTokensTable, UsersTable } from '../platform/db/schema.js';
import type { Role } from './roles.js';

export interface User {
  id: string;
  email: string;
  display_name: string;
  roles: Role[];
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

export type ApiToken = ApiTokensTable;

function toUser(row: UsersTable): User {
  return { ...row, roles: JSON.parse(row.roles) as Role[], disabled: fromDbBool(row.disabled) };
}

export async function insertUser(db: Executor, user: User): Promise<void> {
  await db
    .insertInto('users')
    .values({ ...user, roles: JSON.stringify(user.roles) })
    .execute();
}

export async function updateUser(db: Executor, user: User): Promise<void> {
  await db
    .updateTable('users')
    .set({
      roles: JSON.stringify(user.roles),
      disabled: user.disabled,
      display_name: user.display_name,
      updated_at: user.updated_at,
    })
    .where('id', '=', user.id)
    .execute();
}

export async function findUser(db: Executor, id: string): Promise<User | null> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toUser(row) : null;
}

export async function findUserByEmail(db: Executor, email: string): Promise<User | null> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('email', '=', email)
    .executeTakeFirst();
  return row ? toUser(row) : null;
}

export async function listUsers(
  db: Executor,
  options: { afterId?: string | undefined; limit: number },
): Promise<User[]> {
  let query = db.selectFrom('users').selectAll();
  if (options.afterId) query = query.where('id', '>', options.afterId);
  const rows = await query.orderBy('id', 'asc').limit(options.limit).execute();
  return rows.map(toUser);
}

/** Users whose roles include `role` (roles are a JSON list; the LIKE narrows, the parse decides). */
export async function listUsersWithRole(db: Executor, role: Role): Promise<User[]> {
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('roles', 'like', `%${JSON.stringify(role)}%`)
    .orderBy('id')
    .execute();
  return rows.map(toUser).filter((user) => user.roles.includes(role));
}

export async function countUsers(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertToken(db: Executor, token: ApiToken): Promise<void> {
  await db.insertInto('api_tokens').values(token).execute();
}

export async function findTokenByHash(
  db: Executor,
  hash: string,
): Promise<{ token: ApiToken; user: User } | null> {
  const token = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('token_hash', '=', hash)
    .executeTakeFirst();
  if (!token) return null;
  const user = await findUser(db, token.user_id);
  return user ? { token, user } : null;
}

export async function findToken(db: Executor, id: string): Promise<ApiToken | null> {
  return (
    (await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst()) ?? null
  );
}

export async function listTokens(
  db: Executor,
  options: { userId?: string | undefined; limit: number; afterId?: string | undefined },
): Promise<ApiToken[]> {
  let query = db.selectFrom('api_tokens').selectAll();
  if (options.userId) query = query.where('user_id', '=', options.userId);
  if (options.afterId) query = query.where('id', '>', options.afterId);
  return query.orderBy('id', 'asc').limit(options.limit).execute();
}

export async function revokeToken(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).execute();
}

/** Revokes every live token of a user; returns the ones it revoked. */
export async function revokeTokensOfUser(
  db: Executor,
  userId: string,
  at: string,
): Promise<ApiToken[]> {
  const live = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .orderBy('id', 'asc')
    .execute();
  if (live.length === 0) return [];
  await db
    .updateTable('api_tokens')
    .set({ revoked_at: at })
    .where(
      'id',
      'in',
      live.map((token) => token.id),
    )
    .execute();
  return live;
}

export async function touchToken(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}

/** The ids of every token a user ever had (revoked and expired ones too). */
export async function listTokenIdsOfUser(db: Executor, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('api_tokens')
    .select('id')
    .where('user_id', '=', userId)
    .orderBy('id', 'asc')
    .execute();
  return rows.map((row) => row.id);
}
