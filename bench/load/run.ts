/**
 * npm run bench:load — the cost of a turn, measured against the floor.
 *
 * Every server runs compiled JavaScript (no transpiler), Reclaim with the node
 * options of `npm start` (package.json), the echo bots with none, all
 * on 127.0.0.1, loaded from this process:
 *
 *  1. Closed loop, interleaved: 200 concurrent simulated conversations per
 *     server (a hacked-account case to its ticket, then a new conversation,
 *     over /api/messages with deliveryMode expectReplies). The servers take
 *     turns in short slices (1.5 s), round after round, so the machine's drift
 *     (other tenants, CPU frequency) falls on all of them alike; CPU per turn
 *     is each server's own CPU time (from /proc) from the start of each counted
 *     slice (after its connections are opened again) to the start of its next
 *     (3 s after the last round for the last), divided by its turns: what a turn
 *     leaves to do after its reply, done while the others' slices run, counts.
 *       - the echo bot: stock restify + botbuilder (bench/load/echo-bot.ts), the floor;
 *       - the echo bot on Reclaim's HTTP entry (cached Bot Framework clients,
 *         processActivity without CloudAdapter.process's zod checks): the floor
 *         of Reclaim's own stack, so what the bot itself costs can be read too;
 *       - the same echo bot also reading and saving its conversation's state
 *         each turn through Reclaim's conversation store (bench/load/echo-bot.ts
 *         `store`): the floor of any bot that keeps its state in the database;
 *       - Reclaim on SQLite (one process);
 *       - two stock echo bots, requests alternating between them: the floor of
 *         the PostgreSQL pair's set-up (two processes, and the load
 *         balancing), run only when the pair runs;
 *       - two of those store floors on PostgreSQL, requests alternating: the
 *         pair's floor with its database round trips;
 *       - Reclaim on PostgreSQL, two processes on one schema, requests
 *         alternating between them (skipped when no server answers); the
 *         PostgreSQL server's own CPU over its slices is reported beside it
 *         (it runs on the same cores).
 *  2. Open loop: a steady 200 turns/s offered to each, in turn; latency from the
 *     scheduled send time (no coordinated omission).
 *  3. Memory: RSS idle (before any load), right after the runs, after 60 s
 *     quiet (V8's memory reducer gives pages back; when it fell under 200 MB), and the peak
 *     (VmHWM); stored state per conversation.
 *  4. 100,000 stored conversations: a second SQLite Reclaim whose database holds
 *     100,000 conversations, interleaved with the first (a few thousand stored; restarted, so both are fresh processes)
 *     at 50 concurrent conversations.
 *
 * Figures only: nothing is asserted (tests never time anything).
 * Settings (env): BENCH_CONCURRENCY (200), BENCH_ROUNDS (8), BENCH_SLICE_MS (1500), BENCH_WARMUP_TURNS (10000 per process),
 * BENCH_SECONDS (30, open loop), BENCH_RATE (200), BENCH_FILL (100000),
 * BENCH_QUIET_SECONDS (60), PG_BENCH_URL (postgres://postgres@127.0.0.1:5432/test), BENCH_JSON (write the figures there).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { buildSync } from 'esbuild';
import pg from 'pg';
import { SCRIPT } from '../script';

const ROOT = path.resolve(__dirname, '../..');
const C = Number(process.env.BENCH_CONCURRENCY ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const WARMUP = Number(process.env.BENCH_WARMUP_TURNS ?? 10_000);
const SLICE_MS = Number(process.env.BENCH_SLICE_MS ?? 1500);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const RATE = Number(process.env.BENCH_RATE ?? 200);
const FILL = Number(process.env.BENCH_FILL ?? 100_000);
const QUIET_S = Number(process.env.BENCH_QUIET_SECONDS ?? 60);
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
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The node options `npm start` gives Reclaim (package.json's start script), so that it runs here as it runs there. */
const START_FLAGS: string[] = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start as string).split(/\s+/).filter((a) => a.startsWith('--'));

/** Starts `node <script>` (compiled JavaScript) and waits for /healthz. */
async function start(name: string, script: string, args: string[], env: Record<string, string>, port: number, flags = ['--disable-warning=DEP0111']): Promise<Proc> {
  const log = fs.openSync(path.join(os.tmpdir(), `reclaim-bench-${name}-${process.pid}.log`), 'w');
  const child = spawn(process.execPath, [...flags, script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', log, log],
  });
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited during start-up (see ${os.tmpdir()}/reclaim-bench-${name}-${process.pid}.log)`);
    if (Date.now() - t0 > 60_000) throw new Error(`${name} not ready after 60 s`);
    if (await get(url, '/healthz').then((r) => r === 200, () => false)) break;
    await sleep(100);
  }
  return {
    name,
    url,
    pid: child.pid!,
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

const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });

function get(url: string, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(new URL(p, url), { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** A counter's value on a Reclaim process's /metrics (summed over its labels). */
async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(new URL('/metrics', url))).text();
  return text.split('\n').filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

function postOnce(url: string, body: string, via: http.Agent = agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/api/messages', url), { method: 'POST', agent: via, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const noKeepAlive = new http.Agent({ keepAlive: false });

/**
 * A kept-alive socket the server closed while its target waited for its slice is retried once on a
 * new connection (not another kept-alive one, which may be just as stale).
 */
async function post(url: string, body: string): Promise<number> {
  try {
    return await postOnce(url, body);
  } catch {
    return postOnce(url, body, noKeepAlive).catch(() => 0);
  }
}

/** CPU seconds (user + system) of a process, from /proc. */
function cpuOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}
/** CPU seconds of every PostgreSQL server process on this machine (postmaster, backends, background workers), by pid. */
function postgresCpu(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'postgres') cpu.set(Number(d), cpuOf(Number(d)));
    } catch {
      // the process ended meanwhile
    }
  }
  return cpu;
}
/** What the PostgreSQL server spent between two postgresCpu() readings (a process that started meanwhile counts from 0). */
const postgresSpent = (before: Map<number, number>, after: Map<number, number>) => [...after].reduce((sum, [pid, c]) => sum + c - (before.get(pid) ?? 0), 0);
/** The machine's CPU time so far, in jiffies: all of it, and the part the hypervisor gave to other guests (steal). */
function machineCpu(): { total: number; steal: number } {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: f.reduce((a, b) => a + b, 0), steal: f[7] ?? 0 };
}
const stolen = (a: { total: number; steal: number }, b: { total: number; steal: number }) => (100 * (b.steal - a.steal)) / Math.max(1, b.total - a.total);
function memOf(pid: number): { rss: number; peak: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

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
  /** the script step the next body() sends */
  get nextStep(): number {
    return this.step >= SCRIPT.length ? 0 : this.step;
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

/** What is loaded: one server, or several taking requests in turn (the PostgreSQL pair). */
interface Target {
  label: string;
  procs: Proc[];
  convs: Conversation[];
  turns: number;
  errors: number;
  cpu: number;
  /** on PostgreSQL: the server's CPU seconds during the slices (it shares the cores) */
  dbCpu?: number;
  seconds: number;
  latencies: number[];
  /** the latencies by script step */
  bySteps: number[][];
  /** CPU readings where the span being counted started */
  mark?: { cpu: number; db: Map<number, number> | undefined };
}
const target = (label: string, procs: Proc[], concurrency: number, { postgres = false } = {}): Target => ({
  label,
  procs,
  ...(postgres ? { dbCpu: 0 } : {}),
  convs: Array.from({ length: concurrency }, () => new Conversation()),
  turns: 0,
  errors: 0,
  cpu: 0,
  seconds: 0,
  latencies: [],
  bySteps: SCRIPT.map(() => []),
});

/**
 * One closed-loop slice on a target: every conversation sends its next message as soon as it has the answer.
 * First its connections are opened again (a server closes kept-alive connections idle for 5 s, as the
 * others' slices last), so the slice measures turns, not reconnecting: one per conversation to every
 * process of the target, as a load balancer keeps them, since a pair's turns go to either process.
 * (With only one each, a pair's slice opened a hundred connections at once in its first moments, and
 * those turns took about a second: the whole of the pair's p99, the echo bots' as much as Reclaim's.)
 * Returns the turns served.
 */
async function slice(t: Target, ms: number, record: boolean): Promise<number> {
  settle(t);
  await Promise.all(t.procs.flatMap((p) => t.convs.map(() => get(p.url, '/healthz').catch(() => get(p.url, '/healthz')))));
  if (record) mark(t);
  let rr = 0;
  const lat: number[] = [];
  const steps: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = Date.now() + ms;
  await Promise.all(
    t.convs.map(async (c) => {
      while (Date.now() < end) {
        const s = performance.now();
        const step = c.nextStep;
        const status = await post(t.procs[rr++ % t.procs.length]!.url, c.body());
        if (status !== 200) errors++;
        lat.push(performance.now() - s);
        steps.push(step);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await sleep(150); // the slice's last saves finish on the server side
  if (!record) return lat.length;
  // the database server's span ends here, not at the target's next slice: other targets on the same server run in between
  const span = t.mark!; // set by mark() above, since this slice is counted
  if (span.db) {
    t.dbCpu! += postgresSpent(span.db, postgresCpu());
    span.db = undefined;
  }
  t.turns += lat.length;
  t.errors += errors;
  t.seconds += seconds;
  t.latencies.push(...lat);
  lat.forEach((l, i) => t.bySteps[steps[i]!]!.push(l));
  return lat.length;
}

const cpuOfAll = (t: Target) => t.procs.reduce((sum, p) => sum + cpuOf(p.pid), 0);
/** Where a counted span of a target's CPU starts: its slice's turns (after the reconnecting, whose /healthz is not a turn). */
function mark(t: Target): void {
  t.mark = { cpu: cpuOfAll(t), db: t.dbCpu !== undefined ? postgresCpu() : undefined };
}
/**
 * Where it ends: the next slice's reconnecting, or the end of the run (so the work a turn leaves after its reply, done while
 * the others' slices run, counts too). The database server's span ended with the slice (see slice()).
 */
function settle(t: Target): void {
  if (!t.mark) return;
  t.cpu += cpuOfAll(t) - t.mark.cpu;
  t.mark = undefined;
}

/**
 * Round after round, each target in turn. First, rounds that are not counted, until every process
 * has served WARMUP turns: a process's CPU per turn keeps falling for several thousand turns (the
 * JIT, and on PostgreSQL the server's plans), and each of a pair's processes gets half the turns.
 */
async function interleaved(targets: Target[], rounds: number): Promise<void> {
  const served = new Map(targets.map((t) => [t, 0]));
  const cold = (t: Target) => served.get(t)! / t.procs.length < WARMUP;
  for (let r = 0; r < 2 || (r < 40 && targets.some(cold)); r++) {
    for (const t of targets) if (r < 2 || cold(t)) served.set(t, served.get(t)! + (await slice(t, SLICE_MS, false)));
  }
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 ? [...targets].reverse() : targets) await slice(t, SLICE_MS, true);
  }
  await sleep(3000);
  targets.forEach(settle);
}

interface OpenResult {
  label: string;
  turns: number;
  errors: number;
  latencies: number[];
  /** the latencies by script step */
  bySteps: number[][];
  cpu: number;
}

async function openLoop(label: string, procs: Proc[], rate: number, seconds: number): Promise<OpenResult> {
  const convs = Array.from({ length: Math.max(50, rate) }, () => new Conversation());
  const busy = new Set<Conversation>();
  const cpu0 = procs.map((p) => cpuOf(p.pid));
  const latencies: number[] = [];
  const bySteps: number[][] = SCRIPT.map(() => []);
  let errors = 0;
  const total = rate * seconds;
  const t0 = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    // a conversation sends its next message only after its previous answer (a person waits for the bot)
    let c = convs.find((x) => !busy.has(x));
    if (!c) convs.push((c = new Conversation()));
    const conv = c;
    const step = conv.nextStep;
    busy.add(conv);
    inflight.push(
      post(procs[i % procs.length]!.url, conv.body())
        .then((status) => {
          if (status !== 200) errors++;
        })
        .finally(() => {
          latencies.push(performance.now() - due);
          bySteps[step]!.push(performance.now() - due);
          busy.delete(conv);
        }),
    );
  }
  await Promise.all(inflight);
  const cpu = procs.reduce((sum, p, i) => sum + cpuOf(p.pid) - cpu0[i]!, 0);
  return { label, turns: latencies.length, errors, latencies, bySteps, cpu };
}

const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const pc = (share: number) => `${(100 * share).toFixed(0)} %`;
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
const cpuPerTurn = (t: { cpu: number; turns: number }) => (t.cpu * 1000) / t.turns;

function row(label: string, turns: number, perSecond: number, lat: number[], cpuMs: number, errors: number): string {
  return [
    label.padEnd(46),
    String(turns).padStart(7),
    f1(perSecond).padStart(8),
    f1(pct(lat, 50)).padStart(7),
    f1(pct(lat, 95)).padStart(7),
    f1(pct(lat, 99)).padStart(7),
    f2(cpuMs).padStart(8),
    String(errors).padStart(6),
  ].join(' ');
}
const HEADER = `${'run'.padEnd(46)} ${'turns'.padStart(7)} ${'turns/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p95 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'CPU ms/t'.padStart(8)} ${'errors'.padStart(6)}`;

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

/** Fills a stopped Reclaim's SQLite database with copies of a real conversation state, under new keys. */
function fill(file: string, sample: { data: string; etag: string; updated_at: string }, n: number): number {
  const db = new Database(file);
  const ins = db.prepare('insert or ignore into conversation_state (key, etag, data, updated_at) values (?, ?, ?, ?)');
  for (let done = 0; done < n; ) {
    const batch = Math.min(10_000, n - done);
    db.transaction(() => {
      for (let i = 0; i < batch; i++) ins.run(`conversation/webchat/fill-${runId}-${done + i}`, sample.etag, sample.data, sample.updated_at);
    })();
    done += batch;
  }
  const count = (db.prepare('select count(*) as n from conversation_state').get() as { n: number }).n;
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return count;
}

async function main() {
  console.log(
    `bench:load on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}; ` +
      `${C} conversations per server, ${ROUNDS} interleaved rounds of ${SLICE_MS} ms slices; open loop ${RATE} turns/s for ${SECONDS} s`,
  );
  console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);

  // as npm start runs it: compiled, no transpiler in the process (the echo bots likewise)
  execFileSync(process.execPath, ['bin/build.js'], { cwd: ROOT });
  buildSync({
    absWorkingDir: ROOT,
    entryPoints: ['bench/load/echo-bot.ts'],
    // beside dist/src, so its imports of src/ find the compiled files
    outdir: path.join(ROOT, 'dist'),
    outbase: ROOT,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  const echoScript = path.join(ROOT, 'dist', 'bench', 'load', 'echo-bot.js');
  const reclaimScript = path.join(ROOT, 'dist', 'src', 'index.js');

  const pgAvailableNow = await pgAvailable();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-bench-'));
  const reclaimEnv = (port: number, extra: Record<string, string> = {}) => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: path.join(dataDir, 'sqlite'),
    KNOWLEDGE_DIR: path.join(ROOT, 'knowledge'),
    LOG_LEVEL: 'warn',
    // the abuse limits at their defaults (30 messages a minute per conversation; the simulated
    // conversations send 7); each simulated user opens one ticket, under the daily limit of 5
    ...extra,
  });

  // Reclaim as npm start runs it (its node options), the echo bots as stock node
  const startReclaim = (name: string, env: Record<string, string>, port: number) => start(name, reclaimScript, [], env, port, START_FLAGS);
  const ports = await Promise.all([0, 1, 2, 3, 4, 5].map(() => freePort()));
  const echo = await start('echo', echoScript, [String(ports[0])], {}, ports[0]!);
  const echoLean = await start('echo-lean', echoScript, [String(ports[1]), 'lean'], {}, ports[1]!);
  const reclaim = await startReclaim('reclaim', reclaimEnv(ports[2]!), ports[2]!);
  // the floor of a bot that keeps its state in the database: the lean echo bot reading and saving each turn through Reclaim's conversation store
  const echoStore = await start('echo-store', echoScript, [String(ports[5]), 'store'], { DATA_DIR: path.join(dataDir, 'echo-store') }, ports[5]!);
  const procs = [echo, echoLean, reclaim, echoStore];
  // the PostgreSQL pair's floor: two more stock echo bots, taking requests in turn as the pair does
  const echoPair = pgAvailableNow ? await Promise.all([3, 4].map((i) => start(`echo-pair-${i - 2}`, echoScript, [String(ports[i])], {}, ports[i]!))) : [];

  let pgProcs: Proc[] = [];
  let storePair: Proc[] = [];
  let pgSchema = '';
  let admin: pg.Client | undefined;
  let pgNote = '';
  if (pgAvailableNow) {
    pgSchema = `reclaim_bench_${process.pid}_${runId}`;
    admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`create schema "${pgSchema}"`);
    const pgPorts = [await freePort(), await freePort()];
    pgProcs = await Promise.all(
      pgPorts.map((p, i) =>
        startReclaim(`reclaim-pg-${i}`, reclaimEnv(p, { DATABASE_URL: PG_URL, DATABASE_SCHEMA: pgSchema, DATA_DIR: path.join(dataDir, `pg-${i}`) }), p),
      ),
    );
    // the pair's floor with its database: two echo bots keeping their state in the same PostgreSQL schema
    const storePorts = [await freePort(), await freePort()];
    storePair = await Promise.all(storePorts.map((p, i) => start(`echo-store-pg-${i}`, echoScript, [String(p), 'store'], { DATABASE_URL: PG_URL, DATABASE_SCHEMA: pgSchema }, p)));
  } else {
    pgNote = `PostgreSQL runs skipped: no server answered at ${PG_URL.replace(/:[^:@/]*@/, ':***@')} (set PG_BENCH_URL)`;
  }
  await sleep(1000);
  const measured = [...procs, ...echoPair, ...storePair, ...pgProcs];
  const idle = new Map(measured.map((p) => [p.name, memOf(p.pid).rss]));

  // 1. closed loop, interleaved
  const echoC = target('echo bot (stock restify + botbuilder)', [echo], C);
  const leanC = target("echo bot on Reclaim's HTTP entry", [echoLean], C);
  const storeC = target('… and its state read and saved, SQLite', [echoStore], C);
  const reclaimC = target('Reclaim, SQLite', [reclaim], C);
  const echo2C = pgProcs.length ? target('echo bot ×2 (stock, requests alternating)', echoPair, C) : undefined;
  const store2C = pgProcs.length ? target('… ×2, state read and saved, PostgreSQL', storePair, C, { postgres: true }) : undefined;
  const pgC = pgProcs.length ? target('Reclaim, PostgreSQL ×2', pgProcs, C, { postgres: true }) : undefined;
  const closed = [echoC, leanC, storeC, reclaimC, ...(pgC ? [echo2C!, store2C!, pgC] : [])];
  process.stderr.write('closed loop, interleaved…\n');
  const machine0 = machineCpu();
  await interleaved(closed, ROUNDS);
  const stealPct = stolen(machine0, machineCpu());

  // 2. open loop, one after the other
  process.stderr.write('open loop…\n');
  const open: OpenResult[] = [];
  open.push(await openLoop('echo bot', [echo], RATE, SECONDS));
  open.push(await openLoop('Reclaim, SQLite', [reclaim], RATE, SECONDS));
  if (pgProcs.length) open.push(await openLoop('Reclaim, PostgreSQL ×2', pgProcs, RATE, SECONDS));

  const after = new Map(measured.map((p) => [p.name, memOf(p.pid)]));
  const summed = async (ps: Proc[], name: string) => (await Promise.all(ps.map((p) => counter(p.url, name)))).reduce((a, b) => a + b, 0);
  // saves that found the state changed under them and were retried (two processes on one conversation's turns)
  const retried = { sqlite: await summed([reclaim], 'reclaim_state_conflicts_total'), postgres: pgProcs.length ? await summed(pgProcs, 'reclaim_state_conflicts_total') : 0 };
  // the share of turns that carried on with the machine their conversation's last turn left running in that process
  const keptShare = async (ps: Proc[]) => (await summed(ps, 'reclaim_dialog_machines_total{source="kept"}')) / Math.max(1, await summed(ps, 'reclaim_dialog_machines_total'));
  const kept = { sqlite: await keptShare([reclaim]), postgres: pgProcs.length ? await keptShare(pgProcs) : 0 };
  // quiet: V8's memory reducer hands the garbage's pages back on its own after a while; when, is recorded
  process.stderr.write(`quiet for ${QUIET_S} s…\n`);
  const under = new Map<string, number>();
  for (let s = 1; s <= QUIET_S; s++) {
    await sleep(1000);
    for (const p of measured) if (!under.has(p.name) && memOf(p.pid).rss < 200 * 1024 * 1024) under.set(p.name, s);
  }
  const quiet = new Map(measured.map((p) => [p.name, memOf(p.pid).rss]));

  // 3. stored state per conversation
  const file = path.join(dataDir, 'sqlite', 'reclaim.sqlite');
  const sdb = new Database(file, { readonly: true });
  const st = sdb.prepare('select count(*) as n, avg(length(data) + length(key) + length(etag) + length(updated_at)) as avg from conversation_state').get() as { n: number; avg: number };
  const tl = sdb.prepare('select count(distinct conversation_id) as convs, sum(length(text) + length(at) + length(role) + length(conversation_id)) as bytes from transcript_lines').get() as { convs: number; bytes: number };
  const sample = sdb.prepare("select data, etag, updated_at from conversation_state where data like '%\"collect\"%' limit 1").get() as { data: string; etag: string; updated_at: string };
  sdb.close();
  let pgState = '';
  if (admin) {
    const s = await admin.query(`select count(*)::int as n, avg(length(data))::int as avg from "${pgSchema}".conversation_state`);
    pgState = `PostgreSQL: ${s.rows[0].n} conversations stored, ${s.rows[0].avg} B of state JSON each on average`;
  }
  await Promise.all([echo, echoLean, echoStore, ...echoPair, ...storePair, ...pgProcs].map((p) => p.stop()));
  if (admin) {
    await admin.query(`drop schema if exists "${pgSchema}" cascade`);
    await admin.end();
  }

  // 4. 100,000 stored conversations: a second Reclaim on a filled database, interleaved with the first
  process.stderr.write(`filling a second database with ${FILL} conversations…\n`);
  const bigDir = path.join(dataDir, 'filled');
  const bigPort = await freePort();
  const first = await startReclaim('reclaim-filled', reclaimEnv(bigPort, { DATA_DIR: bigDir }), bigPort);
  await first.stop();
  const tFill = performance.now();
  const filled = fill(path.join(bigDir, 'reclaim.sqlite'), sample, FILL);
  const fillS = (performance.now() - tFill) / 1000;
  const big = await startReclaim('reclaim-filled', reclaimEnv(bigPort, { DATA_DIR: bigDir }), bigPort);
  // the first one restarted too, so that both start as fresh processes (same JIT warm-up, same empty caches)
  await reclaim.stop();
  const restarted = await startReclaim('reclaim-few', reclaimEnv(ports[2]!), ports[2]!);
  const fewStored = (() => {
    const d = new Database(file, { readonly: true });
    const n = (d.prepare('select count(*) as n from conversation_state').get() as { n: number }).n;
    d.close();
    return n;
  })();
  const scale = [target(`Reclaim, SQLite, ${fewStored} stored`, [restarted], 50), target(`Reclaim, SQLite, ${filled} stored`, [big], 50)];
  await interleaved(scale, Math.max(4, Math.round(ROUNDS / 2)));
  const dbBytes = fs.statSync(path.join(bigDir, 'reclaim.sqlite')).size;
  await Promise.all([restarted.stop(), big.stop()]);
  fs.rmSync(dataDir, { recursive: true, force: true });

  // report
  console.log('closed loop, interleaved (each server its own 200 conversations; CPU is the server processes only)');
  console.log(HEADER);
  for (const t of closed) console.log(row(t.label, t.turns, t.turns / t.seconds, t.latencies, cpuPerTurn(t), t.errors));
  console.log('\np50 / p99 ms by step of the script (1–7; 7 opens the ticket)');
  for (const t of closed) console.log(`  ${t.label.padEnd(44)} ${t.bySteps.map((l) => `${f1(pct(l, 50))}/${f1(pct(l, 99))}`.padStart(13)).join('')}`);
  console.log('\nopen loop, one after the other');
  console.log(HEADER);
  for (const o of open) console.log(row(`${o.label}, ${RATE} turns/s offered`, o.turns, o.turns / SECONDS, o.latencies, cpuPerTurn(o), o.errors));
  console.log('  p50 / p99 ms by step of the script');
  for (const o of open) console.log(`  ${o.label.padEnd(44)} ${o.bySteps.map((l) => `${f1(pct(l, 50))}/${f1(pct(l, 99))}`.padStart(13)).join('')}`);
  console.log(`\n${fewStored} vs ${filled} stored conversations (filled in ${f1(fillS)} s, database file ${mb(dbBytes)}), interleaved, 50 conversations each`);
  console.log(HEADER);
  for (const t of scale) console.log(row(t.label, t.turns, t.turns / t.seconds, t.latencies, cpuPerTurn(t), t.errors));

  const ratio = (a: number, b: number) => `${f2(a / b)}×`;
  console.log("\nratios to the stock echo bot (the issue's targets in brackets)");
  console.log(`  CPU per turn, closed loop:        Reclaim ${ratio(cpuPerTurn(reclaimC), cpuPerTurn(echoC))}  [≤ 1.5×]`);
  console.log(`  p99, ${C} conversations:            Reclaim ${ratio(pct(reclaimC.latencies, 99), pct(echoC.latencies, 99))}  [≤ 1.5×]`);
  console.log(`  p99 at ${RATE} turns/s offered:       Reclaim ${f1(pct(open[1]!.latencies, 99))} ms, echo ${f1(pct(open[0]!.latencies, 99))} ms  [< 50 ms]`);
  if (pgC) {
    console.log(
      `  PostgreSQL ×2: CPU per turn ${ratio(cpuPerTurn(pgC), cpuPerTurn(echoC))} (both bot processes; the PostgreSQL server, on the same two cores, ` +
        `spent ${f2((pgC.dbCpu! * 1000) / pgC.turns)} ms more per turn), ` +
        `p99 ${ratio(pct(pgC.latencies, 99), pct(echoC.latencies, 99))}; p99 at ${RATE}/s ${f1(pct(open[2]!.latencies, 99))} ms`,
    );
    console.log(
      `  PostgreSQL ×2 against the echo bot ×2 (the same two-process set-up): CPU per turn ${ratio(cpuPerTurn(pgC), cpuPerTurn(echo2C!))}, ` +
        `p99 ${ratio(pct(pgC.latencies, 99), pct(echo2C!.latencies, 99))}; the echo bot ×2 against one: CPU per turn ${ratio(cpuPerTurn(echo2C!), cpuPerTurn(echoC))}, p99 ${ratio(pct(echo2C!.latencies, 99), pct(echoC.latencies, 99))}`,
    );
    console.log(
      `  the floor with its database, two echo bots saving their state on PostgreSQL: CPU per turn ${ratio(cpuPerTurn(store2C!), cpuPerTurn(echoC))} ` +
        `(the server ${f2((store2C!.dbCpu! * 1000) / store2C!.turns)} ms more per turn), p99 ${ratio(pct(store2C!.latencies, 99), pct(echoC.latencies, 99))}; ` +
        `Reclaim PostgreSQL ×2 against it: CPU per turn ${ratio(cpuPerTurn(pgC), cpuPerTurn(store2C!))}, p99 ${ratio(pct(pgC.latencies, 99), pct(store2C!.latencies, 99))}`,
    );
    console.log(`  turns retried after a stale save (all runs): PostgreSQL ×2 ${retried.postgres}, SQLite ${retried.sqlite}`);
  }
  console.log(
    `  the floor with its database on SQLite (the lean echo bot saving its state each turn): CPU per turn ${ratio(cpuPerTurn(storeC), cpuPerTurn(echoC))}, ` +
      `p99 ${ratio(pct(storeC.latencies, 99), pct(echoC.latencies, 99))}; Reclaim SQLite against it: CPU per turn ${ratio(cpuPerTurn(reclaimC), cpuPerTurn(storeC))}, p99 ${ratio(pct(reclaimC.latencies, 99), pct(storeC.latencies, 99))}`,
  );
  console.log(
    `  turns that carried on with the machine kept from their conversation's last turn (all runs): SQLite ${pc(kept.sqlite)}` +
      (pgProcs.length ? `, PostgreSQL ×2 ${pc(kept.postgres)} (no machine is kept on PostgreSQL: the record is read every turn anyway)` : ''),
  );
  console.log(
    `  for reading the above: the echo bot on Reclaim's HTTP entry costs ${ratio(cpuPerTurn(leanC), cpuPerTurn(echoC))} of the stock one; ` +
      `Reclaim costs ${ratio(cpuPerTurn(reclaimC), cpuPerTurn(leanC))} of that`,
  );
  const [few, many] = scale;
  console.log(`  ${filled} stored conversations: CPU per turn ${ratio(cpuPerTurn(many!), cpuPerTurn(few!))}, p50 ${f1(pct(few!.latencies, 50))} → ${f1(pct(many!.latencies, 50))} ms`);

  console.log('\nmemory (resident set)');
  for (const p of measured) {
    const a = after.get(p.name)!;
    console.log(
      `  ${p.name.padEnd(14)} idle ${mb(idle.get(p.name)!).padStart(7)}, right after the runs ${mb(a.rss).padStart(7)}, ${QUIET_S} s later ${mb(quiet.get(p.name)!).padStart(7)}, peak ${mb(a.peak).padStart(7)}; ` +
        (a.rss < 200 * 1024 * 1024 ? 'under 200 MB right after' : under.has(p.name) ? `under 200 MB after ${under.get(p.name)} s quiet` : `not under 200 MB within ${QUIET_S} s`),
    );
  }
  console.log(`  [Reclaim < 200 MB after the runs]`);
  console.log(`  stored state per conversation: ${f1(st.avg / 1024)} KB (conversation_state row, ${st.n} conversations)  [< 8 KB]; transcript ${f1(tl.bytes / Math.max(1, tl.convs) / 1024)} KB per conversation`);
  if (pgState) console.log(`  ${pgState}`);
  if (pgNote) console.log(`  ${pgNote}`);
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`CPU time taken by the hypervisor for other guests (steal) during the closed loop: ${f1(stealPct)}% (figures from a run with much of it vary more)`);

  if (process.env.BENCH_JSON) {
    const summary = (t: Target) => ({ label: t.label, turns: t.turns, turnsPerSecond: t.turns / t.seconds, p50: pct(t.latencies, 50), p95: pct(t.latencies, 95), p99: pct(t.latencies, 99), p99BySteps: t.bySteps.map((l) => pct(l, 99)), cpuMsPerTurn: cpuPerTurn(t), ...(t.dbCpu !== undefined ? { postgresServerCpuMsPerTurn: (t.dbCpu * 1000) / t.turns } : {}), errors: t.errors });
    fs.writeFileSync(
      process.env.BENCH_JSON,
      JSON.stringify(
        {
          closed: closed.map(summary),
          open: open.map((o) => ({ label: o.label, p50: pct(o.latencies, 50), p99: pct(o.latencies, 99), p99BySteps: o.bySteps.map((l) => pct(l, 99)), cpuMsPerTurn: cpuPerTurn(o), errors: o.errors })),
          stored: scale.map(summary),
          memory: Object.fromEntries(measured.map((p) => [p.name, { idle: idle.get(p.name), ...after.get(p.name), quiet: quiet.get(p.name), under200MbAfterSeconds: under.get(p.name) }])),
          statePerConversationBytes: st.avg,
          stealPercentClosedLoop: stealPct,
          retriedAfterStaleSave: retried,
          keptMachineShare: kept,
        },
        null,
        2,
      ),
    );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
