import pg from 'pg';

/**
 * The integration suite runs on SQLite always, and on PostgreSQL whenever
 * CABINET_TEST_DATABASE_URL is set. When it is set, PostgreSQL must answer: a CI run that
 * silently skipped it would claim coverage it never had.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.CABINET_TEST_DATABASE_URL;
  if (!url) {
    console.warn(
      '\n[cabinet] CABINET_TEST_DATABASE_URL is not set: the PostgreSQL suite was SKIPPED; ' +
        'only SQLite ran. Set it (e.g. postgres://root@127.0.0.1:5432/test) to run both.\n',
    );
    return;
  }
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(
      `CABINET_TEST_DATABASE_URL is set but PostgreSQL is unreachable (${(error as Error).message})`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  console.warn('\n[cabinet] running the integration suite on SQLite and PostgreSQL.\n');
}
