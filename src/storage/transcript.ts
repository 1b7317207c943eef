import type { Db } from './db';
import type { TranscriptLine } from '../tickets';
import { storableText } from './state';

/**
 * The conversation's transcript, as the ticket shows it. Only ever given
 * redacted text: the engine removes passwords before a line gets here.
 */
export class TranscriptLog {
  constructor(private readonly db: Db) {}

  async append(conversationKey: string, lines: TranscriptLine[]): Promise<void> {
    if (lines.length === 0) return;
    await this.db
      .insertInto('transcript_lines')
      .values(lines.map((l) => ({ conversation_id: conversationKey, at: l.at, role: l.role, text: storableText(l.text) })))
      .execute();
  }

  /** The last `limit` lines, oldest first. */
  async recent(conversationKey: string, limit = 200): Promise<TranscriptLine[]> {
    const rows = await this.db
      .selectFrom('transcript_lines')
      .select(['at', 'role', 'text'])
      .where('conversation_id', '=', conversationKey)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse().map((r) => ({ at: r.at, role: r.role as TranscriptLine['role'], text: r.text }));
  }
}
