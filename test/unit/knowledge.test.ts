import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONTRACT_INTENTS, KnowledgeError, loadKnowledge } from '../../src/knowledge';

const SOURCE = path.resolve(__dirname, '../../knowledge');

/** A copy of the knowledge pack with one file changed. */
function packWith(file: string, edit: (text: string) => string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-knowledge-'));
  fs.cpSync(SOURCE, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), edit(fs.readFileSync(path.join(dir, file), 'utf8')));
  return dir;
}

function errorOf(dir: string): KnowledgeError {
  try {
    loadKnowledge(dir);
  } catch (e) {
    if (e instanceof KnowledgeError) return e;
    throw e;
  }
  throw new Error('the pack loaded');
}

describe('the knowledge pack', () => {
  const k = loadKnowledge(SOURCE);

  test('loads, with every intent of the catalogue and a guide for every recovery intent', () => {
    expect(k.nlu.intents.map((i) => i.name).sort()).toEqual([...CONTRACT_INTENTS].sort());
    expect(Object.keys(k.guides).sort()).toEqual(
      ['account_banned', 'account_deleted', 'account_hacked', 'forgot_password', 'login_error', 'phone_changed', 'reset_not_received'].sort(),
    );
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  test('has at least 25 training phrases for each recovery intent', () => {
    for (const i of k.nlu.intents.filter((x) => !['greeting', 'goodbye', 'thanks', 'affirm', 'deny', 'cancel', 'help', 'out_of_scope'].includes(x.name))) {
      expect([i.name, i.examples.length >= 25]).toEqual([i.name, true]);
    }
  });

  test('keeps the facts of the guides as data (the 30-day window)', () => {
    expect(k.facts.deactivation_window_days).toBe(30);
    expect(k.guides.account_deleted!.text).toContain('{deactivation_window_days}');
  });

  test('a missing wording key stops loading, naming the file, the key and the reason', () => {
    const e = errorOf(packWith('responses.yml', (t) => t.replace(/^ask\.email:.*$/m, '')));
    expect(e.file).toBe('responses.yml');
    expect(e.problems).toEqual([{ path: 'ask.email', message: expect.stringContaining('missing') }]);
  });

  test('a wrong type deep inside a file is reported with its path', () => {
    const e = errorOf(packWith('guides.yml', (t) => t.replace('    title: Errors when logging in', '    title: [not, a, string]')));
    expect(e.file).toBe('guides.yml');
    expect(e.problems[0]!.path).toBe('guides.login_error.title');
  });

  test('broken YAML is reported with the line', () => {
    const e = errorOf(packWith('nlu/control.yml', (t) => `${t}\n  - name: [unclosed\n`));
    expect(e.file).toBe('nlu/control.yml');
    expect(e.problems[0]!.path).toMatch(/^line \d+$/);
  });

  test('an intent of the catalogue without training phrases stops loading', () => {
    const dir = packWith('nlu/control.yml', (t) => t);
    const other = fs.readdirSync(path.join(dir, 'nlu')).filter((f) => f !== 'lexicon.yml');
    for (const f of other) {
      const p = path.join(dir, 'nlu', f);
      fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace(/name: thanks\b/, 'name: thanks_renamed'));
    }
    const e = errorOf(dir);
    expect(e.problems).toContainEqual({ path: 'thanks', message: 'intent has no training examples' });
  });
});
