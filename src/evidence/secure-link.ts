import { createHash, randomBytes } from 'node:crypto';
import { run, type Db } from '../storage/db';
import type { StoredConversationRef } from '../tickets';

/** How long a one-time password link works. */
export const LINK_TTL_MS = 10 * 60 * 1000;

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface SecureLinkTarget {
  conversationKey: string;
  username: string | null;
  conversationRef: StoredConversationRef;
}

export type ConsumeResult = { ok: true; target: SecureLinkTarget } | { ok: false; reason: 'unknown' | 'used' | 'expired' };

/**
 * One-time links to the secure password form, for channels that cannot show a
 * masked input. The token is 256 random bits; only its hash is stored; a link
 * works once, for 10 minutes.
 */
export class SecureLinks {
  constructor(
    private readonly db: Db,
    private readonly publicUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  async create(target: SecureLinkTarget): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const created = this.now();
    await run(
      this.db,
      this.db.insertInto('secure_links').values({
        token_hash: hash(token),
        conversation_key: target.conversationKey,
        username: target.username,
        conversation_ref: JSON.stringify(target.conversationRef),
        created_at: new Date(created).toISOString(),
        expires_at: new Date(created + LINK_TTL_MS).toISOString(),
        used_at: null,
      }),
    );
    return `${this.publicUrl.replace(/\/$/, '')}/secure/${token}`;
  }

  /** Whether the link can still be used (for showing the form), without using it. */
  async peek(token: string): Promise<ConsumeResult> {
    const row = await this.db.selectFrom('secure_links').selectAll().where('token_hash', '=', hash(token)).executeTakeFirst();
    if (!row) return { ok: false, reason: 'unknown' };
    if (row.used_at) return { ok: false, reason: 'used' };
    if (Date.parse(row.expires_at) <= this.now()) return { ok: false, reason: 'expired' };
    return { ok: true, target: { conversationKey: row.conversation_key, username: row.username, conversationRef: JSON.parse(row.conversation_ref) } };
  }

  /** Uses the link: succeeds once, atomically, however many submissions race. */
  async consume(token: string): Promise<ConsumeResult> {
    const seen = await this.peek(token);
    if (!seen.ok) return seen;
    const res = await this.db
      .updateTable('secure_links')
      .set({ used_at: new Date(this.now()).toISOString() })
      .where('token_hash', '=', hash(token))
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1 ? seen : { ok: false, reason: 'used' };
  }
}
