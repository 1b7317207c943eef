import { sql, type Kysely, type Migration } from 'kysely';
import { idColumn } from './dialect';

// Migrations are append-only: never edit one that has shipped, add the next.
//
// Every migration runs on SQLite (embedded default) and PostgreSQL (DATABASE_URL), so write
// them with Kysely's schema builder and these rules (see docs/operations.md):
// - ids: `.$call(idColumn(db))`, never `.autoIncrement()` (PostgreSQL rejects it)
// - types: 'text' (also for timestamps as ISO-8601 strings and JSON), 'integer', 'real';
//   booleans as integer 0/1; no 'jsonb', 'timestamptz', 'boolean', enums or arrays
// - a NOT NULL column added to an existing table needs a default
// - no alterColumn/dropColumn-with-constraints (SQLite cannot); create a new table and copy instead
// - raw `sql` only for what both engines accept (defaults like sql`'{}'`, `count(*)`)
// - migrations named NNNN_name; order is by name, and out-of-order ones still apply
export const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('conversation_state')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('etag', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('accounts')
        .addColumn('username', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('phone', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('password_history')
        .$call(idColumn(db))
        .addColumn('username', 'text', (c) => c.notNull().references('accounts.username').onDelete('cascade'))
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('retired_at', 'text')
        .execute();
      await db.schema.createIndex('password_history_username').on('password_history').column('username').execute();
      await db.schema
        .createTable('tickets')
        .addColumn('ref', 'text', (c) => c.primaryKey())
        .addColumn('case_key', 'text', (c) => c.notNull().unique())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('priority', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        .addColumn('email', 'text')
        .addColumn('phone', 'text')
        .addColumn('evidence', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('transcript', 'text', (c) => c.notNull())
        .addColumn('conversation_ref', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('tickets_user').on('tickets').columns(['channel_id', 'user_id']).execute();
      await db.schema.createIndex('tickets_queue').on('tickets').columns(['status', 'priority', 'created_at']).execute();
      await db.schema
        .createTable('ticket_events')
        .$call(idColumn(db))
        .addColumn('ref', 'text', (c) => c.notNull().references('tickets.ref').onDelete('cascade'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull().defaultTo(sql`'{}'`))
        .execute();
      await db.schema.createIndex('ticket_events_ref').on('ticket_events').column('ref').execute();
      await db.schema
        .createTable('transcript_lines')
        .$call(idColumn(db))
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('transcript_lines_conv').on('transcript_lines').columns(['conversation_id', 'id']).execute();
    },
  },
  '0002_handoff': {
    async up(db: Kysely<any>) {
      await db.schema.alterTable('tickets').addColumn('assignee', 'text').execute();
      // every ticket event to deliver to an external helpdesk, written with the event
      await db.schema
        .createTable('outbox')
        .$call(idColumn(db))
        .addColumn('idempotency_key', 'text', (c) => c.notNull().unique())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('locked_until', 'text')
        .addColumn('delivered_at', 'text')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('outbox_due').on('outbox').columns(['delivered_at', 'next_attempt_at']).execute();
      // one-time links to a form that takes previous passwords on channels without masked input
      await db.schema
        .createTable('secure_links')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('conversation_key', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        .addColumn('conversation_ref', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('used_at', 'text')
        .execute();
    },
  },
  '0003_limits': {
    async up(db: Kysely<any>) {
      // fixed-window counters for the abuse limits, shared by every process on the database
      await db.schema
        .createTable('rate_limits')
        .addColumn('bucket', 'text', (c) => c.notNull())
        .addColumn('window_start', 'text', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('rate_limits_pk', ['bucket', 'window_start'])
        .execute();
      await db.schema.createIndex('rate_limits_expiry').on('rate_limits').column('expires_at').execute();
    },
  },
};
