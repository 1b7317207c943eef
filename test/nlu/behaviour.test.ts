/**
 * NLU behaviours found by the acceptance transcripts, and the model cache.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OUT_OF_SCOPE, restoreNlu, trainNlu, type TrainedNlu } from '../../src/nlu';
import { loadOrTrainNlu } from '../../src/nlu/cache';
import { loadKnowledgePack } from './load-knowledge';

const data = loadKnowledgePack();
let nlu: TrainedNlu;
beforeAll(() => {
  nlu = trainNlu(data, { defaultRegion: 'US' });
});

describe('locked out: an ambiguity between forgot_password and login_error', () => {
  it.each(["I'm locked out of my account", 'my account is locked', "I can't get into my account", 'i am locked out of tiktok', 'cant access my account'])(
    '%s',
    (text) => {
      const r = nlu.parse(text);
      expect(r.ambiguous).toEqual(['forgot_password', 'login_error']);
      expect(['forgot_password', 'login_error', OUT_OF_SCOPE]).toContain(r.intent);
    },
  );

  it('a reason given is not ambiguous', () => {
    expect(nlu.parse("I'm locked out because I forgot my password").ambiguous).toBeUndefined();
    expect(nlu.parse("I'm locked out because I forgot my password").intent).toBe('forgot_password');
    expect(nlu.parse('hackers locked me out of my account').intent).toBe('account_hacked');
    expect(nlu.parse('still locked out').intent).toBe('deny');
  });
});

describe('deleting an account on purpose is out of scope', () => {
  it.each(['how do I delete my account', 'how can I delete my tiktok account permanently', 'how to deactivate my tiktok'])('%s → out_of_scope', (text) => {
    expect(nlu.parse(text).intent).toBe(OUT_OF_SCOPE);
  });
  it.each(['I deleted my account by mistake', 'i accidentally deleted my tiktok', 'can i get my deleted account back'])('%s → account_deleted', (text) => {
    expect(nlu.parse(text).intent).toBe('account_deleted');
  });
});

describe('evidence alone is not a request', () => {
  it.each(['@sam.dances', 'sam@example.com', '+1 415 555 0134', 'my email is sam@example.com', 'username: @sam.dances'])('%s', (text) => {
    const r = nlu.parse(text);
    expect(r.intent).toBe(OUT_OF_SCOPE);
    expect(r.confidence).toBeLessThan(0.3);
    expect(r.ambiguous).toBeUndefined();
  });
  it('keeps the entities and still classifies a sentence around them', () => {
    expect(nlu.parse('sam@example.com').entities.email).toBe('sam@example.com');
    expect(nlu.parse('someone hacked @sam.dances and changed the email').intent).toBe('account_hacked');
  });
});

describe('a vague request is not a confident recovery topic', () => {
  it.each(['I need my account back', 'i want my account back', 'help me get my account back'])('%s', (text) => {
    const r = nlu.parse(text);
    expect(r.intent).not.toBe('account_deleted');
    expect(r.ranking.find((x) => x.intent === 'account_deleted')?.confidence ?? 0).toBeLessThan(0.5);
  });
});

describe('model cache', () => {
  const probes = ["I'm locked out", 'forgot my pasword', 'how do i delete my account', 'sam@example.com', 'banned for no reason', 'hi'];

  it('restoreNlu(toModel()) answers exactly like the trained model', () => {
    const restored = restoreNlu(JSON.parse(JSON.stringify(nlu.toModel())), data.lexicon, { defaultRegion: 'US' });
    expect(restored.intents).toEqual(nlu.intents);
    for (const t of probes) expect(restored.parse(t)).toEqual(nlu.parse(t));
  });

  it('trains once, then loads from DATA_DIR; a new hash or a corrupt file retrains', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-nlu-cache-'));
    try {
      const first = loadOrTrainNlu(data, { defaultRegion: 'US' }, { dir, knowledgeHash: 'abc' });
      expect(first.source).toBe('trained');
      expect(fs.existsSync(first.file)).toBe(true);
      const second = loadOrTrainNlu(data, { defaultRegion: 'US' }, { dir, knowledgeHash: 'abc' });
      expect(second.source).toBe('cache');
      for (const t of probes) expect(second.nlu.parse(t)).toEqual(first.nlu.parse(t));
      const other = loadOrTrainNlu(data, { defaultRegion: 'US' }, { dir, knowledgeHash: 'def' });
      expect(other.source).toBe('trained');
      expect(fs.existsSync(first.file)).toBe(false); // the stale model is removed
      fs.writeFileSync(other.file, '{not json');
      const again = loadOrTrainNlu(data, { defaultRegion: 'US' }, { dir, knowledgeHash: 'def' });
      expect(again.source).toBe('trained');
      expect(again.problem).toMatch(/unusable/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
