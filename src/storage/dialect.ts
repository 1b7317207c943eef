import { PostgresAdapter, type CreateTableBuilder, type Kysely } from 'kysely';

export type DbEngine = 'sqlite' | 'postgres';

/** Which engine a Kysely instance talks to (migrations use it for the few DDL differences). */
export function engineOf(db: Kysely<any>): DbEngine {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * An auto-increment integer primary key on both engines: `integer primary key
 * autoincrement` on SQLite, `serial primary key` on PostgreSQL (Kysely's
 * `autoIncrement()` emits `auto_increment`, which PostgreSQL rejects).
 * Use with `$call`: `db.schema.createTable('x').$call(idColumn(db)).addColumn(…)`.
 */
export function idColumn(db: Kysely<any>, name = 'id') {
  return (t: CreateTableBuilder<any, any>): CreateTableBuilder<any, any> =>
    engineOf(db) === 'postgres'
      ? t.addColumn(name, 'serial', (c) => c.primaryKey())
      : t.addColumn(name, 'integer', (c) => c.primaryKey().autoIncrement());
}
