import { sql } from 'kysely';
import type { Db } from '../storage/db';

/**
 * Abuse limits, counted in the database so they hold across every process
 * behind a load balancer. A limit of 0 turns that limit off.
 *
 * None of them depends on whether an account exists: they count what the
 * user does (messages, password checks, tickets), never what the directory
 * answered, so a limited answer is no oracle either.
 */
export interface LimitSettings {
  /** tickets one user (channel + user id) may open in 24 hours */
  ticketsPerUserPerDay: number;
  /** previous-password checks per conversation in 24 hours */
  passwordChecksPerConversation: number;
  /** messages per conversation per minute */
  messagesPerMinute: number;
}

export interface LimitVerdict {
  allowed: boolean;
  count: number;
  limit: number;
}

/**
 * A conversation's messages in the current minute. It is kept in the
 * conversation's own stored state, which every turn reads and saves anyway
 * (with compare-and-swap, so concurrent turns in any process count exactly):
 * the limit costs no query of its own.
 */
export interface MessageWindow {
  /** minutes since the epoch */
  minute: number;
  count: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const SWEEP_EVERY = 500;

export class Limits {
  private hits = 0;

  constructor(
    private readonly db: Db,
    readonly settings: LimitSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one message in a conversation whose window so far is `current`
   * (from its stored state): refused past the per-minute limit. The window
   * to store is returned (none when the limit is off).
   */
  countMessage(current: MessageWindow | undefined): LimitVerdict & { window?: MessageWindow } {
    const limit = this.settings.messagesPerMinute;
    if (limit <= 0) return { allowed: true, count: 0, limit };
    const minute = Math.floor(this.now() / MINUTE);
    const count = (current?.minute === minute ? current.count : 0) + 1;
    return { allowed: count <= limit, count, limit, window: { minute, count } };
  }

  /** Counts one previous-password check in the conversation; refused past the limit. */
  passwordCheck(conversationKey: string): Promise<LimitVerdict> {
    return this.hit(`pwd:${conversationKey}`, DAY, this.settings.passwordChecksPerConversation);
  }

  /**
   * Whether this user may open the ticket for `caseKey`, given their tickets
   * (from the ticket store, which every process shares). Re-opening a case
   * that already has its ticket is always allowed: it gives the same ticket.
   */
  ticketAllowed(existing: { caseKey: string; createdAt: string }[], caseKey: string): LimitVerdict {
    const limit = this.settings.ticketsPerUserPerDay;
    const since = this.now() - DAY;
    const count = existing.filter((t) => Date.parse(t.createdAt) >= since).length;
    if (limit <= 0 || existing.some((t) => t.caseKey === caseKey)) return { allowed: true, count, limit };
    return { allowed: count < limit, count, limit };
  }

  /** One atomic increment of a fixed-window counter (an upsert, so concurrent processes count together). */
  async hit(bucket: string, windowMs: number, limit: number): Promise<LimitVerdict> {
    if (limit <= 0) return { allowed: true, count: 0, limit };
    const now = this.now();
    const start = Math.floor(now / windowMs) * windowMs;
    const row = await this.db
      .insertInto('rate_limits')
      .values({ bucket, window_start: new Date(start).toISOString(), count: 1, expires_at: new Date(start + windowMs).toISOString() })
      .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet({ count: sql<number>`rate_limits.count + 1` }))
      .returning('count')
      .executeTakeFirstOrThrow();
    if (++this.hits % SWEEP_EVERY === 0) void this.sweep().catch(() => {});
    const count = Number(row.count);
    return { allowed: count <= limit, count, limit };
  }

  /** Removes finished windows. */
  async sweep(): Promise<number> {
    const res = await this.db.deleteFrom('rate_limits').where('expires_at', '<', new Date(this.now()).toISOString()).executeTakeFirst();
    return Number(res.numDeletedRows);
  }
}
