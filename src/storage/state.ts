import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type Database from 'better-sqlite3';
import type { Db } from './db';
import { nowIso, postgresPool, sqliteHandle } from './db';
import type pg from 'pg';
import type { TranscriptLine } from '../tickets';

/** A write was made with an eTag that is no longer current: someone else wrote first. */
export class StaleWriteError extends Error {
  readonly code = 'ETAG_CONFLICT';
  constructor(readonly key: string) {
    super(`stale write to "${key}": the stored item has changed since it was read`);
    this.name = 'StaleWriteError';
  }
}

/** Write with this eTag to create an item only if none exists yet (like HTTP `If-None-Match: *`). */
export const NEW_ITEM_ETAG = '<new>';

/** One turn's writes: the conversation's item, saved with compare-and-swap on `eTag`, and the transcript lines the turn added. */
export interface TurnWrite {
  key: string;
  /** the item to store (without its eTag) */
  item: object;
  /** the eTag it was read with, NEW_ITEM_ETAG to create it, or `*` to write unconditionally */
  eTag: string;
  /** already redacted */
  lines: TranscriptLine[];
}

/**
 * What the turn engine needs from storage: read a conversation's item with its
 * eTag, and save a turn atomically (the item and its transcript lines, both or
 * neither), failing with StaleWriteError when the item changed since it was read.
 */
export interface ConversationStore {
  read(keys: string[]): Promise<StoreItems>;
  /** resolves with the item's new eTag (what the next read returns, unless someone writes meanwhile) */
  saveTurn(write: TurnWrite): Promise<string>;
  /**
   * The eTag this instance last saved the item with, when it can tell without
   * asking the database; undefined when it cannot (or never saved it). One who
   * trusts it must still save with that eTag: if someone else wrote meanwhile,
   * the compare-and-swap refuses the save.
   */
  peekETag?(key: string): string | undefined;
}

/** NUL cannot be stored in PostgreSQL text (and means nothing to a reader): dropped on both engines. */
export const storableText = (text: string) => (text.includes('\u0000') ? text.replace(/\u0000/g, '') : text);

interface Pending {
  write: TurnWrite;
  /** with the new eTag */
  resolve: (eTag: string) => void;
  reject: (err: unknown) => void;
}

/**
 * Conversation state in the database, behind botbuilder's Storage interface,
 * with a real optimistic-concurrency check: an item written with the eTag it
 * was read with only replaces that exact version. `*` or no eTag writes
 * unconditionally (the Storage contract); an eTag for an item that no longer
 * exists is stale too; NEW_ITEM_ETAG creates, and is stale if the item exists.
 *
 * A turn reads once and saves once (saveTurn: the item and its transcript
 * lines together). The turns that finish in the same tick of the event loop
 * share the work (up to GROUP_COMMIT_MAX): on SQLite one commit (every
 * statement here is a prepared statement run on the connection directly;
 * Kysely's query building and connection queue cost more than SQLite itself
 * on these), on PostgreSQL one statement for their reads and one for their
 * saves. Each save keeps its own compare-and-swap, and a stale one writes
 * nothing and fails alone.
 */
export class SqlStorage implements Storage, ConversationStore {
  private readonly sqlite?: SqliteStatements;
  private readonly postgres?: PostgresStatements;
  private readonly sqliteSaves = new TickGroups<Pending>((group) => void this.flush(group));

  constructor(private readonly db: Db) {
    const handle = sqliteHandle(db);
    if (handle) this.sqlite = new SqliteStatements(db, handle);
    const pool = postgresPool(db);
    if (pool) this.postgres = new PostgresStatements(pool);
  }

  async read(keys: string[]): Promise<StoreItems> {
    if (keys.length === 0) return {};
    const sqlite = this.sqlite;
    const rows = sqlite
      ? await sqlite.run(() => keys.map((k) => sqlite.get(k)).filter((r) => r !== undefined))
      : await onFreshConnection(() => this.postgres!.read(keys));
    const items: StoreItems = {};
    for (const r of rows) items[r.key] = { ...JSON.parse(r.data), eTag: r.etag };
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    const entries = Object.entries(changes);
    if (entries.length === 0) return;
    const parts = entries.map(([key, item]) => {
      const { eTag, ...rest } = (item ?? {}) as { eTag?: string };
      return { key, item: rest, eTag: eTag ?? '*', lines: [] };
    });
    if (this.sqlite) {
      const sqlite = this.sqlite;
      const stale = await sqlite.run(() => sqlite.transaction(parts).findIndex((eTag) => eTag === undefined));
      if (stale >= 0) throw new StaleWriteError(parts[stale]!.key);
      return;
    }
    await this.postgres!.writeAll(parts);
  }

  /** On SQLite, the eTag this process wrote the row with last (see SqliteStatements.peek); PostgreSQL is shared by several processes, so never. */
  peekETag(key: string): string | undefined {
    return this.sqlite?.peek(key);
  }

  saveTurn(write: TurnWrite): Promise<string> {
    if (!this.sqlite) return this.postgres!.saveTurn(write);
    return new Promise<string>((resolve, reject) => this.sqliteSaves.add({ write, resolve, reject }));
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    this.sqlite?.forget(keys);
    await this.db.deleteFrom('conversation_state').where('key', 'in', keys).execute();
  }

  /** SQLite: the turns saved in this tick, in one transaction. */
  private async flush(batch: Pending[]): Promise<void> {
    const sqlite = this.sqlite!;
    let saved: (string | undefined)[];
    try {
      saved = await sqlite.run(() => sqlite.transaction(batch.map((p) => p.write)));
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const eTag = saved[i];
      if (eTag === undefined) p.reject(new StaleWriteError(p.write.key));
      else p.resolve(eTag);
    });
  }
}

/** turns grouped at most: saved in one SQLite transaction, or read or saved in one PostgreSQL statement */
const GROUP_COMMIT_MAX = 16;

/**
 * What is added in the same tick of the event loop, handed over together:
 * after the tick, or at once when GROUP_COMMIT_MAX are waiting (a bounded
 * group: under load a whole tick of turns waited for the commit of the last
 * one; p99 at 200 conversations 356 -> 292 ms with 16, CPU the same).
 */
class TickGroups<T> {
  private waiting: T[] = [];
  constructor(private readonly flush: (group: T[]) => void) {}

  add(item: T): void {
    const n = this.waiting.push(item);
    if (n === 1) setImmediate(() => this.take());
    else if (n >= GROUP_COMMIT_MAX) this.take();
  }

  some(test: (item: T) => boolean): boolean {
    return this.waiting.some(test);
  }

  private take(): void {
    if (this.waiting.length === 0) return;
    const group = this.waiting;
    this.waiting = [];
    this.flush(group);
  }
}

/** conversations whose last written eTag is kept in memory (SQLite): about 150 B each */
const KEPT_ETAGS = 5000;

/**
 * A connection the server closed (a failover, a restart, terminated backends)
 * is only noticed by the first query on it; the pool then drops it. A read,
 * having no effect, is run again on the next connection (up to the pool's
 * worth of broken ones) instead of failing the user's turn. When the server is
 * really down, the new connections are refused and the error goes up.
 */
async function onFreshConnection<T>(read: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await read();
    } catch (err) {
      if (i >= attempts || !isBrokenConnection(err)) throw err;
    }
  }
}

/** The connection went away under the query (not: the server refused a new one). */
export function isBrokenConnection(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  // 57P01 admin shutdown (pg_terminate_backend), 57P02 crash shutdown, 57P03 cannot connect now; 08xxx connection exceptions
  if (e?.code && /^(57P0[123]|08...)$/.test(e.code)) return true;
  return /Connection terminated|ECONNRESET|EPIPE|socket hang up/i.test(e?.message ?? '');
}

interface Row {
  key: string;
  etag: string;
  data: string;
}

/** The SQLite side: prepared once, run synchronously on Kysely's own connection whenever Kysely has no transaction open on it. */
class SqliteStatements {
  private readonly select: Database.Statement<[string], Row>;
  private readonly create: Database.Statement<[string, string, string, string]>;
  private readonly update: Database.Statement<[string, string, string, string, string]>;
  private readonly upsert: Database.Statement<[string, string, string, string]>;
  private readonly line: Database.Statement<[string, string, string, string]>;
  /** runs a batch of writes as one transaction: the new eTag of each one saved, undefined for each one stale */
  readonly transaction: (writes: TurnWrite[]) => (string | undefined)[];
  /** the eTag of each row this process wrote last, least recently used first */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly handle: Database.Database,
  ) {
    this.select = handle.prepare('select key, etag, data from conversation_state where key = ?');
    this.create = handle.prepare('insert into conversation_state (key, etag, data, updated_at) values (?, ?, ?, ?) on conflict (key) do nothing');
    this.update = handle.prepare('update conversation_state set data = ?, etag = ?, updated_at = ? where key = ? and etag = ?');
    this.upsert = handle.prepare(
      'insert into conversation_state (key, etag, data, updated_at) values (?, ?, ?, ?) on conflict (key) do update set data = excluded.data, etag = excluded.etag, updated_at = excluded.updated_at',
    );
    this.line = handle.prepare('insert into transcript_lines (conversation_id, at, role, text) values (?, ?, ?, ?)');
    const transaction = handle.transaction((writes: TurnWrite[]) => writes.map((w) => this.put(w)));
    this.transaction = (writes) => {
      try {
        return transaction(writes);
      } catch (err) {
        // rolled back: what was kept for these rows may be ahead of the database
        this.forget(writes.map((w) => w.key));
        throw err;
      }
    };
  }

  get(key: string): Row | undefined {
    return this.select.get(key);
  }

  /**
   * The eTag this process last wrote a conversation's row with, if it is kept.
   * SQLite is one process's database, so that is what is stored, unless another
   * process wrote meanwhile: then the save's compare-and-swap fails, the eTag is
   * dropped, and the retried turn reads the row itself.
   */
  peek(key: string): string | undefined {
    const etag = this.written.get(key);
    if (etag !== undefined) {
      // the most recently used last
      this.written.delete(key);
      this.written.set(key, etag);
    }
    return etag;
  }

  forget(keys: string[]): void {
    for (const k of keys) this.written.delete(k);
  }

  /**
   * Runs `fn` on the connection now, unless Kysely has a transaction open on
   * it (a ticket being opened): then after that transaction, through Kysely's
   * connection queue, so our statements never land inside someone else's transaction.
   */
  async run<T>(fn: () => T): Promise<T> {
    if (!this.handle.inTransaction) return fn();
    return this.db.connection().execute(async () => fn());
  }

  /** One item with its compare-and-swap, and its transcript lines if it was saved: its new eTag, or undefined when it is stale. */
  private put(w: TurnWrite): string | undefined {
    const data = JSON.stringify(w.item);
    const etag = randomUUID();
    const now = nowIso();
    const res =
      w.eTag === NEW_ITEM_ETAG
        ? this.create.run(w.key, etag, data, now)
        : w.eTag !== '*'
          ? this.update.run(data, etag, now, w.key, w.eTag)
          : this.upsert.run(w.key, etag, data, now);
    if (res.changes !== 1) {
      this.written.delete(w.key);
      return undefined;
    }
    for (const l of w.lines) this.line.run(w.key, l.at, l.role, storableText(l.text));
    this.written.delete(w.key);
    this.written.set(w.key, etag);
    if (this.written.size > KEPT_ETAGS) this.written.delete(this.written.keys().next().value as string);
    return etag;
  }
}

/** a read waiting for its group's statement */
interface PendingRead {
  keys: string[];
  resolve: (rows: Row[]) => void;
  reject: (err: unknown) => void;
}

/**
 * PostgreSQL: a turn's read and save as named statements (parsed and planned
 * once per connection). Like SQLite's group commit, the reads asked for in
 * the same tick of the event loop go out as one statement, and so do the
 * saves (up to GROUP_COMMIT_MAX): one round trip and one pool checkout for
 * the group instead of one per turn. Each save in a group keeps its own
 * compare-and-swap; a stale one writes nothing and fails alone. If the group's
 * statement fails (a deadlock with another process's group, a value the
 * server refuses), its saves are run again one by one, so a fault stays with
 * the turn that caused it.
 */
class PostgresStatements {
  private readonly reads = new TickGroups<PendingRead>((group) => void this.flushReads(group));
  private readonly saves = new TickGroups<Pending>((group) => void this.flushSaves(group));

  constructor(private readonly pool: pg.Pool) {}

  read(keys: string[]): Promise<Row[]> {
    return new Promise((resolve, reject) => this.reads.add({ keys, resolve, reject }));
  }

  saveTurn(write: TurnWrite): Promise<string> {
    // one row per key in a group's statement: a second save of the same key (a stale one, as a
    // process saves a conversation one turn at a time) goes alone, and the row lock orders the two
    if (this.saves.some((p) => p.write.key === write.key)) return this.saveOne(write);
    return new Promise<string>((resolve, reject) => this.saves.add({ write, resolve, reject }));
  }

  private async flushReads(group: PendingRead[]): Promise<void> {
    try {
      const keys = [...new Set(group.flatMap((g) => g.keys))];
      const res = await this.pool.query<Row>({ name: 'reclaim_state_read', text: 'select key, etag, data from conversation_state where key = any($1::text[])', values: [keys] });
      if (group.length === 1) return group[0]!.resolve(res.rows);
      const byKey = new Map(res.rows.map((r) => [r.key, r]));
      for (const g of group) g.resolve(g.keys.flatMap((k) => byKey.get(k) ?? []));
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }

  private async flushSaves(group: Pending[]): Promise<void> {
    if (group.length === 1) return settle(group[0]!, this.saveOne(group[0]!.write));
    let saved: Map<string, string>;
    try {
      saved = await this.saveGroup(group.map((p) => p.write));
    } catch (err) {
      // the server is gone: every save in the group fails as a single one would
      if (isBrokenConnection(err)) return void group.forEach((p) => p.reject(err));
      group.forEach((p) => void settle(p, this.saveOne(p.write)));
      return;
    }
    for (const p of group) {
      const eTag = saved.get(p.write.key);
      if (eTag === undefined) p.reject(new StaleWriteError(p.write.key));
      else p.resolve(eTag);
    }
  }

  /** The compare-and-swap and the transcript lines in one statement (atomic on its own, one round trip). */
  async saveOne(w: TurnWrite, client: pg.Pool | pg.PoolClient = this.pool): Promise<string> {
    const kind = kindOf(w);
    const etag = randomUUID();
    const values = [
      w.key,
      etag,
      JSON.stringify(w.item),
      nowIso(),
      w.lines.map((l) => l.at),
      w.lines.map((l) => l.role),
      w.lines.map((l) => storableText(l.text)),
      ...(kind === 'update' ? [w.eTag] : []),
    ];
    const res = await client.query<{ n: number }>({ name: `reclaim_state_save_${kind}`, text: SAVE_TURN[kind], values });
    if (res.rows[0]?.n !== 1) throw new StaleWriteError(w.key);
    return etag;
  }

  /** Several turns of different conversations in one statement; the new eTags of those saved, by key (the others were stale). */
  private async saveGroup(writes: TurnWrite[]): Promise<Map<string, string>> {
    // the same order in every process, so two groups lock the rows they share in the same order
    const sorted = [...writes].sort((a, b) => (a.key < b.key ? -1 : 1));
    // as two JSON texts: one native JSON.stringify each, where text[] parameters were escaped element by element in JavaScript
    const conversations = sorted.map((w) => {
      const kind = kindOf(w);
      return { key: w.key, etag: randomUUID(), data: w.item, expected: kind === 'update' ? w.eTag : null, kind };
    });
    const lines = sorted.flatMap((w) => w.lines.map((l) => ({ key: w.key, at: l.at, role: l.role, text: storableText(l.text) })));
    const values = [JSON.stringify(conversations), nowIso(), JSON.stringify(lines)];
    const res = await this.pool.query<{ key: string }>({ name: 'reclaim_state_save_group', text: SAVE_GROUP, values });
    const etags = new Map(conversations.map((c) => [c.key, c.etag]));
    return new Map(res.rows.map((r) => [r.key, etags.get(r.key)!]));
  }

  /** Several items in one transaction (botbuilder's Storage.write): all saved, or none and StaleWriteError. */
  async writeAll(writes: TurnWrite[]): Promise<void> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('begin');
      for (const w of writes) await this.saveOne(w, client);
      await client.query('commit');
    } catch (err) {
      if (isBrokenConnection(err)) broken = err as Error;
      else await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      // a broken connection is dropped from the pool, not handed to the next caller
      client.release(broken);
    }
  }
}

/** $1 key, $2 new etag, $3 data, $4 updated_at, $5-$7 the lines' at, role and text, $8 the eTag read */
const SAVE_STATE = {
  create: 'insert into conversation_state (key, etag, data, updated_at) values ($1, $2, $3, $4) on conflict (key) do nothing returning key',
  update: 'update conversation_state set data = $3, etag = $2, updated_at = $4 where key = $1 and etag = $8 returning key',
  upsert:
    'insert into conversation_state (key, etag, data, updated_at) values ($1, $2, $3, $4) on conflict (key) do update set data = excluded.data, etag = excluded.etag, updated_at = excluded.updated_at returning key',
};
const SAVE_TURN = Object.fromEntries(
  Object.entries(SAVE_STATE).map(([kind, state]) => [
    kind,
    `with s as (${state}),
     t as (
       insert into transcript_lines (conversation_id, at, role, text)
       select s.key, l.at, l.role, l.text
       from s cross join unnest($5::text[], $6::text[], $7::text[]) with ordinality as l(at, role, text, n)
       order by l.n
     )
     select count(*)::int as n from s`,
  ]),
) as Record<keyof typeof SAVE_STATE, string>;

/**
 * $1 the conversations, a JSON array of {key, etag (new), data (the item), expected (the eTag read, updates only), kind};
 * $2 updated_at; $3 the lines, a JSON array of {key, at, role, text}. `data` is typed json, which keeps the
 * item's text exactly as JSON.stringify wrote it, so the row holds the same text a single save writes.
 */
const SAVE_GROUP = `with w as (
    select * from json_to_recordset($1::json) as w(key text, etag text, data json, expected text, kind text)
  ),
  c as (
    insert into conversation_state (key, etag, data, updated_at)
    select key, etag, data::text, $2 from w where kind = 'create'
    on conflict (key) do nothing
    returning key
  ),
  u as (
    update conversation_state s set data = w.data::text, etag = w.etag, updated_at = $2
    from w where w.kind = 'update' and s.key = w.key and s.etag = w.expected
    returning s.key
  ),
  p as (
    insert into conversation_state (key, etag, data, updated_at)
    select key, etag, data::text, $2 from w where kind = 'upsert'
    on conflict (key) do update set data = excluded.data, etag = excluded.etag, updated_at = excluded.updated_at
    returning key
  ),
  s as (select key from c union all select key from u union all select key from p),
  t as (
    insert into transcript_lines (conversation_id, at, role, text)
    select l.key, l.at, l.role, l.text
    from rows from (json_to_recordset($3::json) as (key text, at text, role text, text text)) with ordinality as l(key, at, role, text, n)
    where l.key in (select key from s)
    order by l.n
  )
  select key from s`;

function kindOf(w: TurnWrite): keyof typeof SAVE_STATE {
  return w.eTag === NEW_ITEM_ETAG ? 'create' : w.eTag !== '*' ? 'update' : 'upsert';
}

function settle(p: Pending, saving: Promise<string>): Promise<void> {
  return saving.then(p.resolve, p.reject);
}
