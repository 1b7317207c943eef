import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertReplayOk, loadTranscript, replay, type ReplayDriver, type ReplayResult } from './harness';
import { DEMO_ACCOUNTS } from '../src/directory/demo';
import { startTestBot, everythingWritten, type TestBot } from './support/app';

/**
 * The acceptance tests: every conversation in test/transcripts/ replayed
 * through the real bot (real HTTP endpoint, CloudAdapter, NLU, machine,
 * SQLite), then a search of everything the bot wrote for every password
 * the conversations used.
 */
const DIR = path.join(__dirname, 'transcripts');
const files = fs.readdirSync(DIR).filter((f) => /\.(chat|transcript)$/.test(f)).sort();

/** Passwords that must never be found at rest: demo history, card submissions, and passwords typed in chat. */
const SECRETS = new Set<string>(DEMO_ACCOUNTS.flatMap((a) => a.previousPasswords));
const PASSWORD_IN_TEXT = /(?:pass\s?word|passwd|pwd|\bpw\b|\bpass\b)[^\n]*?(?:is|was|:|=)\s*["']?([^\s"']{4,})/gi;

let root: string;
let bot: TestBot;
const results: ReplayResult[] = [];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-transcripts-'));
  bot = await startTestBot({}, root);
});

let closed = false;
afterAll(async () => {
  if (!closed) await bot?.close();
});

describe('transcripts', () => {
  test('there is a transcript suite to run', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  test.each(files)('%s', async (file) => {
    const transcript = loadTranscript(path.join(DIR, file));
    for (const step of transcript.steps) {
      if (step.kind !== 'user') continue;
      const v = step.value as Record<string, unknown> | undefined;
      if (v && typeof v.password === 'string') SECRETS.add(v.password);
      for (const m of (step.text ?? '').matchAll(PASSWORD_IN_TEXT)) SECRETS.add(m[1]!);
    }
    // each transcript is its own set of users (per-user ticket lists and daily limits)
    const own = path.basename(file).replace(/\W+/g, '-');
    const driver: ReplayDriver = {
      send: (a) => bot.send({ ...a, ...(a.from ? { from: { ...a.from, id: `${a.from.id}@${own}` } } : {}) }),
      restart: () => bot.restart(),
    };
    const result = await replay(transcript, driver, { conversationId: `t-${path.basename(file).replace(/\W+/g, '-')}-${Date.now()}` });
    results.push(result);
    assertReplayOk(result);
  });
});

describe('secrets at rest', () => {
  test('no password used in the conversations is in the database, the transcripts, the logs or the replies', async () => {
    await bot.close(); // flushes the SQLite WAL into the files we search
    closed = true;
    const written = everythingWritten(root);
    const replies = JSON.stringify(results.map((r) => r.log.filter((l) => l.role === 'bot')));
    expect(written.length).toBeGreaterThan(0);
    const leaks = [...SECRETS].filter((s) => s.length >= 4 && !/^(wrong|incorrect)$/i.test(s) && (written.includes(s) || replies.includes(s)));
    expect(leaks).toEqual([]);
  });
});
