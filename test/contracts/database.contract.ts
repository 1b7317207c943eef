import { run, transactionally, type Db } from '../../src/storage/db';

/**
 * The database layer itself, on every engine: `transactionally` is all or
 * nothing, and transactions and plain queries racing on one process neither
 * see into nor wait for ever on each other. (On SQLite there is one
 * connection, shared by a driver of our own: src/storage/db.ts.)
 */
export function databaseContract(
  name: string,
  make: () => Promise<{ db: Db; close(): Promise<void> }>,
  /** one transaction at a time (SQLite): a read-modify-write inside one never loses an update */
  { oneWriter }: { oneWriter: boolean },
) {
  describe(`database layer contract: ${name}`, () => {
    let db: Db;
    let close: () => Promise<void>;
    beforeEach(async () => ({ db, close } = await make()));
    afterEach(async () => close());

    const at = '2026-12-02T10:00:00.000Z';
    const account = (tx: Db, username: string) => tx.insertInto('accounts').values({ username, email: `${username}@example.com`, phone: null, created_at: at });
    const usernames = async () => (await db.selectFrom('accounts').select('username').orderBy('username').execute()).map((r) => r.username);
    const counter = async () => Number((await db.selectFrom('conversation_state').select('data').where('key', '=', 'n').executeTakeFirstOrThrow()).data);
    const tick = () => new Promise((resolve) => setImmediate(resolve));

    test('transactionally: each statement sees the ones before it, and the body returns a value', async () => {
      const seen = await transactionally(db, function* (tx) {
        yield account(tx, 'a1').compile();
        yield account(tx, 'a2').compile();
        const { rows } = yield tx.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).compile();
        return Number(rows[0].n);
      });
      expect(seen).toBe(2);
      expect(await usernames()).toEqual(['a1', 'a2']);
    });

    test('transactionally: a statement that fails rolls back the ones before it, and the error goes up', async () => {
      const failed = await transactionally(db, function* (tx) {
        yield account(tx, 'b1').compile();
        yield account(tx, 'b1').compile(); // the same primary key
      }).catch((e: unknown) => e);
      // by its message: better-sqlite3's native addon is loaded once per jest worker, so its SqliteError
      // can come from another test file's module registry and fail `instanceof Error` here
      expect(String((failed as Error)?.message)).toMatch(/unique|duplicate/i);
      expect(await usernames()).toEqual([]);
    });

    test('run: one statement, its rows', async () => {
      expect(await run(db, account(db, 'r1'))).toEqual([]);
      expect(await run(db, db.selectFrom('accounts').select(['username', 'email']))).toEqual([{ username: 'r1', email: 'r1@example.com' }]);
    });

    test('a query issued while another caller has a transaction open is not part of it', async () => {
      const rolledBack = db.transaction().execute(async (tx) => {
        await account(tx, 'inside').execute();
        await tick();
        await tick();
        throw new Error('give up');
      });
      await tick();
      await Promise.all([account(db, 'outside').execute(), run(db, account(db, 'outside.run'))]);
      await expect(rolledBack).rejects.toThrow('give up');
      expect(await usernames()).toEqual(['outside', 'outside.run']);
    });

    test('racing transactions of both kinds and plain queries all finish, every insert is there', async () => {
      await db.insertInto('conversation_state').values({ key: 'n', etag: '0', data: '0', updated_at: at }).execute();
      const viaKysely = async () =>
        db.transaction().execute(async (tx) => {
          const { data } = await tx.selectFrom('conversation_state').select('data').where('key', '=', 'n').executeTakeFirstOrThrow();
          await tick();
          await tx.updateTable('conversation_state').set({ data: String(Number(data) + 1) }).where('key', '=', 'n').execute();
        });
      const viaSteps = async () =>
        transactionally(db, function* (tx) {
          const { rows } = yield tx.selectFrom('conversation_state').select('data').where('key', '=', 'n').compile();
          yield tx.updateTable('conversation_state').set({ data: String(Number(rows[0].data) + 1) }).where('key', '=', 'n').compile();
        });
      // transactions that all asked for the connection at once, then all of them with queries and the other kind
      await Promise.all(Array.from({ length: 10 }, viaKysely));
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        work.push(i % 2 ? viaKysely() : viaSteps());
        work.push(account(db, `u${String(i).padStart(2, '0')}`).execute());
        work.push(db.selectFrom('accounts').selectAll().execute());
      }
      await Promise.all(work);
      expect(await usernames()).toHaveLength(30);
      // PostgreSQL (read committed) lets concurrent read-modify-writes interleave: the stores use compare-and-swap there
      if (oneWriter) expect(await counter()).toBe(40);
      else expect(await counter()).toBeGreaterThan(0);
    });
  });
}
