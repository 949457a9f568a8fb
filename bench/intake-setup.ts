/**
 * What the intake benches need around the code they measure: the real composition root over
 * a throwaway database, a submitter with a bearer token, and intents to attach evidence to,
 * made through the services exactly as the HTTP routes make them.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { type Container, createContainer } from '../src/composition-root.js';
import { loadConfig } from '../src/config/config.js';
import { type Context, systemContext } from '../src/platform/context.js';
import { exampleIntent } from '../test/intake-fixtures.js';

export interface IntakeWorld {
  container: Container;
  /** A signed-in submitter, the role that uploads artifacts and evidence. */
  ctx: Context;
  /** The submitter's bearer token, for requests over HTTP. */
  token: string;
  /** A fresh draft intent (for an artifact registered by digest); returns its id. */
  newIntent(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens the container the environment describes (benchEnv(database) plus any CABINET_*
 * overrides), migrating the database, and signs in a submitter.
 */
export async function intakeWorld(env: NodeJS.ProcessEnv): Promise<IntakeWorld> {
  const container = await createContainer(loadConfig(env));
  try {
    const { identity } = container;
    const admin = await identity.bootstrapAdmin(systemContext());
    if (!admin) throw new Error('the bench database already has users');
    const adminCtx: Context = { actorId: admin.user.id, roles: ['admin'], correlationId: null };
    const { user, token } = await container.database.transaction(async (trx) => {
      const created = await identity.createUser(trx, adminCtx, {
        email: 'bench-submitter@example.org',
        display_name: 'Bench submitter',
        roles: ['submitter'],
      });
      const issued = await identity.createToken(trx, adminCtx, {
        user_id: created.id,
        name: 'bench',
        expires_in_days: 1,
      });
      return { user: created, token: issued.token };
    });
    const ctx: Context = { actorId: user.id, roles: ['submitter'], correlationId: null };
    return {
      container,
      ctx,
      token,
      async newIntent() {
        const artifact = randomBytes(4096);
        const { artifact: registered } = await container.database.transaction((trx) =>
          container.artifacts.register(trx, ctx, {
            sha256: createHash('sha256').update(artifact).digest('hex'),
            size_bytes: artifact.length,
            publisher: 'Igor Pavlov',
            filename: '7z2408-x64.exe',
          }),
        );
        const intent = await container.database.transaction((trx) =>
          container.intents.create(trx, ctx, exampleIntent(registered.sha256)),
        );
        return intent.id;
      },
      close: () => container.close(),
    };
  } catch (error) {
    await container.close();
    throw error;
  }
}

/** The real HTTP application listening on 127.0.0.1, on a port of the system's choosing. */
export async function listen(
  container: Container,
): Promise<{ app: FastifyInstance; port: number }> {
  const app = await buildApp(container, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return { app, port: address.port };
}
