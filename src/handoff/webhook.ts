import { createHmac } from 'node:crypto';
import type { Db } from '../storage/db';
import type { Logger } from '../logger';

export interface WebhookOptions {
  url: string;
  secret: string;
  intervalMs?: number;
  batch?: number;
  timeoutMs?: number;
  /** first retry after this, doubling each time, capped at maxBackoffMs */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
}

export const signature = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * Delivers the outbox to the external helpdesk: every ticket event, POSTed as
 * JSON, signed (X-Reclaim-Signature: sha256=HMAC of the raw body) and keyed
 * (Idempotency-Key), retried with back-off until the helpdesk answers 2xx.
 * Rows are locked while in flight, so several processes can share the outbox.
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly o: Required<WebhookOptions>;

  constructor(
    private readonly db: Db,
    options: WebhookOptions,
    private readonly logger: Logger,
  ) {
    this.o = { intervalMs: 1000, batch: 20, timeoutMs: 10_000, baseBackoffMs: 1000, maxBackoffMs: 5 * 60_000, ...options };
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over what is due (also used by tests, instead of waiting for the timer). */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const now = new Date();
    const iso = now.toISOString();
    const due = await this.db
      .selectFrom('outbox')
      .selectAll()
      .where('delivered_at', 'is', null)
      .where('next_attempt_at', '<=', iso)
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', iso)]))
      .orderBy('id')
      .limit(this.o.batch)
      .execute();
    for (const row of due) {
      const lock = await this.db
        .updateTable('outbox')
        .set({ locked_until: new Date(now.getTime() + this.o.timeoutMs * 2).toISOString() })
        .where('id', '=', row.id)
        .where('delivered_at', 'is', null)
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', iso)]))
        .executeTakeFirst();
      if (Number(lock.numUpdatedRows) !== 1) continue; // another process has it
      let error: string | null = null;
      try {
        const res = await fetch(this.o.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-reclaim-signature': signature(this.o.secret, row.payload),
            'idempotency-key': row.idempotency_key,
            'x-reclaim-event': row.type,
          },
          body: row.payload,
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        if (!res.ok) error = `HTTP ${res.status}`;
        await res.arrayBuffer().catch(() => undefined);
      } catch (err) {
        error = (err as Error).message;
      }
      const attempts = row.attempts + 1;
      if (!error) {
        await this.db.updateTable('outbox').set({ delivered_at: new Date().toISOString(), attempts, locked_until: null, last_error: null }).where('id', '=', row.id).execute();
      } else {
        const wait = Math.min(this.o.baseBackoffMs * 2 ** (attempts - 1), this.o.maxBackoffMs);
        await this.db
          .updateTable('outbox')
          .set({ attempts, last_error: error, locked_until: null, next_attempt_at: new Date(Date.now() + wait).toISOString() })
          .where('id', '=', row.id)
          .execute();
        this.logger.warn({ event: row.idempotency_key, ref: row.ref, attempts, retryInMs: wait, reason: error }, 'helpdesk webhook delivery failed; will retry');
      }
    }
  }
}
