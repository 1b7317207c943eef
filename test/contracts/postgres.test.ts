import { openPostgres, type Db } from '../../src/storage/db';
import { SqlStorage } from '../../src/storage/state';
import { SqlDirectory } from '../../src/directory/sql';
import { SqlTicketStore } from '../../src/tickets/sql';
import { DEMO_ACCOUNTS } from '../../src/directory/demo';
import { storageContract } from './storage.contract';
import { directoryContract } from './directory.contract';
import { ticketStoreContract } from './tickets.contract';
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
