import { openPostgres, postgresPool, type Db } from '../../src/storage/db';
import { randomBytes } from 'node:crypto';
import { NEW_ITEM_ETAG, SqlStorage, StaleWriteError } from '../../src/storage/state';
import { SqlDirectory } from '../../src/directory/sql';
import { SqlTicketStore } from '../../src/tickets/sql';
import { DEMO_ACCOUNTS } from '../../src/directory/demo';
import { storageContract } from './storage.contract';
import { directoryContract } from './directory.contract';
import { sqlTicketOutboxContract, ticketStoreContract } from './tickets.contract';
import { limitsContract } from './limits.contract';
import { conversationStoreContract } from './conversations.contract';
import { databaseContract } from './database.contract';
import { describePg, freshSchema, PG_URL } from '../support/pg';

/**
 * The same contracts as the SQLite run, on PostgreSQL: every store through the
 * same Kysely layer and migrations. Each store instance gets a fresh schema of
 * its own, dropped afterwards. Skipped with a message when no server answers
 * (mandatory in CI).
 */
async function fresh(): Promise<{ db: Db; close(): Promise<void> }> {
  const s = await freshSchema('c');
  const { db } = await openPostgres(PG_URL, { schema: s.schema, poolSize: 4 }).catch(async (e: unknown) => {
    await s.drop(); // never leave a connection open: jest would wait on it for ever
    throw e;
  });
  return {
    db,
    close: async () => {
      await db.destroy();
      await s.drop();
    },
  };
}

describePg('PostgreSQL stores', () => {
  storageContract('PostgreSQL', async () => {
    const { db, close } = await fresh();
    return { storage: new SqlStorage(db), close };
  });

  ticketStoreContract('PostgreSQL', async () => {
    const { db, close } = await fresh();
    return { store: new SqlTicketStore(db), close };
  });

  directoryContract('PostgreSQL demo directory', async () => {
    const { db, close } = await fresh();
    const directory = new SqlDirectory(db);
    expect(await directory.seedDemo()).toBe(DEMO_ACCOUNTS.length);
    expect(await directory.seedDemo()).toBe(0);
    return { directory, account: DEMO_ACCOUNTS[1]!, close };
  });

  limitsContract('PostgreSQL', fresh);
  conversationStoreContract('PostgreSQL', fresh);
  databaseContract('PostgreSQL', fresh, { oneWriter: false });
  sqlTicketOutboxContract('PostgreSQL', fresh);

  test('migrations are idempotent and safe to run from two processes at once', async () => {
    const s = await freshSchema('m');
    try {
      const [a, b] = await Promise.all([openPostgres(PG_URL, { schema: s.schema }), openPostgres(PG_URL, { schema: s.schema })]);
      // Kysely's own tables live in our schema, not wherever another run left theirs
      const own = await s.query('select count(*)::int as n from information_schema.tables where table_schema = $1 and table_name like $2', [s.schema, 'kysely_migration%']);
      expect(own.rows[0].n).toBe(2);
      await a.db.destroy();
      await b.db.destroy();
      const again = await openPostgres(PG_URL, { schema: s.schema });
      const names = await again.db.selectFrom('kysely_migration' as never).select('name' as never).execute();
      expect((names as { name: string }[]).map((r) => r.name)).toEqual(expect.arrayContaining(['0001_initial', '0003_limits']));
      await again.db.destroy();
      const tables = await s.query(`select table_name from information_schema.tables where table_schema = $1`, [s.schema]);
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['conversation_state', 'tickets', 'ticket_events', 'transcript_lines', 'accounts', 'password_history', 'rate_limits']),
      );
    } finally {
      await s.drop();
    }
  });

  test('a save the server refuses fails alone: the other saves of its group are saved', async () => {
    const { db, close } = await fresh();
    try {
      const store = new SqlStorage(db);
      // a key longer than a btree index entry can hold: PostgreSQL refuses the row (SQLite would not)
      const huge = `c/${randomBytes(4000).toString('hex')}`;
      const results = await Promise.allSettled(['c/g1', huge, 'c/g2'].map((key) => store.saveTurn({ key, item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: [{ at: 'now', role: 'user', text: key.slice(0, 8) }] })));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/index row size/);
      expect(Object.keys(await store.read(['c/g1', huge, 'c/g2'])).sort()).toEqual(['c/g1', 'c/g2']);
      const lines = await db.selectFrom('transcript_lines').select('conversation_id').execute();
      expect(lines.map((l) => l.conversation_id).sort()).toEqual(['c/g1', 'c/g2']);
    } finally {
      await close();
    }
  });

  test('two processes saving groups over the same conversations at once: each save is saved or stale, never lost or an error', async () => {
    const s = await freshSchema('g');
    const opened = await Promise.all([openPostgres(PG_URL, { schema: s.schema, poolSize: 4 }), openPostgres(PG_URL, { schema: s.schema, poolSize: 4 })]).catch(async (e: unknown) => {
      await s.drop();
      throw e;
    });
    try {
      const [a, b] = opened.map(({ db }) => new SqlStorage(db));
      const keys = Array.from({ length: 12 }, (_, i) => `c/shared-${i}`);
      await Promise.all(keys.map((key) => a!.saveTurn({ key, item: { n: 0 }, eTag: NEW_ITEM_ETAG, lines: [] })));
      for (let round = 1; round <= 5; round++) {
        const ra = await a!.read(keys);
        const rb = await b!.read(keys);
        // the same rows, in opposite orders, from both processes in the same instant
        const results = await Promise.allSettled([
          ...keys.map((key) => a!.saveTurn({ key, item: { n: round, by: 'a' }, eTag: ra[key].eTag, lines: [{ at: 'now', role: 'bot', text: `a${round}` }] })),
          ...[...keys].reverse().map((key) => b!.saveTurn({ key, item: { n: round, by: 'b' }, eTag: rb[key].eTag, lines: [{ at: 'now', role: 'bot', text: `b${round}` }] })),
        ]);
        for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StaleWriteError);
        // exactly one writer won each conversation, and only the winner's line was written
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(keys.length);
        const now = await a!.read(keys);
        for (const key of keys) expect(now[key].n).toBe(round);
      }
      const lines = await opened[0]!.db.selectFrom('transcript_lines').select(['conversation_id']).execute();
      expect(lines).toHaveLength(keys.length * 5);
    } finally {
      await Promise.all(opened.map(({ db }) => db.destroy()));
      await s.drop();
    }
  });

  test('connections stay open through a quiet spell (the first turns after it do not wait for new ones)', async () => {
    const { db, close } = await fresh();
    try {
      const pool = postgresPool(db)!;
      const pids = async () => (await Promise.all([1, 2].map(() => pool.query<{ pid: number }>('select pg_backend_pid() as pid, pg_sleep(0.05)')))).map((r) => r.rows[0]!.pid).sort();
      const before = await pids();
      // pg-pool closes a connection idle for idleTimeoutMillis; 0 never does (waiting out a real timeout would take the suite 30 s)
      expect(pool.options.idleTimeoutMillis).toBe(0);
      expect(pool.idleCount).toBe(2);
      expect(await pids()).toEqual(before);
    } finally {
      await close();
    }
  });

  test('a broken connection does not crash the process; the next query reconnects', async () => {
    const s = await freshSchema('r');
    const errors: Error[] = [];
    const opened = await openPostgres(PG_URL, { schema: s.schema, poolSize: 2, applicationName: `reclaim-${s.schema}`, onConnectionError: (e) => errors.push(e) }).catch(async (e: unknown) => {
      await s.drop();
      throw e;
    });
    const { db } = opened;
    try {
      await db.selectFrom('conversation_state').select('key').execute();
      await s.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`reclaim-${s.schema}`]);
      await new Promise((r) => setTimeout(r, 200));
      const storage = new SqlStorage(db);
      let ok = false;
      for (let i = 0; i < 3 && !ok; i++) {
        ok = await storage.write({ k: { n: 1 } }).then(() => true, () => false);
      }
      expect(ok).toBe(true);
      expect((await storage.read(['k'])).k).toMatchObject({ n: 1 });
    } finally {
      await db.destroy();
      await s.drop();
    }
  });
});
