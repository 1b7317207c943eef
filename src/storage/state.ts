import { randomUUID } from 'node:crypto';
import type { Storage, StoreItems } from 'botbuilder';
import type { Db } from './db';
import { nowIso } from './db';

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

/**
 * Conversation state in the database, behind botbuilder's Storage interface,
 * with a real optimistic-concurrency check: an item written with the eTag it
 * was read with only replaces that exact version. `*` or no eTag writes
 * unconditionally (the Storage contract); an eTag for an item that no longer
 * exists is stale too; NEW_ITEM_ETAG creates, and is stale if the item exists.
 */
export class SqlStorage implements Storage {
  constructor(private readonly db: Db) {}

  async read(keys: string[]): Promise<StoreItems> {
    if (keys.length === 0) return {};
    const rows = await this.db.selectFrom('conversation_state').select(['key', 'etag', 'data']).where('key', 'in', keys).execute();
    const items: StoreItems = {};
    for (const r of rows) items[r.key] = { ...JSON.parse(r.data), eTag: r.etag };
    return items;
  }

  async write(changes: StoreItems): Promise<void> {
    const entries = Object.entries(changes);
    if (entries.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const [key, item] of entries) {
        const { eTag, ...rest } = (item ?? {}) as { eTag?: string };
        const data = JSON.stringify(rest);
        const etag = randomUUID();
        const now = nowIso();
        if (eTag === NEW_ITEM_ETAG) {
          const res = await tx
            .insertInto('conversation_state')
            .values({ key, etag, data, updated_at: now })
            .onConflict((oc) => oc.column('key').doNothing())
            .executeTakeFirst();
          if (Number(res.numInsertedOrUpdatedRows ?? 0) !== 1) throw new StaleWriteError(key);
        } else if (eTag && eTag !== '*') {
          const res = await tx
            .updateTable('conversation_state')
            .set({ data, etag, updated_at: now })
            .where('key', '=', key)
            .where('etag', '=', eTag)
            .executeTakeFirst();
          if (Number(res.numUpdatedRows) !== 1) throw new StaleWriteError(key);
        } else {
          await tx
            .insertInto('conversation_state')
            .values({ key, etag, data, updated_at: now })
            .onConflict((oc) => oc.column('key').doUpdateSet({ data, etag, updated_at: now }))
            .execute();
        }
      }
    });
  }

  async delete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.db.deleteFrom('conversation_state').where('key', 'in', keys).execute();
  }
}

/**
 * Changes one stored item outside a user's turn (e.g. a proactive agent
 * message noting something in the conversation's state) through the same
 * compare-and-swap as a turn: read with its eTag, change, write with that
 * eTag, and on a conflict read again and redo the change. So a proactive
 * write and a user turn on the same conversation never overwrite each other,
 * in one process or many. `change` must be a pure function of what it is
 * given (it may run more than once); return undefined to write nothing.
 * Keep the item's existing fields: spread `current` into the result.
 */
export async function updateItem<T extends object>(
  storage: Storage,
  key: string,
  change: (current: T | undefined) => T | undefined,
  attempts = 8,
): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    const current = (await storage.read([key]))[key] as (T & { eTag?: string }) | undefined;
    const { eTag, ...rest } = current ?? ({} as { eTag?: string });
    const next = change(current ? (rest as T) : undefined);
    if (next === undefined) return undefined;
    try {
      await storage.write({ [key]: { ...next, eTag: eTag ?? NEW_ITEM_ETAG } });
      return next;
    } catch (err) {
      if (err instanceof StaleWriteError && attempt < attempts) {
        await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
        continue;
      }
      throw err;
    }
  }
}
