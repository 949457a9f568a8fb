import { generateKeyPairSync } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../src/app.js';
import { type Container, createContainer } from '../src/composition-root.js';
import { loadConfig } from '../src/config/config.js';
import type { Role } from '../src/identity/roles.js';
import { FixedClock } from '../src/platform/clock.js';
import { systemContext } from '../src/platform/context.js';
import { signingKeyFromPem } from '../src/platform/crypto/signing-key.js';
import { createTestDatabase, type DbKind, type TestDatabase } from './databases.js';

export interface TestUser {
  id: string;
  email: string;
  token: string;
  roles: Role[];
}

export interface TestApp {
  kind: DbKind;
  app: FastifyInstance;
  container: Container;
  database: TestDatabase;
  clock: FixedClock;
  admin: TestUser;
  /** Creates a user with these roles (through the API) and a token for them. */
  user(roles: Role[], email?: string): Promise<TestUser>;
  /** app.inject with the bearer token of `as` (default: the admin). */
  call(options: InjectOptions & { as?: TestUser | null }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

let counter = 0;

export function testSigningKey() {
  const { privateKey } = generateKeyPairSync('ed25519');
  return signingKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
}

export async function startTestApp(
  kind: DbKind,
  options: { env?: Record<string, string> } = {},
): Promise<TestApp> {
  const database = await createTestDatabase(kind);
  const clock = new FixedClock(new Date());
  const config = loadConfig({
    CABINET_DATA_DIR: database.dataDir,
    CABINET_DATABASE_URL: database.url,
    CABINET_LOG_LEVEL: 'silent',
    ...options.env,
  });
  const container = await createContainer(config, { clock, signingKey: testSigningKey() });
  const app = await buildApp(container, { logger: false });
  await app.ready();
  const boot = await container.identity.bootstrapAdmin(systemContext());
  if (!boot) throw new Error('bootstrap did not create the admin');
  const admin: TestUser = {
    id: boot.user.id,
    email: boot.user.email,
    token: boot.token,
    roles: ['admin'],
  };

  const call: TestApp['call'] = ({ as, headers, ...rest }) => {
    const who = as === undefined ? admin : as;
    return app.inject({
      ...rest,
      headers: { ...(who ? { authorization: `Bearer ${who.token}` } : {}), ...headers },
    });
  };

  return {
    kind,
    app,
    container,
    database,
    clock,
    admin,
    call,
    async user(roles, email) {
      counter += 1;
      const address = email ?? `user${counter}-${roles.join('-') || 'none'}@example.org`;
      const created = await call({
        method: 'POST',
        url: '/api/v1/users',
        payload: { email: address, display_name: `User ${counter}`, roles },
      });
      if (created.statusCode !== 201) throw new Error(`user create: ${created.body}`);
      const id = created.json<{ id: string }>().id;
      const token = await call({
        method: 'POST',
        url: '/api/v1/tokens',
        payload: { user_id: id, name: 'test' },
      });
      if (token.statusCode !== 201) throw new Error(`token create: ${token.body}`);
      return { id, email: address, token: token.json<{ token: string }>().token, roles };
    },
    async close() {
      await app.close();
      await container.close();
      await database.dispose();
    },
  };
}
