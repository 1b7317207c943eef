/**
 * The real `reclaim` CLI, run as a child process (node bin/reclaim.js …) on small JSONL files.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/reclaim.js');

function reclaim(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--disable-warning=DEP0111', BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
const file = (name: string, lines: unknown[]) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return p;
};

const TRAIN = [
  ...['i forgot my password', 'forgot password', 'cannot remember my password', 'what was my password again', 'reset my password please', 'lost my password'].map(
    (text) => ({ text, intent: 'forgot_password' }),
  ),
  ...['someone hacked my account', 'my account was hacked', 'a hacker changed my email', 'hacked account help', 'somebody stole my account', 'account hijacked'].map(
    (text) => ({ text, intent: 'account_hacked' }),
  ),
  ...['hello', 'hi there', 'hey', 'good morning', 'hi bot', 'hello there'].map((text) => ({ text, intent: 'greeting' })),
  ...['what is the weather', 'tell me a joke', 'best pizza in town', 'who won the game', 'play some music', 'how tall is everest'].map(
    (text) => ({ text, intent: 'out_of_scope' }),
  ),
];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-cli-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('reclaim (dispatcher)', () => {
  it('prints help listing nlu eval', () => {
    const r = reclaim('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: reclaim <command>/);
    expect(r.stdout).toMatch(/nlu eval/);
  });

  it('rejects an unknown command with exit code 2', () => {
    const r = reclaim('frobnicate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });

  it('prints the options of nlu eval', () => {
    const r = reclaim('nlu', 'eval', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--test FILE/);
    expect(r.stdout).toMatch(/--folds K/);
  });
});

describe('reclaim nlu eval', () => {
  it('--train/--test --json: figures, per-intent metrics, confusion, OOS figures', () => {
    const train = file('train.jsonl', TRAIN);
    const test = file('test.jsonl', [
      { text: 'I forgot my password', intent: 'forgot_password' },
      { text: 'my account got hacked', intent: 'account_hacked' },
      { text: 'hello!', intent: 'greeting' },
      { text: 'tell me a joke please', intent: 'out_of_scope' },
      '',
      { text: 'what is the weather like', intent: 'out_of_scope' },
    ]);
    const r = reclaim('nlu', 'eval', '--train', train, '--test', test, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.n).toBe(5);
    expect(out.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(out.macroF1).toBeGreaterThan(0.5);
    expect(Object.keys(out.perIntent).sort()).toEqual(['account_hacked', 'forgot_password', 'greeting', 'out_of_scope']);
    expect(out.perIntent.forgot_password).toEqual({ precision: expect.any(Number), recall: expect.any(Number), f1: expect.any(Number), support: 1 });
    expect(out.confusion.out_of_scope).toBeDefined();
    expect(out.inScopeAccuracy).toBeGreaterThanOrEqual(0);
    expect(out.oosRecall).toBeGreaterThanOrEqual(0);
    expect(out.mode).toBe('test');
  });

  it('omits the OOS figures when the test data has no out_of_scope label', () => {
    const train = file('train2.jsonl', TRAIN);
    const test = file('test2.jsonl', [
      { text: 'forgot my password', intent: 'forgot_password' },
      { text: 'hi', intent: 'greeting' },
    ]);
    const out = JSON.parse(reclaim('nlu', 'eval', '--train', train, '--test', test, '--json').stdout);
    expect(out).not.toHaveProperty('inScopeAccuracy');
    expect(out).not.toHaveProperty('oosRecall');
  });

  it('readable report: accuracy, macro-F1, per-intent table, confusions, misclassified examples', () => {
    const train = file('train3.jsonl', TRAIN);
    const test = file('test3.jsonl', [
      { text: 'I forgot my password', intent: 'forgot_password' },
      // deliberately mislabelled: must show up as a confusion and a misclassified example
      { text: 'someone hacked my account', intent: 'greeting' },
    ]);
    const r = reclaim('nlu', 'eval', '--train', train, '--test', test);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/accuracy\s+50\.0%/);
    expect(r.stdout).toMatch(/macro-F1/);
    expect(r.stdout).toMatch(/intent\s+precision\s+recall\s+F1\s+support/);
    expect(r.stdout).toMatch(/greeting → account_hacked/);
    expect(r.stdout).toMatch(/"someone hacked my account"\s+expected greeting, got account_hacked/);
  });

  it('--json lists misclassified examples only with --errors N', () => {
    const train = file('train6.jsonl', TRAIN);
    const test = file('test6.jsonl', [
      { text: 'someone hacked my account', intent: 'greeting' },
      { text: 'my account was hacked', intent: 'greeting' },
    ]);
    const plain = JSON.parse(reclaim('nlu', 'eval', '--train', train, '--test', test, '--json').stdout);
    expect(plain.misclassifiedCount).toBe(2);
    expect(plain).not.toHaveProperty('misclassified');
    const listed = JSON.parse(reclaim('nlu', 'eval', '--train', train, '--test', test, '--json', '--errors', '1').stdout);
    expect(listed.misclassified).toEqual([{ text: 'someone hacked my account', intent: 'greeting', predicted: 'account_hacked', confidence: expect.any(Number) }]);
  });

  it('--folds K cross-validates the --train file', () => {
    const train = file('train4.jsonl', TRAIN);
    const out = JSON.parse(reclaim('nlu', 'eval', '--train', train, '--folds', '3', '--json').stdout);
    expect(out.mode).toBe('cross-validation');
    expect(out.folds).toBe(3);
    expect(out.n).toBe(TRAIN.length);
  });

  it('--folds 5 on the knowledge pack meets the floor', () => {
    const r = reclaim('nlu', 'eval', '--folds', '5', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.n).toBeGreaterThan(1000);
    expect(out.accuracy).toBeGreaterThanOrEqual(0.95);
    expect(out.inScopeAccuracy).toBeGreaterThan(0.9);
    expect(out.oosRecall).toBeGreaterThan(0.8);
  });

  it('fails with the line number and reason on a malformed line', () => {
    const bad = file('bad.jsonl', [{ text: 'hello', intent: 'greeting' }, '', '{"text": "oops", "intent": ', { text: 'x', intent: 'greeting' }]);
    const train = file('train5.jsonl', TRAIN);
    const r = reclaim('nlu', 'eval', '--train', train, '--test', bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${bad}, line 3: not valid JSON`);
  });

  it('fails with the line number when a field is missing or not a string', () => {
    const bad = file('bad2.jsonl', [{ text: 'hello', intent: 'greeting' }, { text: 'hi' }]);
    let r = reclaim('nlu', 'eval', '--train', bad, '--folds', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('line 2: "intent" is missing or not a string');
    const bad3 = file('bad3.jsonl', [{ text: 42, intent: 'greeting' }]);
    r = reclaim('nlu', 'eval', '--train', bad3, '--folds', '2');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('line 1: "text" is missing or not a string');
  });

  it('fails on a missing file and on bad usage', () => {
    let r = reclaim('nlu', 'eval', '--test', path.join(dir, 'nope.jsonl'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nope\.jsonl: cannot be read \(ENOENT\)/);
    r = reclaim('nlu', 'eval', '--test', 'a.jsonl', '--folds', '3');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/either --test FILE or --folds K/);
    r = reclaim('nlu', 'eval', '--folds', '1');
    expect(r.code).toBe(2);
    r = reclaim('nlu', 'eval', '--bogus');
    expect(r.code).toBe(2);
  });
});
