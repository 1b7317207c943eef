import { run, type Db } from './db';
import type { TranscriptLine } from '../tickets';

/**
 * The conversation's transcript, as the ticket shows it. The lines are saved
 * with each turn's state (SqlStorage.saveTurn), already redacted: the engine
 * removes passwords before a line is kept.
 */
export class TranscriptLog {
  constructor(private readonly db: Db) {}

  /** The last `limit` lines, oldest first. */
  async recent(conversationKey: string, limit = 200): Promise<TranscriptLine[]> {
    const rows = await run(
      this.db,
      this.db.selectFrom('transcript_lines').select(['at', 'role', 'text']).where('conversation_id', '=', conversationKey).orderBy('id', 'desc').limit(limit),
    );
    return rows.reverse().map((r) => ({ at: r.at, role: r.role as TranscriptLine['role'], text: r.text }));
  }
}
