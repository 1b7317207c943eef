import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  PostgresDialect,
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type Compilable,
  type DatabaseConnection,
  type Dialect,
  type QueryResult,
  type Driver,
  type Generated,
  type Migration,
  type MigrationProvider,
} from 'kysely';
import pg from 'pg';
import { migrations } from './migrations';
import type { DbEngine } from './dialect';

/** The database schema, as Kysely sees it. One DB layer for every store. */
export interface ConversationStateTable {
  key: string;
  etag: string;
  data: string;
  updated_at: string;
}
export interface AccountTable {
  username: string;
  email: string;
  phone: string | null;
  created_at: string;
}
export interface PasswordHistoryTable {
  id: Generated<number>;
  username: string;
  /** `scrypt$N$r$p$salt$hash`, base64 parts */
  hash: string;
  retired_at: string | null;
}
export interface TicketTable {
  ref: string;
  case_key: string;
  category: string;
  priority: string;
  status: string;
  channel_id: string;
  user_id: string;
  conversation_id: string;
  username: string | null;
  email: string | null;
  phone: string | null;
  evidence: string;
  description: string | null;
  transcript: string;
  conversation_ref: string;
  created_at: string;
  updated_at: string;
  assignee: string | null;
}
export interface OutboxTable {
  id: Generated<number>;
  idempotency_key: string;
  ref: string;
  type: string;
  payload: string;
  attempts: Generated<number>;
  next_attempt_at: string;
  locked_until: string | null;
  delivered_at: string | null;
  last_error: string | null;
  created_at: string;
}
export interface SecureLinkTable {
  token_hash: string;
  conversation_key: string;
  username: string | null;
  conversation_ref: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}
export interface TicketEventTable {
  id: Generated<number>;
  ref: string;
  at: string;
  actor: string;
  type: string;
  data: string;
}
export interface TranscriptTable {
  id: Generated<number>;
  conversation_id: string;
  at: string;
  role: string;
  text: string;
}
/** Fixed-window counters for the abuse limits (src/limits), shared by every process. */
export interface RateLimitTable {
  bucket: string;
  window_start: string;
  count: number;
  expires_at: string;
}
export interface Schema {
  rate_limits: RateLimitTable;
  conversation_state: ConversationStateTable;
  accounts: AccountTable;
  password_history: PasswordHistoryTable;
  tickets: TicketTable;
  ticket_events: TicketEventTable;
  transcript_lines: TranscriptTable;
  outbox: OutboxTable;
  secure_links: SecureLinkTable;
}

export type Db = Kysely<Schema>;

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

export async function migrate(db: Db, opts: { schema?: string } = {}): Promise<void> {
  // allowUnorderedMigrations: migrations written on parallel branches (e.g. 0002_x and 0003_y
  // merged in either order) still apply on a database that already ran the later one.
  // migrationTableSchema (PostgreSQL): Kysely looks for its bookkeeping tables in every schema
  // unless told which one, and would take another schema's for ours.
  const { error, results } = await new Migrator({
    db,
    provider: new StaticProvider(),
    allowUnorderedMigrations: true,
    ...(opts.schema ? { migrationTableSchema: opts.schema } : {}),
  }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`);
  }
}

/**
 * Kysely prepares every query afresh; the same few statements run on every turn, so keep
 * them prepared (better-sqlite3 runs a statement synchronously, so reusing one is safe).
 */
function withStatementCache(sqlite: Database.Database, max = 500) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => {
      cache.clear();
      sqlite.close();
    },
    prepare: (sqlText: string) => {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = sqlite.prepare(sqlText);
        // schema changes (migrations) invalidate nothing here: better-sqlite3 re-prepares internally
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(sqlText, stmt);
      }
      return stmt;
    },
  };
}

/**
 * SQLite runs each statement synchronously, so queries outside a transaction
 * need no lock: they run when their turn comes, and none can land inside
 * another's transaction, because a transaction is exclusive. Kysely's own
 * driver makes every query wait for a mutex instead, held across several
 * turns of the event loop's microtask queue; with a few hundred
 * conversations a turn that needed four queries waited 80-170 ms for them.
 * Here a query waits only while a transaction is open (or about to begin),
 * first come, first served; a transaction waits for the queries already
 * under way. The stores' own transactions run synchronously
 * (`transactionally`), so they never hold the connection across an `await`.
 */
class SharedSqliteDriver implements Driver {
  private readonly connection: DatabaseConnection;
  /** queries under way outside a transaction */
  private shared = 0;
  /** a Kysely transaction holds the connection, or waits for the queries under way to end */
  private exclusive = false;
  /** the transaction has the connection to itself: the next release is its end */
  private holding = false;
  private readonly waiting: (() => void)[] = [];
  private drained?: () => void;

  constructor(private readonly sqlite: StatementSource) {
    this.connection = new SqliteStatementConnection(sqlite);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    while (this.exclusive) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.shared++;
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    this.done(); // this acquire was counted as a query
    while (this.exclusive) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.exclusive = true;
    if (this.shared > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.holding = true;
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    if (this.holding) {
      this.holding = false;
      this.exclusive = false;
      // the first waiter gets in; if it is a transaction, it takes the hold and the rest wait again
      for (const wake of this.waiting.splice(0)) wake();
      return;
    }
    this.done();
  }

  /** a query under way ended: a transaction waiting for the last one can begin */
  private done(): void {
    if (--this.shared > 0 || !this.drained) return;
    const go = this.drained;
    this.drained = undefined;
    go();
  }

  async destroy(): Promise<void> {
    this.sqlite.close();
  }
}

interface StatementSource {
  prepare(sql: string): Database.Statement;
  close(): void;
}

/** Kysely's connection on better-sqlite3 (as Kysely's own, on the statement cache). */
class SqliteStatementConnection implements DatabaseConnection {
  constructor(private readonly sqlite: StatementSource) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    return executeNow<R>(this.sqlite, q);
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not used on SQLite here');
  }
}

/** Runs a compiled query on SQLite, synchronously. */
function executeNow<R>(sqlite: StatementSource, q: CompiledQuery): QueryResult<R> {
  const stmt = sqlite.prepare(q.sql);
  if (stmt.reader) return { rows: stmt.all(q.parameters) as R[] };
  const { changes, lastInsertRowid } = stmt.run(q.parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

/** Kysely's SQLite dialect, on our driver. */
function sharedSqliteDialect(sqlite: StatementSource): Dialect {
  return {
    createDriver: () => new SharedSqliteDriver(sqlite),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createAdapter: () => new SqliteAdapter(),
    createIntrospector: (db) => new SqliteIntrospector(db),
  };
}

/** Opens (creating if needed) the embedded SQLite database under dataDir and migrates it. */
export async function openSqlite(dataDir: string, opts: { cacheMb?: number } = {}): Promise<{ db: Db; file: string }> {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'reclaim.sqlite');
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // SQLite's own page cache (2 MB by default) stops holding the conversations' index past some
  // ten thousand of them, and every turn then reads pages back from the file: 100,000 stored
  // conversations made a turn 35 % dearer with 2 MB. With 8 MB (the setting's default) they make
  // it no dearer; more only holds pages written and never read again. Filled as needed.
  sqlite.pragma(`cache_size = -${(opts.cacheMb ?? 8) * 1024}`);
  const statements = withStatementCache(sqlite);
  const db = new Kysely<Schema>({ dialect: sharedSqliteDialect(statements) });
  sqliteHandles.set(db, { handle: sqlite, statements });
  await migrate(db);
  return { db, file };
}

const sqliteHandles = new WeakMap<Db, { handle: Database.Database; statements: StatementSource }>();

/** The SQLite statements of a Kysely instance from openSqlite, when a statement can run on them now (no Kysely transaction holds the connection). */
function sqliteNow(db: Db): StatementSource | undefined {
  const sqlite = sqliteHandles.get(db);
  return sqlite && !sqlite.handle.inTransaction ? sqlite.statements : undefined;
}

/** A transaction's statements, in order: each `yield` is one query (compiled), and gets its result back. */
export type TransactionSteps<T = void> = Generator<CompiledQuery, T, QueryResult<any>>;
export type TransactionBody<T> = (tx: Db) => TransactionSteps<T>;

/**
 * Runs a transaction written once for both engines. On SQLite it runs
 * synchronously, in one better-sqlite3 transaction: it holds the connection
 * for no `await`, so no query waits for it and none can land inside it. On
 * PostgreSQL (or on SQLite while a Kysely transaction holds the connection)
 * it is a Kysely transaction. A statement that fails rolls it all back and
 * the error goes up.
 */
export async function transactionally<T>(db: Db, body: TransactionBody<T>): Promise<T> {
  const statements = sqliteNow(db);
  if (statements) {
    return sqliteHandles.get(db)!.handle.transaction(() => {
      const steps = body(db);
      for (let step = steps.next(); ; step = steps.next(executeNow(statements, step.value))) if (step.done) return step.value;
    })();
  }
  return db.transaction().execute(async (tx) => {
    const steps = body(tx);
    for (let step = steps.next(); ; step = steps.next(await tx.executeQuery(step.value))) if (step.done) return step.value;
  });
}

/**
 * Runs one statement and gives its rows. On SQLite it runs at once (one
 * `await`, where Kysely's `execute` takes a dozen: under load each of those
 * waits behind every other turn's work, and a turn of four such queries took
 * 40 ms longer than one with none); elsewhere, and while a Kysely
 * transaction holds the SQLite connection, through Kysely.
 */
export async function run<R>(db: Db, query: Compilable<R>): Promise<R[]> {
  const statements = sqliteNow(db);
  if (statements) return executeNow<R>(statements, query.compile()).rows;
  return (await db.executeQuery(query.compile())).rows;
}

const postgresPools = new WeakMap<Db, pg.Pool>();

/**
 * The pg pool under a Kysely instance from openPostgres: a turn's read and save
 * run on it as named (prepared) statements, planned once per connection
 * (src/storage/state.ts). Same connections, same search_path and timeouts.
 */
export function postgresPool(db: Db): pg.Pool | undefined {
  return postgresPools.get(db);
}

/**
 * The better-sqlite3 connection under a Kysely instance from openSqlite, for
 * the few statements on every turn's path (src/storage/state.ts), which run
 * as prepared statements instead of through Kysely's query builder and its
 * asynchronous connection queue. It is Kysely's own single connection: run
 * nothing on it while Kysely has a transaction open on it (check
 * `inTransaction`, or go through `db.connection()`).
 */
export function sqliteHandle(db: Db): Database.Database | undefined {
  return sqliteHandles.get(db)?.handle;
}

export { engineOf, type DbEngine } from './dialect';

export interface PostgresOptions {
  /** a schema to use (created if missing) instead of the user's default search_path */
  schema?: string;
  /** connections per process */
  poolSize?: number;
  /** give up connecting after this long, so a turn fails with a clear message instead of hanging */
  connectTimeoutMs?: number;
  /** statement timeout, so no turn waits for ever on a lock or a stalled server */
  statementTimeoutMs?: number;
  /** shows in pg_stat_activity */
  applicationName?: string;
  /** told about connection errors that happen outside a query (server restart, terminated backend) */
  onConnectionError?: (err: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens a PostgreSQL database through a connection pool and migrates it. */
export async function openPostgres(url: string, o: PostgresOptions = {}): Promise<{ db: Db; describe: string }> {
  if (o.schema !== undefined && !SCHEMA_NAME.test(o.schema)) throw new Error(`invalid PostgreSQL schema name "${o.schema}"`);
  const options = [
    o.schema ? `-c search_path=${o.schema}` : '',
    `-c statement_timeout=${o.statementTimeoutMs ?? 15_000}`,
  ].filter(Boolean).join(' ');
  const connectionTimeoutMillis = o.connectTimeoutMs ?? 5_000;
  // One process migrates at a time: several starting together on an empty database would race on
  // Kysely's own bookkeeping tables. A session advisory lock, per schema, held on a connection of its own.
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis, application_name: o.applicationName ?? 'reclaim' });
  admin.on('error', () => {});
  await admin.connect();
  let migrationSchema = 'public';
  const release = async () => {
    await admin.query('select pg_advisory_unlock_all()').catch(() => {});
    await admin.end().catch(() => {});
  };
  try {
    await admin.query('select pg_advisory_lock(hashtext($1))', [`reclaim-migrate:${o.schema ?? ''}`]);
    if (o.schema) await admin.query(`create schema if not exists "${o.schema}"`);
    const r = await admin.query<{ s: string | null }>(o.schema ? `select '${o.schema}'::text as s` : 'select current_schema() as s');
    migrationSchema = r.rows[0]?.s ?? 'public';
  } catch (e) {
    await release();
    throw e;
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: o.poolSize ?? 10,
    connectionTimeoutMillis,
    // a connection once opened stays open (0: idle ones are never closed). Closed after 30 s idle, the first turns after a
    // quiet spell each waited for a new connection and a fresh backend's cold caches: a pair at a steady 200 turns/s
    // after 65 s without traffic (as bench:load's open loop finds it), p99 223 ms, its first second all over 300 ms; kept, 31 ms
    idleTimeoutMillis: 0,
    application_name: o.applicationName ?? 'reclaim',
    options,
  });
  const report = (err: Error) => o.onConnectionError?.(err);
  // an idle or checked-out connection that breaks must never crash the process: the next query gets a fresh one
  pool.on('error', report);
  pool.on('connect', (client) => client.on('error', report));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  postgresPools.set(db, pool);
  try {
    await migrate(db, { schema: migrationSchema });
  } catch (e) {
    await db.destroy();
    throw e;
  } finally {
    await release();
  }
  return { db, describe: describeUrl(url, o.schema) };
}

/** The database URL without its password, for logs and health output. */
export function describeUrl(url: string, schema?: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return `${u.protocol}//${u.username ? `${u.username}${u.password ? ':***' : ''}@` : ''}${u.host}${u.pathname}${schema ? ` (schema ${schema})` : ''}`;
  } catch {
    return 'postgres (unparseable URL)';
  }
}

export interface OpenedDatabase {
  db: Db;
  engine: DbEngine;
  /** the SQLite file, when embedded */
  file?: string;
  /** where the data lives, safe to log (no password) */
  describe: string;
}

/** PostgreSQL when a URL is given, otherwise the embedded SQLite database under dataDir. */
export async function openDatabase(o: { dataDir: string; databaseUrl?: string; sqliteCacheMb?: number } & PostgresOptions): Promise<OpenedDatabase> {
  if (o.databaseUrl) {
    const { db, describe } = await openPostgres(o.databaseUrl, o);
    return { db, engine: 'postgres', describe };
  }
  const { db, file } = await openSqlite(o.dataDir, { cacheMb: o.sqliteCacheMb });
  return { db, engine: 'sqlite', file, describe: file };
}

export const nowIso = () => new Date().toISOString();
