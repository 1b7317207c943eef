import type { Storage } from 'botbuilder';
import { NEW_ITEM_ETAG } from '../../src/storage/state';

/** The Storage contract with optimistic concurrency. Run against every implementation. */
export function storageContract(name: string, make: () => Promise<{ storage: Storage; close(): Promise<void> }>) {
  describe(`Storage contract: ${name}`, () => {
    let storage: Storage;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ storage, close } = await make());
    });
    afterEach(async () => close());

    test('reads back what was written, with an eTag', async () => {
      await storage.write({ a: { n: 1, nested: { x: [1, 2] } } });
      const got = await storage.read(['a', 'missing']);
      expect(got.a).toMatchObject({ n: 1, nested: { x: [1, 2] } });
      expect(typeof got.a.eTag).toBe('string');
      expect(got.missing).toBeUndefined();
    });

    test('a write with the current eTag succeeds and changes the eTag', async () => {
      await storage.write({ a: { n: 1 } });
      const first = (await storage.read(['a'])).a;
      await storage.write({ a: { ...first, n: 2 } });
      const second = (await storage.read(['a'])).a;
      expect(second.n).toBe(2);
      expect(second.eTag).not.toBe(first.eTag);
    });

    test('a stale write is rejected, not silently overwritten', async () => {
      await storage.write({ a: { n: 1 } });
      const read1 = (await storage.read(['a'])).a;
      const read2 = (await storage.read(['a'])).a;
      await storage.write({ a: { ...read1, n: 2 } });
      await expect(storage.write({ a: { ...read2, n: 3 } })).rejects.toThrow(/stale|etag|conflict/i);
      expect((await storage.read(['a'])).a.n).toBe(2);
    });

    test('of two concurrent writers with the same eTag, exactly one wins', async () => {
      await storage.write({ a: { n: 0 } });
      const base = (await storage.read(['a'])).a;
      const results = await Promise.allSettled([1, 2, 3, 4].map((n) => storage.write({ a: { ...base, n } })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    });

    test('"*" and a missing eTag write unconditionally', async () => {
      await storage.write({ a: { n: 1 } });
      await storage.write({ a: { n: 2, eTag: '*' } });
      await storage.write({ a: { n: 3 } });
      expect((await storage.read(['a'])).a.n).toBe(3);
    });

    test('an eTag for an item that no longer exists is stale', async () => {
      await storage.write({ a: { n: 1 } });
      const read = (await storage.read(['a'])).a;
      await storage.delete(['a']);
      await expect(storage.write({ a: { ...read, n: 2 } })).rejects.toThrow();
    });

    test('NEW_ITEM_ETAG creates an item only if none exists: of two creators, one wins', async () => {
      const results = await Promise.allSettled([1, 2, 3].map((n) => storage.write({ fresh: { n, eTag: NEW_ITEM_ETAG } })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      await expect(storage.write({ fresh: { n: 9, eTag: NEW_ITEM_ETAG } })).rejects.toThrow(/stale/i);
    });

    test('delete removes items, and deleting nothing is fine', async () => {
      await storage.write({ a: { n: 1 }, b: { n: 2 } });
      await storage.delete(['a', 'never']);
      await storage.delete([]);
      const got = await storage.read(['a', 'b']);
      expect(Object.keys(got)).toEqual(['b']);
    });
  });
}
