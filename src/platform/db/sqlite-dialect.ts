import type BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type PrimitiveValueListNode,
  type QueryResult,
  type RootOperationNode,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  type UnknownRow,
  type ValueNode,
} from 'kysely';

/** How long a transaction keeps trying to begin while SQLite answers busy. */
export const BEGIN_BUSY_RETRY_MS = 10_000;

const BEGIN_IMMEDIATE = CompiledQuery.raw('begin immediate');

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/**
 * Begins with `BEGIN IMMEDIATE`, retrying while SQLite answers busy.
 *
 * IMMEDIATE takes the write lock up front, so two processes sharing one database file (the
 * server and a CLI command) queue on the busy timeout instead of failing when a read
 * transaction tries to upgrade. The busy timeout alone is not enough: SQLite skips the busy
 * handler where it sees a risk of deadlock, and `npm run bench -- cab` saw three approvals
 * answer 500 "database is locked" within 120 ms of each other (under heavy disk load, beside
 * the checkpointer's connection) although the timeout is 10 s. Nothing has run before BEGIN,
 * so trying again is always safe; the waits are timers, so the server serves reads meanwhile.
 */
export async function beginImmediate(
  connection: DatabaseConnection,
  retryForMs = BEGIN_BUSY_RETRY_MS,
): Promise<void> {
  const deadline = performance.now() + retryForMs;
  for (let waitMs = 1; ; waitMs = Math.min(waitMs * 2, 50)) {
    try {
      await connection.executeQuery(BEGIN_IMMEDIATE);
      return;
    } catch (error) {
      if (!isBusy(error) || performance.now() + waitMs > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await beginImmediate(connection);
  }
}

export class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

class BooleanToIntegerTransformer extends OperationNodeTransformer {
  protected override transformValue(node: ValueNode): ValueNode {
    const value = node.value;
    return typeof value === 'boolean' ? { ...node, value: value ? 1 : 0 } : node;
  }

  protected override transformPrimitiveValueList(
    node: PrimitiveValueListNode,
  ): PrimitiveValueListNode {
    return {
      ...node,
      values: node.values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)),
    };
  }
}

/** better-sqlite3 cannot bind JS booleans; store them as 0/1. */
export class SqliteBooleanPlugin implements KyselyPlugin {
  readonly #transformer = new BooleanToIntegerTransformer();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** What kysely's SQLite driver needs of a database handle: prepare and close. */
export interface PreparingDatabase {
  prepare(sql: string): BetterSqlite3.Statement;
  close(): void;
}

/**
 * better-sqlite3 with its statements kept: kysely prepares every query afresh, and parsing
 * and planning the SQL was a seventh of a CAB decision's time (bench/cab.ts profile). Kept
 * statements are reused in least-recently-used order; one still being iterated (a stream) is
 * busy, so a query of the same text prepares a statement of its own. SQLite re-prepares a
 * kept statement itself when the schema changes (a migration).
 */
export function withStatementCache(
  connection: BetterSqlite3.Database,
  size = 500,
): PreparingDatabase {
  const kept = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(sql) {
      const statement = kept.get(sql);
      if (statement && !statement.busy) {
        // Most recently used last: Map keeps insertion order.
        kept.delete(sql);
        kept.set(sql, statement);
        return statement;
      }
      const fresh = connection.prepare(sql);
      if (statement) return fresh;
      kept.set(sql, fresh);
      if (kept.size > size) kept.delete(kept.keys().next().value!);
      return fresh;
    },
    close: () => {
      kept.clear();
      connection.close();
    },
  };
}
