import type { Command } from 'commander';
import type { Container } from '../composition-root.js';
import type { User } from '../identity/identity-service.js';
import { isRole, ROLES, type Role } from '../identity/roles.js';
import { BadRequestError } from '../platform/errors.js';
import { type CliIo, cliContext, printTable, withContainer } from './cli-io.js';

type Identity = Container['identity'];

/**
 * Every command that names a user takes its id or its email, so what `users list` shows in
 * either column can be pasted back; an unknown one is an error, never an empty result.
 */
async function resolveUser(identity: Identity, idOrEmail: string): Promise<User> {
  if (!idOrEmail.includes('@')) return identity.getUser(idOrEmail);
  const user = await identity.findUserByEmail(idOrEmail);
  if (!user) throw new BadRequestError(`no user with email ${idOrEmail}`);
  return user;
}

function parseRoles(value: string): Role[] {
  const roles = value
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length > 0) {
    throw new BadRequestError(`unknown role ${unknown.join(', ')}; roles are ${ROLES.join(', ')}`);
  }
  return roles as Role[];
}

export function registerAdminCommands(program: Command, io: CliIo): void {
  const json = () => program.opts<{ json?: boolean }>().json === true;

  program
    .command('migrate')
    .description('apply pending database migrations (the server also migrates on start)')
    .action(async () => {
      // Loaded here, not at start: the database drivers are for the commands that use them.
      const { loadConfig } = await import('../config/config.js');
      const databaseUrl = loadConfig(io.env).databaseUrl;
      const [{ createDatabase }, { migrateToLatest, pendingMigrations }] = await Promise.all([
        import('../platform/db/database.js'),
        import('../platform/db/migrate.js'),
      ]);
      const database = createDatabase(databaseUrl);
      try {
        const before = await pendingMigrations(database);
        await migrateToLatest(database);
        if (json()) io.out(JSON.stringify({ applied: before, dialect: database.dialect }));
        else if (before.length === 0) io.out(`schema is current (${database.dialect})`);
        else io.out(`applied ${before.join(', ')} (${database.dialect})`);
      } finally {
        await database.close();
      }
    });

  const users = program.command('users').description('manage users (local, needs database access)');
  users
    .command('create')
    .description('create a user')
    .requiredOption('--email <email>', 'email address (unique)')
    .requiredOption('--name <name>', 'display name')
    .option('--roles <roles>', `comma-separated roles: ${ROLES.join(', ')}`, '')
    .action(async (opts: { email: string; name: string; roles: string }) => {
      const roles = parseRoles(opts.roles);
      const user = await withContainer(io, (c) =>
        c.database.transaction((trx) =>
          c.identity.createUser(trx, cliContext(io.env), {
            email: opts.email,
            display_name: opts.name,
            roles,
          }),
        ),
      );
      if (json()) io.out(JSON.stringify(user));
      else io.out(`created user ${user.email} (${user.id}) roles: ${user.roles.join(',') || '-'}`);
    });
  users
    .command('list')
    .description('list users')
    .action(async () => {
      const list = await withContainer(io, (c) => c.identity.listUsers({ limit: 10_000 }));
      if (json()) io.out(JSON.stringify(list));
      else printTable(io, list, ['id', 'email', 'display_name', 'roles', 'disabled']);
    });
  users
    .command('update <id-or-email>')
    .description('change roles or disable/enable a user')
    .option('--roles <roles>', 'replace the roles (comma-separated)')
    .option('--disable', 'disable the user')
    .option('--enable', 'enable the user')
    .action(async (who: string, opts: { roles?: string; disable?: boolean; enable?: boolean }) => {
      const patch = {
        roles: opts.roles === undefined ? undefined : parseRoles(opts.roles),
        disabled: opts.disable ? true : opts.enable ? false : undefined,
      };
      const user = await withContainer(io, async (c) => {
        const { id } = await resolveUser(c.identity, who);
        return c.database.transaction((trx) =>
          c.identity.updateUser(trx, cliContext(io.env), id, patch),
        );
      });
      if (json()) io.out(JSON.stringify(user));
      else
        io.out(
          `updated ${user.email}: roles ${user.roles.join(',') || '-'}, disabled ${user.disabled}`,
        );
    });

  const tokens = program.command('tokens').description('manage API tokens (local)');
  tokens
    .command('create')
    .description('create a token for a user; it is printed once')
    .requiredOption('--user <id-or-email>', 'the user')
    .option('--name <name>', 'a label for the token', 'cli')
    .option('--expires-in-days <days>', 'lifetime in days (1-365)', '90')
    .action(async (opts: { user: string; name: string; expiresInDays: string }) => {
      const days = Number(opts.expiresInDays);
      if (!Number.isInteger(days) || days < 1 || days > 365) {
        throw new BadRequestError('--expires-in-days must be a whole number from 1 to 365');
      }
      const issued = await withContainer(io, async (c) => {
        const user = await resolveUser(c.identity, opts.user);
        return c.database.transaction((trx) =>
          c.identity.createToken(trx, cliContext(io.env), {
            user_id: user.id,
            name: opts.name,
            expires_in_days: days,
          }),
        );
      });
      if (json()) io.out(JSON.stringify(issued));
      else {
        io.out(`token: ${issued.token}`);
        io.out(`id ${issued.id}, expires ${issued.expires_at}; it is not shown again.`);
      }
    });
  tokens
    .command('list')
    .description('list tokens')
    .option('--user <id-or-email>', 'only this user’s tokens')
    .action(async (opts: { user?: string }) => {
      const list = await withContainer(io, async (c) => {
        const userId =
          opts.user === undefined ? undefined : (await resolveUser(c.identity, opts.user)).id;
        return c.identity.listTokens(cliContext(io.env), { userId, limit: 10_000 });
      });
      if (json()) io.out(JSON.stringify(list));
      else printTable(io, list, ['id', 'user_id', 'name', 'prefix', 'status', 'expires_at']);
    });
  tokens
    .command('revoke <id>')
    .description('revoke a token')
    .action(async (id: string) => {
      const token = await withContainer(io, (c) =>
        c.database.transaction((trx) => c.identity.revokeToken(trx, cliContext(io.env), id)),
      );
      if (json()) io.out(JSON.stringify(token));
      else io.out(`revoked token ${token.id} (${token.name})`);
    });
}
