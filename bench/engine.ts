/**
 * The engine alone, in one process: N conversations run the load benchmark's
 * script (a hacked-account case up to its ticket) straight through
 * `Engine.handle`, with no HTTP and no channel. It prints CPU per turn, the
 * latency of each step of the script, and how long the effects' storage calls
 * took, which shows where a turn waits, not only where it spends CPU.
 *
 *   npm run bench:engine          # BENCH_CONCURRENCY=200 BENCH_SECONDS=10
 *   DATABASE_URL=postgres://… DATABASE_SCHEMA=bench npm run bench:engine
 *   BENCH_LIVE=0 npm run bench:engine   # every turn revives the stored snapshot (no machine kept between turns)
 *
 * It is a diagnostic next to `npm run bench:load` (which compares the whole
 * bot with the echo bot over HTTP) and asserts nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config';
import { SCRIPT } from './script';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 200);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_MS = 2000;

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const f1 = (n: number) => n.toFixed(1);

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-bench-engine-'));
  const config = loadConfig({ DATA_DIR: dataDir, KNOWLEDGE_DIR: path.resolve(__dirname, '../knowledge'), AGENT_API_TOKEN: 'bench-'.padEnd(32, 'x'), LOG_LEVEL: 'warn', DATABASE_URL: process.env.DATABASE_URL, DATABASE_SCHEMA: process.env.DATABASE_SCHEMA, DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE });
  const app = await createApp(config, { logger: pino({ level: 'warn' }), liveConversations: process.env.BENCH_LIVE ? Number(process.env.BENCH_LIVE) : undefined });
  const { engine } = app;

  // the effects' storage calls, timed where the engine calls them
  const calls = new Map<string, number[]>();
  let counting = false;
  const time = (target: object, method: string, label: string) => {
    const o = target as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const original = o[method]!.bind(target);
    o[method] = async (...args) => {
      const t0 = performance.now();
      try {
        return await original(...args);
      } finally {
        if (counting) (calls.get(label) ?? calls.set(label, []).get(label)!).push(performance.now() - t0);
      }
    };
  };
  const deps = (engine as unknown as { deps: Record<string, object> }).deps;
  time(deps.storage!, 'read', 'conversation state: read');
  time(deps.storage!, 'saveTurn', 'conversation state: save');
  time(app.tickets, 'listForUser', 'tickets: list for user');
  time(app.tickets, 'open', 'tickets: open');
  time(app.directory, 'checkEvidence', 'directory: check evidence');
  time(deps.transcript!, 'recent', 'transcript: recent');
  time(deps.secureLinks!, 'create', 'secure link: create');

  const steps = SCRIPT.map(() => [] as number[]);
  let seq = 0;
  let cpu0 = process.cpuUsage();
  let t0 = 0;
  const end = Date.now() + WARMUP_MS + SECONDS * 1000;
  const countFrom = Date.now() + WARMUP_MS;
  async function conversation() {
    while (Date.now() < end) {
      const n = ++seq;
      const id = `bench-${n}`;
      for (const [s, line] of SCRIPT.entries()) {
        if (!counting && Date.now() >= countFrom) {
          counting = true;
          cpu0 = process.cpuUsage();
          t0 = performance.now();
        }
        const start = performance.now();
        const out = await engine.handle({
          kind: 'message',
          channelId: 'webchat',
          conversationId: id,
          userId: `u-${id}`,
          activityId: `${id}-${s}`,
          text: line.replaceAll('{i}', String(n)),
          canMask: false,
          conversationRef: { channelId: 'webchat', conversation: { id } } as never,
        });
        if (out.failed) throw new Error(`turn ${s} of ${id} failed: see the log`);
        if (counting) steps[s]!.push(performance.now() - start);
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, conversation));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const all = steps.flat().sort((a, b) => a - b);

  console.log(`engine alone, ${CONCURRENCY} conversations, ${SECONDS} s (after ${WARMUP_MS / 1000} s warm-up), ${app.dbEngine}`);
  console.log(
    `  ${all.length} turns, ${Math.round((all.length / wall) * 1000)} turns/s, CPU ${((cpu.user + cpu.system) / 1000 / all.length).toFixed(3)} ms/turn, ` +
      `p50 ${f1(pct(all, 0.5))} ms, p99 ${f1(pct(all, 0.99))} ms, RSS ${Math.round(process.memoryUsage.rss() / 1e6)} MB`,
  );
  console.log('\nper step of the script                              turns  p50 ms  p99 ms');
  for (const [s, xs] of steps.entries()) {
    xs.sort((a, b) => a - b);
    console.log(`  ${s + 1}. ${SCRIPT[s]!.padEnd(47).slice(0, 47)} ${String(xs.length).padStart(6)} ${f1(pct(xs, 0.5)).padStart(7)} ${f1(pct(xs, 0.99)).padStart(7)}`);
  }
  console.log('\nstorage calls (wall time, waiting included)         calls  p50 ms  p99 ms');
  for (const [label, xs] of calls) {
    xs.sort((a, b) => a - b);
    console.log(`  ${label.padEnd(50)} ${String(xs.length).padStart(6)} ${f1(pct(xs, 0.5)).padStart(7)} ${f1(pct(xs, 0.99)).padStart(7)}`);
  }
  await app.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
