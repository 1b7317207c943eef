import { sql, type Kysely, type Migration } from 'kysely';

// Migrations are append-only: never edit one that has shipped, add the next.
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
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
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
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('ref', 'text', (c) => c.notNull().references('tickets.ref').onDelete('cascade'))
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('data', 'text', (c) => c.notNull().defaultTo(sql`'{}'`))
        .execute();
      await db.schema.createIndex('ticket_events_ref').on('ticket_events').column('ref').execute();
      await db.schema
        .createTable('transcript_lines')
        .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('transcript_lines_conv').on('transcript_lines').columns(['conversation_id', 'id']).execute();
    },
  },
};
