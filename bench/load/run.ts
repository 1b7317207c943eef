/**
 * npm run bench:load — the cost of a turn, measured against the floor.
 *
 * Reclaim (real process, SQLite by default) and a minimal echo bot on the
 * same restify + botbuilder stack, under the same load from this process:
 *  1. closed loop: N concurrent simulated conversations over HTTP with
 *     deliveryMode expectReplies (a hacked-account case to its ticket, then a new conversation);
 *  2. open loop: a steady R turns/s offered, latency measured from the
 *     scheduled send time (no coordinated omission);
 *  3. memory: RSS idle and after, stored state per conversation, and the same
 *     closed loop again after filling the database with 100,000 conversations;
 *  4. with PostgreSQL (PG_BENCH_URL, default the local server; skipped if none
 *     answers): two Reclaim processes on one schema, round-robin.
 * Everything goes to 127.0.0.1 and is bounded in time. Figures only: nothing asserted.
 *
 * Settings (env): BENCH_CONCURRENCY (200), BENCH_SECONDS (8), BENCH_RATE (200),
 * BENCH_FILL (100000), PG_BENCH_URL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';

const ROOT = path.resolve(__dirname, '../..');
const C = Number(process.env.BENCH_CONCURRENCY ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const FILL = Number(process.env.BENCH_FILL ?? 100_000);
const PG_URL = process.env.PG_BENCH_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLK_TCK = 100;
const PAGE = 4096;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface Proc {
  name: string;
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function start(name: string, args: string[], env: Record<string, string>, port: number): Promise<Proc> {
  const log = fs.openSync(path.join(os.tmpdir(), `reclaim-bench-${name}-${process.pid}.log`), 'w');
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', '--require', 'tsx/cjs', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start-up`);
    if (Date.now() - t0 > 60_000) throw new Error(`${name} not ready after 60 s`);
    const ok = await get(url, '/healthz').then((r) => r.status === 200, () => false);
    if (ok) break;
    await sleep(100);
  }
  return {
    name,
    url,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

function get(url: string, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(new URL(p, url), { agent }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/api/messages', url), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU seconds (user + system) and RSS of a process, from /proc. */
function procStat(pid: number): { cpu: number; rss: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK, rss: Number(f[21]) * PAGE };
}

const SCRIPT = [
  'someone hacked my account',
  '@kite.runner{i}',
  'user{i}@example.com',
  '+44 7911 123456',
  'skip',
  'They changed the email on my account last night.',
  'Yes, open the ticket',
];
let convSeq = 0;
const runId = randomBytes(3).toString('hex');

/** One simulated conversation's next message. */
class Conversation {
  private step = 0;
  private id = '';
  private n = 0;
  constructor() {
    this.next();
  }
  private next() {
    this.n = ++convSeq;
    this.id = `bench-${runId}-${this.n}`;
    this.step = 0;
  }
  body(): string {
    if (this.step >= SCRIPT.length) this.next();
    const text = SCRIPT[this.step++]!.replaceAll('{i}', String(this.n));
    return JSON.stringify({
      type: 'message',
      id: `${this.id}-${this.step}`,
      channelId: 'webchat',
      conversation: { id: this.id },
      from: { id: `u-${this.id}` },
      recipient: { id: 'bot' },
      serviceUrl: 'http://127.0.0.1:9',
      text,
      deliveryMode: 'expectReplies',
      locale: 'en-US',
    });
  }
}

interface Result {
  label: string;
  turns: number;
  errors: number;
  seconds: number;
  latencies: number[];
  cpuPerTurnMs: number;
  offered?: number;
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function closedLoop(label: string, urls: string[], pids: number[], concurrency: number, seconds: number): Promise<Result> {
  const convs = Array.from({ length: concurrency }, () => new Conversation());
  // warm-up
  const warmEnd = Date.now() + 1500;
  await Promise.all(convs.map(async (c, i) => { while (Date.now() < warmEnd) await post(urls[i % urls.length]!, c.body()).catch(() => 0); }));
  const cpu0 = pids.map((p) => procStat(p).cpu);
  const latencies: number[] = [];
  let errors = 0;
  let rr = 0;
  const t0 = performance.now();
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    convs.map(async (c) => {
      while (Date.now() < end) {
        const s = performance.now();
        const status = await post(urls[rr++ % urls.length]!, c.body()).catch(() => 0);
        if (status !== 200) errors++;
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = pids.reduce((sum, p, i) => sum + procStat(p).cpu - cpu0[i]!, 0);
  return { label, turns: latencies.length, errors, seconds: elapsed, latencies, cpuPerTurnMs: (cpu * 1000) / latencies.length };
}

async function openLoop(label: string, urls: string[], pids: number[], rate: number, seconds: number): Promise<Result> {
  const convs = Array.from({ length: Math.max(50, rate) }, () => new Conversation());
  const busy = new Set<Conversation>();
  const cpu0 = pids.map((p) => procStat(p).cpu);
  const latencies: number[] = [];
  let errors = 0;
  const total = rate * seconds;
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    // a conversation sends its next message only after its previous answer (a person waits for the bot)
    const c = convs.find((x) => !busy.has(x)) ?? new Conversation();
    if (!convs.includes(c)) convs.push(c);
    busy.add(c);
    inflight.push(
      post(urls[i % urls.length]!, c.body())
        .then((status) => {
          if (status !== 200) errors++;
        }, () => void errors++)
        .finally(() => {
          latencies.push(performance.now() - due);
          busy.delete(c);
        }),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = pids.reduce((sum, p, i) => sum + procStat(p).cpu - cpu0[i]!, 0);
  return { label, turns: latencies.length, errors, seconds: elapsed, latencies, cpuPerTurnMs: (cpu * 1000) / latencies.length, offered: rate };
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;

function row(r: Result): string {
  return [
    r.label.padEnd(44),
    String(r.turns).padStart(7),
    f1(r.turns / r.seconds).padStart(8),
    f1(pct(r.latencies, 50)).padStart(7),
    f1(pct(r.latencies, 95)).padStart(7),
    f1(pct(r.latencies, 99)).padStart(7),
    f2(r.cpuPerTurnMs).padStart(8),
    String(r.errors).padStart(6),
  ].join(' ');
}
const HEADER = `${'run'.padEnd(44)} ${'turns'.padStart(7)} ${'turns/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU ms/t'.padStart(8)} ${'errors'.padStart(6)}`;

async function pgAvailable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function main() {
  console.log(`bench:load on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; concurrency ${C}, ${SECONDS} s per run, open loop ${RATE} turns/s`);
  console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on this machine skews every figure)\n`);
  const results: Result[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-bench-'));
  const reclaimEnv = (port: number, extra: Record<string, string> = {}) => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    KNOWLEDGE_DIR: path.join(ROOT, 'knowledge'),
    LOG_LEVEL: 'warn',
    // the simulated users type faster than people; the bench measures turns, not the abuse limits
    LIMIT_MESSAGES_PER_MINUTE: '0',
    LIMIT_TICKETS_PER_USER_PER_DAY: '0',
    ...extra,
  });

  const echoPort = await freePort();
  const echo = await start('echo', ['bench/load/echo-bot.ts', String(echoPort)], {}, echoPort);
  const rPort = await freePort();
  const reclaim = await start('reclaim', ['src/index.ts'], reclaimEnv(rPort), rPort);
  await sleep(1000);
  const echoIdle = procStat(echo.child.pid!).rss;
  const reclaimIdle = procStat(reclaim.child.pid!).rss;

  results.push(await closedLoop(`echo bot, closed loop, ${C} conversations`, [echo.url], [echo.child.pid!], C, SECONDS));
  results.push(await closedLoop(`Reclaim SQLite, closed loop, ${C} conversations`, [reclaim.url], [reclaim.child.pid!], C, SECONDS));
  results.push(await openLoop(`echo bot, open loop, ${RATE} turns/s offered`, [echo.url], [echo.child.pid!], RATE, SECONDS));
  results.push(await openLoop(`Reclaim SQLite, open loop, ${RATE} turns/s`, [reclaim.url], [reclaim.child.pid!], RATE, SECONDS));
  const echoAfter = procStat(echo.child.pid!).rss;
  const reclaimAfter = procStat(reclaim.child.pid!).rss;

  // stored state per conversation
  const file = path.join(dataDir, 'reclaim.sqlite');
  const sdb = new Database(file);
  sdb.pragma('busy_timeout = 10000');
  const st = sdb.prepare('select count(*) as n, avg(length(data) + length(key) + length(etag) + length(updated_at)) as avg from conversation_state').get() as { n: number; avg: number };
  const tl = sdb.prepare('select count(distinct conversation_id) as convs, sum(length(text) + length(at) + length(role) + length(conversation_id)) as bytes from transcript_lines').get() as { convs: number; bytes: number };
  const before = await closedLoop(`Reclaim SQLite, 50 conversations, ${st.n} stored`, [reclaim.url], [reclaim.child.pid!], 50, Math.min(SECONDS, 5));
  results.push(before);
  // fill to 100,000 stored conversations, copies of real ones under new keys
  const sample = sdb.prepare('select data, etag, updated_at from conversation_state limit 1').get() as { data: string; etag: string; updated_at: string };
  const ins = sdb.prepare('insert or ignore into conversation_state (key, etag, data, updated_at) values (?, ?, ?, ?)');
  const tFill = performance.now();
  const need = Math.max(0, FILL - st.n);
  for (let done = 0; done < need; ) {
    const batch = Math.min(5000, need - done);
    sdb.transaction(() => {
      for (let i = 0; i < batch; i++) ins.run(`conversation/webchat/fill-${runId}-${done + i}`, sample.etag, sample.data, sample.updated_at);
    })();
    done += batch;
  }
  const filled = (sdb.prepare('select count(*) as n from conversation_state').get() as { n: number }).n;
  const fillS = (performance.now() - tFill) / 1000;
  sdb.close();
  const after = await closedLoop(`Reclaim SQLite, 50 conversations, ${filled} stored`, [reclaim.url], [reclaim.child.pid!], 50, Math.min(SECONDS, 5));
  results.push(after);
  const dbBytes = fs.statSync(file).size;

  await reclaim.stop();
  await echo.stop();

  // PostgreSQL: two processes on one schema
  let pgNote = '';
  let pgRss: number[] = [];
  if (await pgAvailable()) {
    const schema = `reclaim_bench_${process.pid}_${runId}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema "${schema}"`);
    try {
      const ports = [await freePort(), await freePort()];
      const procs = await Promise.all(
        ports.map((p, i) => start(`reclaim-pg-${i}`, ['src/index.ts'], reclaimEnv(p, { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema, DATA_DIR: path.join(dataDir, `pg-${i}`) }), p)),
      );
      const urls = procs.map((p) => p.url);
      const pids = procs.map((p) => p.child.pid!);
      results.push(await closedLoop(`Reclaim PostgreSQL ×2, closed loop, ${C} conv.`, urls, pids, C, SECONDS));
      results.push(await openLoop(`Reclaim PostgreSQL ×2, open loop, ${RATE} turns/s`, urls, pids, RATE, SECONDS));
      pgRss = pids.map((p) => procStat(p).rss);
      const s = await admin.query(`select count(*)::int as n, avg(length(data))::int as avg from "${schema}".conversation_state`);
      pgNote = `PostgreSQL: ${s.rows[0].n} conversations stored, ${s.rows[0].avg} B of state JSON each on average; CPU per turn counts both bot processes, not the PostgreSQL server`;
      await Promise.all(procs.map((p) => p.stop()));
    } finally {
      await admin.query(`drop schema if exists "${schema}" cascade`);
      await admin.end();
    }
  } else {
    pgNote = `PostgreSQL runs skipped: no server answered at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} (set PG_BENCH_URL)`;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });

  console.log(HEADER);
  for (const r of results) console.log(row(r));
  const [echoClosed, reclaimClosed, echoOpen, reclaimOpen] = results;
  const pgClosed = results.find((r) => r.label.startsWith('Reclaim PostgreSQL ×2, closed'));
  const pgOpen = results.find((r) => r.label.startsWith('Reclaim PostgreSQL ×2, open'));
  console.log('\nratios (Reclaim ÷ echo bot; the issue\'s targets in brackets)');
  console.log(`  CPU per turn, closed loop:  ${f2(reclaimClosed!.cpuPerTurnMs / echoClosed!.cpuPerTurnMs)}×  [≤ 1.5×]`);
  console.log(`  p99, ${C} conversations:     ${f2(pct(reclaimClosed!.latencies, 99) / pct(echoClosed!.latencies, 99))}×  [≤ 1.5×]`);
  console.log(`  p99 at ${RATE} turns/s offered: Reclaim ${f1(pct(reclaimOpen!.latencies, 99))} ms, echo ${f1(pct(echoOpen!.latencies, 99))} ms  [< 50 ms]`);
  if (pgClosed) console.log(`  PostgreSQL ×2: CPU per turn ${f2(pgClosed.cpuPerTurnMs / echoClosed!.cpuPerTurnMs)}× echo, p99 ${f2(pct(pgClosed.latencies, 99) / pct(echoClosed!.latencies, 99))}× echo; p99 at ${RATE}/s ${f1(pct(pgOpen!.latencies, 99))} ms`);
  console.log('\nmemory');
  console.log(`  RSS idle: Reclaim ${mb(reclaimIdle)}, echo ${mb(echoIdle)}; after the runs: Reclaim ${mb(reclaimAfter)}, echo ${mb(echoAfter)}  [Reclaim < 200 MB after]`);
  if (pgRss.length) console.log(`  RSS after, PostgreSQL processes: ${pgRss.map(mb).join(', ')}`);
  console.log(`  stored state per conversation: ${f1(st.avg / 1024)} KB (conversation_state row, ${st.n} conversations)  [< 8 KB]; transcript ${f1(tl.bytes / Math.max(1, tl.convs) / 1024)} KB per conversation`);
  console.log(`  ${filled} stored conversations (filled in ${f1(fillS)} s), database file ${mb(dbBytes)}: p50 ${f1(pct(before.latencies, 50))} → ${f1(pct(after.latencies, 50))} ms, CPU per turn ${f2(before.cpuPerTurnMs)} → ${f2(after.cpuPerTurnMs)} ms`);
  console.log(`  ${pgNote}`);
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
