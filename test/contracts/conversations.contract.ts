import { engineOf, type Db } from '../../src/storage/db';
import { NEW_ITEM_ETAG, SqlStorage, StaleWriteError } from '../../src/storage/state';
import { TranscriptLog } from '../../src/storage/transcript';
import type { TranscriptLine } from '../../src/tickets';

/**
 * What a turn saves: the conversation's state (compare-and-swap on its eTag)
 * and the transcript lines the turn added, both or neither; on every engine.
 */
export function conversationStoreContract(name: string, make: () => Promise<{ db: Db; close(): Promise<void> }>) {
  describe(`conversation store contract (saveTurn + transcript): ${name}`, () => {
    let db: Db;
    let close: () => Promise<void>;
    let store: SqlStorage;
    let log: TranscriptLog;
    beforeEach(async () => {
      ({ db, close } = await make());
      store = new SqlStorage(db);
      log = new TranscriptLog(db);
    });
    afterEach(async () => close());

    const at = '2026-11-25T10:00:00.000Z';
    const lines = (...texts: string[]): TranscriptLine[] => texts.map((text, i) => ({ at, role: i % 2 ? 'bot' : 'user', text }));
    const texts = async (key: string, limit?: number) => (await log.recent(key, limit)).map((l) => l.text);

    test('a turn creates the state and its lines; the next turn, with the eTag read, replaces the state and adds its lines', async () => {
      await store.saveTurn({ key: 'c/1', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: lines('hi', 'hello there') });
      const first = (await store.read(['c/1']))['c/1'];
      expect(first).toMatchObject({ n: 1 });
      await store.saveTurn({ key: 'c/1', item: { n: 2 }, eTag: first.eTag, lines: lines('i forgot my password', 'You can reset it yourself') });
      const second = (await store.read(['c/1']))['c/1'];
      expect(second.n).toBe(2);
      expect(second.eTag).not.toBe(first.eTag);
      expect(await texts('c/1')).toEqual(['hi', 'hello there', 'i forgot my password', 'You can reset it yourself']);
      expect(await texts('c/1', 1)).toEqual(['You can reset it yourself']);
      expect(await log.recent('c/none')).toEqual([]);
    });

    test('a stale turn fails with StaleWriteError and saves nothing: neither its state nor its lines', async () => {
      await store.saveTurn({ key: 'c/s', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: lines('one') });
      const read = (await store.read(['c/s']))['c/s'];
      await store.saveTurn({ key: 'c/s', item: { n: 2 }, eTag: read.eTag, lines: lines('two') });
      await expect(store.saveTurn({ key: 'c/s', item: { n: 3 }, eTag: read.eTag, lines: lines('three') })).rejects.toBeInstanceOf(StaleWriteError);
      await expect(store.saveTurn({ key: 'c/s', item: { n: 4 }, eTag: NEW_ITEM_ETAG, lines: lines('four') })).rejects.toBeInstanceOf(StaleWriteError);
      expect((await store.read(['c/s']))['c/s'].n).toBe(2);
      expect(await texts('c/s')).toEqual(['one', 'two']);
    });

    test('of concurrent turns saved with the same eTag, exactly one is saved, with its lines only', async () => {
      await store.saveTurn({ key: 'c/r', item: { n: 0 }, eTag: NEW_ITEM_ETAG, lines: [] });
      const base = (await store.read(['c/r']))['c/r'];
      const results = await Promise.allSettled([1, 2, 3, 4].map((n) => store.saveTurn({ key: 'c/r', item: { n }, eTag: base.eTag, lines: lines(`turn ${n}`) })));
      const won = results.findIndex((r) => r.status === 'fulfilled');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof StaleWriteError)).toBe(true);
      expect((await store.read(['c/r']))['c/r'].n).toBe(won + 1);
      expect(await texts('c/r')).toEqual([`turn ${won + 1}`]);
    });

    test('turns of different conversations saved together do not affect each other; a stale one fails alone', async () => {
      await store.saveTurn({ key: 'c/a', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: [] });
      const results = await Promise.allSettled([
        store.saveTurn({ key: 'c/a', item: { n: 2 }, eTag: 'not-the-etag', lines: lines('stale') }),
        store.saveTurn({ key: 'c/b', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: lines('fresh') }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
      expect(await texts('c/a')).toEqual([]);
      expect(await texts('c/b')).toEqual(['fresh']);
    });

    test('many turns saved at once (more than one commit group) are all saved, each with its own lines', async () => {
      const keys = Array.from({ length: 40 }, (_, i) => `c/many-${i}`);
      await Promise.all(keys.map((key, i) => store.saveTurn({ key, item: { n: i }, eTag: NEW_ITEM_ETAG, lines: lines(`hello ${i}`) })));
      const items = await store.read(keys);
      expect(keys.map((k) => items[k]?.n)).toEqual(keys.map((_, i) => i));
      for (const [i, key] of keys.entries()) expect(await texts(key)).toEqual([`hello ${i}`]);
    });

    test('reads asked for together each get their own conversations and none of the others', async () => {
      await Promise.all(['c/ra', 'c/rb', 'c/rc'].map((key, n) => store.saveTurn({ key, item: { n }, eTag: NEW_ITEM_ETAG, lines: [] })));
      const [a, bc, none, all] = await Promise.all([store.read(['c/ra']), store.read(['c/rb', 'c/rc']), store.read(['c/missing']), store.read(['c/rc', 'c/ra', 'c/missing'])]);
      expect(Object.keys(a)).toEqual(['c/ra']);
      expect(a['c/ra'].n).toBe(0);
      expect(Object.keys(bc).sort()).toEqual(['c/rb', 'c/rc']);
      expect([bc['c/rb'].n, bc['c/rc'].n]).toEqual([1, 2]);
      expect(none).toEqual({});
      expect(Object.keys(all).sort()).toEqual(['c/ra', 'c/rc']);
    });

    test('saves of every kind started together (new, with the eTag read, unconditional, stale) each get their own outcome', async () => {
      await store.saveTurn({ key: 'c/k-upd', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: [] });
      await store.saveTurn({ key: 'c/k-old', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: [] });
      await store.saveTurn({ key: 'c/k-any', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: [] });
      const read = await store.read(['c/k-upd']);
      const results = await Promise.allSettled([
        store.saveTurn({ key: 'c/k-new', item: { n: 2 }, eTag: NEW_ITEM_ETAG, lines: lines('new 1', 'new 2') }),
        store.saveTurn({ key: 'c/k-upd', item: { n: 2 }, eTag: read['c/k-upd'].eTag, lines: lines('updated') }),
        store.saveTurn({ key: 'c/k-any', item: { n: 2 }, eTag: '*', lines: lines('unconditional') }),
        store.saveTurn({ key: 'c/k-old', item: { n: 2 }, eTag: 'not-the-etag', lines: lines('stale') }),
        store.saveTurn({ key: 'c/k-upd2', item: { n: 2 }, eTag: 'no-such-item', lines: lines('stale too') }),
        store.saveTurn({ key: 'c/k-any2', item: { n: 2 }, eTag: '*', lines: [] }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(StaleWriteError);
      const items = await store.read(['c/k-new', 'c/k-upd', 'c/k-any', 'c/k-old', 'c/k-upd2', 'c/k-any2']);
      expect(Object.fromEntries(Object.entries(items).map(([k, v]) => [k, v.n]))).toEqual({ 'c/k-new': 2, 'c/k-upd': 2, 'c/k-any': 2, 'c/k-old': 1, 'c/k-any2': 2 });
      expect(await texts('c/k-new')).toEqual(['new 1', 'new 2']);
      expect(await texts('c/k-upd')).toEqual(['updated']);
      expect(await texts('c/k-any')).toEqual(['unconditional']);
      expect(await texts('c/k-old')).toEqual([]);
      expect(await texts('c/k-upd2')).toEqual([]);
    });

    test('a save gives the new eTag: the one the next read returns and the next save is accepted with, alone or saved in a group', async () => {
      const one = await store.saveTurn({ key: 'c/e', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: lines('one') });
      expect((await store.read(['c/e']))['c/e'].eTag).toBe(one);
      const two = await store.saveTurn({ key: 'c/e', item: { n: 2 }, eTag: one, lines: [] });
      expect(two).not.toBe(one);
      const three = await store.saveTurn({ key: 'c/e', item: { n: 3 }, eTag: '*', lines: [] });
      const read = await store.read(['c/e']);
      expect(read['c/e']).toMatchObject({ n: 3, eTag: three });
      // several conversations' saves started together go out as one group: each gets its own eTag
      const keys = Array.from({ length: 20 }, (_, i) => `c/eg${i}`);
      const etags = await Promise.all(keys.map((key) => store.saveTurn({ key, item: { key }, eTag: NEW_ITEM_ETAG, lines: lines(key) })));
      expect(new Set(etags).size).toBe(keys.length);
      const all = await store.read(keys);
      expect(keys.map((k) => all[k].eTag)).toEqual(etags);
      // and the next save with it is accepted
      const next = await Promise.all(keys.map((key, i) => store.saveTurn({ key, item: { key, n: 2 }, eTag: etags[i]!, lines: [] })));
      const again = await store.read(keys);
      expect(keys.map((k) => again[k].eTag)).toEqual(next);
    });

    test('peekETag tells, without asking the database, only what this instance saved last (SQLite), or nothing (PostgreSQL, shared)', async () => {
      const mine = await store.saveTurn({ key: 'c/p', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: [] });
      expect(store.peekETag('c/p')).toBe(engineOf(db) === 'sqlite' ? mine : undefined);
      expect(store.peekETag('c/never-saved')).toBeUndefined();
      // another instance writes: a save with what this one still tells is refused, and then it tells nothing until it reads and saves again
      const other = new SqlStorage(db);
      const theirs = await other.saveTurn({ key: 'c/p', item: { n: 2 }, eTag: mine, lines: [] });
      const told = store.peekETag('c/p');
      if (told !== undefined) await expect(store.saveTurn({ key: 'c/p', item: { n: 3 }, eTag: told, lines: [] })).rejects.toBeInstanceOf(StaleWriteError);
      expect(store.peekETag('c/p')).toBeUndefined();
      expect((await store.read(['c/p']))['c/p']).toMatchObject({ n: 2, eTag: theirs });
      // deleted: nothing to tell
      const again = await store.saveTurn({ key: 'c/p', item: { n: 3 }, eTag: theirs, lines: [] });
      expect(store.peekETag('c/p')).toBe(engineOf(db) === 'sqlite' ? again : undefined);
      await store.delete(['c/p']);
      expect(store.peekETag('c/p')).toBeUndefined();
    });

    test('a write by another instance (another process) is seen: the copy this one kept is not used once it is stale', async () => {
      const other = new SqlStorage(db);
      await store.saveTurn({ key: 'c/o', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: [] });
      const theirs = (await other.read(['c/o']))['c/o'];
      await other.saveTurn({ key: 'c/o', item: { n: 2 }, eTag: theirs.eTag, lines: lines('from the other process') });
      const mine = (await store.read(['c/o']))['c/o'];
      // this instance may still answer from its own copy, but saving on it is refused ...
      if (mine.n === 1) await expect(store.saveTurn({ key: 'c/o', item: { n: 3 }, eTag: mine.eTag, lines: [] })).rejects.toBeInstanceOf(StaleWriteError);
      // ... and then it reads what the other one saved
      expect((await store.read(['c/o']))['c/o'].n).toBe(2);
    });

    test('keeps unicode and long text intact; drops NUL characters (PostgreSQL text cannot hold them)', async () => {
      const text = `héllo 👋 ${'x'.repeat(4000)} 中文 \u0001`;
      await store.saveTurn({ key: 'c/u', item: { n: 1 }, eTag: NEW_ITEM_ETAG, lines: [{ at, role: 'user', text: `${text}\u0000!` }] });
      expect(await log.recent('c/u')).toEqual([{ at, role: 'user', text: `${text}!` }]);
    });

    test('saved together (one group), the state and the lines keep quotes, backslashes, escapes and unicode exactly; NUL is dropped from lines', async () => {
      const tricky = `say "hi" \\ back\\slash \\u0000 {"json": [1]} \n\ttab héllo 👋 中文 ${'y'.repeat(3000)}`;
      const item = (n: number) => ({ n, text: tricky, nested: { list: [tricky, null, true, 1.5], empty: {} } });
      await Promise.all(
        [1, 2, 3].map((n) => store.saveTurn({ key: `c/g${n}`, item: item(n), eTag: NEW_ITEM_ETAG, lines: [{ at, role: 'user', text: `${tricky}\u0000${n}` }] })),
      );
      const read = await store.read(['c/g1', 'c/g2', 'c/g3']);
      for (const n of [1, 2, 3]) {
        const { eTag, ...saved } = read[`c/g${n}`];
        expect(eTag).toEqual(expect.any(String));
        expect(saved).toEqual(item(n));
        expect(await texts(`c/g${n}`)).toEqual([`${tricky}${n}`]);
      }
    });
  });
}
