import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Generated, type Migration, type MigrationProvider } from 'kysely';
import { migrations } from './migrations';

/** The database schema, as Kysely sees it. One DB layer for every store. */
export interface ConversationStateTable {
  key: string;
  etag: string;
  data: string;
  updated_at: string;
}
export interface AccountTable {
  username: string;
  email: string;
  phone: string | null;
  created_at: string;
}
export interface PasswordHistoryTable {
  id: Generated<number>;
  username: string;
  /** `scrypt$N$r$p$salt$hash`, base64 parts */
  hash: string;
  retired_at: string | null;
}
export interface TicketTable {
  ref: string;
  case_key: string;
  category: string;
  priority: string;
  status: string;
  channel_id: string;
  user_id: string;
  conversation_id: string;
  username: string | null;
  email: string | null;
  phone: string | null;
  evidence: string;
  description: string | null;
  transcript: string;
  conversation_ref: string;
  created_at: string;
  updated_at: string;
}
export interface TicketEventTable {
  id: Generated<number>;
  ref: string;
  at: string;
  actor: string;
  type: string;
  data: string;
}
export interface TranscriptTable {
  id: Generated<number>;
  conversation_id: string;
  at: string;
  role: string;
  text: string;
}
export interface Schema {
  conversation_state: ConversationStateTable;
  accounts: AccountTable;
  password_history: PasswordHistoryTable;
  tickets: TicketTable;
  ticket_events: TicketEventTable;
  transcript_lines: TranscriptTable;
}

export type Db = Kysely<Schema>;

class StaticProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations;
  }
}

export async function migrate(db: Db): Promise<void> {
  const { error, results } = await new Migrator({ db, provider: new StaticProvider() }).migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String((error as Error)?.message ?? error)}`);
  }
}

/** Opens (creating if needed) the embedded SQLite database under dataDir and migrates it. */
export async function openSqlite(dataDir: string): Promise<{ db: Db; file: string }> {
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'reclaim.sqlite');
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db);
  return { db, file };
}

export const nowIso = () => new Date().toISOString();
