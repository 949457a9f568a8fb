/**
 * Throwaway databases for benches, made the way test/databases.ts makes them (a temp data
 * dir for SQLite, a fresh database for PostgreSQL) and always removed afterwards, so a
 * bench never touches a developer's data or leaves gigabytes behind in /tmp.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  type Container,
  type ContainerOverrides,
  createContainer,
} from '../src/composition-root.js';
import { loadConfig } from '../src/config/config.js';

export interface BenchDatabase {
  url: string;
  dataDir: string;
  /** A fresh Ed25519 key written here, so a child process can load the same key. */
  signingKeyFile: string;
  dispose(): Promise<void>;
}

/** The environment a container (or the CLI) reads to open this database. */
export function benchEnv(database: BenchDatabase): Record<string, string> {
  return {
    CABINET_DATA_DIR: database.dataDir,
    CABINET_DATABASE_URL: database.url,
    CABINET_SIGNING_KEY_FILE: database.signingKeyFile,
    CABINET_LOG_LEVEL: 'silent',
  };
}

/** The real composition root over a bench database: the code path the server runs. */
export function benchContainer(
  database: BenchDatabase,
  overrides: ContainerOverrides = {},
): Promise<Container> {
  return createContainer(loadConfig(benchEnv(database)), overrides);
}

function tempDataDir(): { dataDir: string; signingKeyFile: string } {
  const dataDir = mkdtempSync(join(tmpdir(), 'cabinet-bench-'));
  const signingKeyFile = join(dataDir, 'signing-key.pem');
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(signingKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
    mode: 0o600,
  });
  return { dataDir, signingKeyFile };
}

export function tempSqlite(): BenchDatabase {
  const { dataDir, signingKeyFile } = tempDataDir();
  return {
    url: `sqlite:${join(dataDir, 'cabinet.db')}`,
    dataDir,
    signingKeyFile,
    dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** The server every developer machine and CI job in this project has (see test/global-setup). */
export const DEFAULT_POSTGRES_URL = 'postgres://root@127.0.0.1:5432/test';

export type PostgresChoice = { url: string; source: string } | { skip: string };

/**
 * CABINET_BENCH_DATABASE_URL, else CABINET_TEST_DATABASE_URL, else the default server if it
 * answers. A URL given explicitly must work (throws otherwise: a bench that silently skipped
 * it would report figures it never measured); the default is only a convenience.
 */
export async function choosePostgres(
  env: NodeJS.ProcessEnv = process.env,
): Promise<PostgresChoice> {
  for (const variable of ['CABINET_BENCH_DATABASE_URL', 'CABINET_TEST_DATABASE_URL']) {
    const url = env[variable];
    if (url) {
      try {
        await withAdmin(url, (client) => client.query('select 1'));
      } catch (error) {
        throw new Error(
          `${variable} is set but PostgreSQL is unreachable: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      return { url, source: variable };
    }
  }
  try {
    await withAdmin(DEFAULT_POSTGRES_URL, (client) => client.query('select 1'));
    return { url: DEFAULT_POSTGRES_URL, source: `default ${DEFAULT_POSTGRES_URL}` };
  } catch (error) {
    return {
      skip: `no PostgreSQL URL; ${DEFAULT_POSTGRES_URL} unreachable: ${(error as Error).message}`,
    };
  }
}

/** A fresh database on the server at `adminUrl`, dropped (forcibly) by dispose(). */
export async function throwawayPostgres(adminUrl: string): Promise<BenchDatabase> {
  const name = `cabinet_bench_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const { dataDir, signingKeyFile } = tempDataDir();
  return {
    url: url.toString(),
    dataDir,
    signingKeyFile,
    dispose: async () => {
      await withAdmin(adminUrl, (client) =>
        client.query(`drop database if exists ${name} with (force)`),
      );
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  // A refused connection must surface as a rejected promise, not an unhandled 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
