import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * PostgreSQL for tests. The server is PG_TEST_URL (default: this machine's
 * trust-auth server). In CI (CI=true) the PostgreSQL tests are mandatory: a
 * missing server fails them. Elsewhere they are skipped, with a printed
 * reason, when no server answers, so `npm test` stays a two-command affair
 * on a laptop without PostgreSQL.
 *
 * Every run gets its own schema (reclaim_t_<pid>_<random>), dropped after.
 */
export const PG_URL = process.env.PG_TEST_URL || 'postgres://postgres@127.0.0.1:5432/test';
export const IN_CI = /^(1|true|yes)$/i.test(process.env.CI ?? '');
const ROOT = path.resolve(__dirname, '../..');

/** Asked once per test file, synchronously (jest's describe cannot wait), in a child process. */
function probe(): { ok: true } | { ok: false; reason: string } {
  const script = `
    const pg = require('pg');
    const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
    c.on('error', () => {});
    c.connect().then(() => c.query('select 1')).then(() => { process.stdout.write('ok'); return c.end(); },
      (e) => { process.stdout.write(String(e && e.message || e)); process.exit(0); });`;
  try {
    const out = execFileSync(process.execPath, ['-e', script, PG_URL], { cwd: ROOT, timeout: 8000, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    return out === 'ok' ? { ok: true } : { ok: false, reason: out || 'no answer' };
  } catch (e) {
    return { ok: false, reason: (e as Error).message.split('\n')[0]! };
  }
}

let probed: ReturnType<typeof probe> | undefined;
export function pgAvailable(): ReturnType<typeof probe> {
  return (probed ??= probe());
}

const safeUrl = () => PG_URL.replace(/:\/\/([^:@/]+):[^@]*@/, '://$1:***@');

/**
 * `describe` for PostgreSQL tests: runs them when the server answers; in CI
 * fails loudly when it does not; elsewhere skips them and says why.
 */
export function describePg(name: string, fn: () => void): void {
  const p = pgAvailable();
  if (p.ok) {
    describe(name, fn);
  } else if (IN_CI) {
    describe(name, () => {
      test('PostgreSQL is required in CI', () => {
        throw new Error(`PostgreSQL tests are mandatory in CI (CI=true) but no server answered at ${safeUrl()}: ${p.reason}`);
      });
    });
  } else {
    // eslint-disable-next-line no-console
    console.warn(
      `SKIPPED: ${name}: no PostgreSQL server answered at ${safeUrl()} (${p.reason}). ` +
        'Start one, or set PG_TEST_URL; in CI (CI=true) these tests are mandatory.',
    );
    // skipped for a stated reason: outside CI, no PostgreSQL server answered (printed just above)
    describe.skip(name, fn);
  }
}

export interface PgSchema {
  url: string;
  schema: string;
  /** DATABASE_URL and DATABASE_SCHEMA for a bot process or loadConfig */
  env: { DATABASE_URL: string; DATABASE_SCHEMA: string };
  query<T extends pg.QueryResultRow = any>(text: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  drop(): Promise<void>;
}

const OURS = /^reclaim_[a-z]+_(\d+)_[0-9a-f]{8}$/;
let swept = false;

/** Drops schemas left by test runs that were killed before their clean-up (their process is gone). */
async function sweepStale(client: pg.Client): Promise<void> {
  if (swept) return;
  swept = true;
  const r = await client.query<{ nspname: string }>("select nspname from pg_namespace where nspname like 'reclaim\\_%'");
  for (const { nspname } of r.rows) {
    const pid = Number(OURS.exec(nspname)?.[1]);
    if (!pid || pid === process.pid) continue;
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (e) {
      alive = (e as NodeJS.ErrnoException).code !== 'ESRCH';
    }
    if (!alive) await client.query(`drop schema if exists "${nspname}" cascade`).catch(() => {});
  }
}

/** A fresh, empty schema of its own (the app creates its tables there on start). */
export async function freshSchema(label = 't'): Promise<PgSchema> {
  const schema = `reclaim_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  await client.connect();
  try {
    await sweepStale(client);
    await client.query(`create schema "${schema}"`);
    await client.query(`set search_path to "${schema}"`);
  } catch (e) {
    await client.end();
    throw e;
  }
  return {
    url: PG_URL,
    schema,
    env: { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema },
    query: (text, params) => client.query(text, params as any[]),
    async drop() {
      try {
        await client.query(`drop schema if exists "${schema}" cascade`);
      } finally {
        await client.end();
      }
    },
  };
}
