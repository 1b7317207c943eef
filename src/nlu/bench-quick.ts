/**
 * Quick benchmark of the intent classifier on public corpora and on the knowledge pack.
 *
 *   npx tsx src/nlu/bench-quick.ts [dataset ...] [--json] [--model '{"charWeight":0.5}']
 *
 * Trains on <name>.train.jsonl only, tunes the CLINC150 out-of-scope threshold on .val, and
 * reports accuracy, macro-F1, training time and µs per utterance on .test.
 * Datasets: /work/shared/datasets/jsonl (override with NLU_BENCH_DIR).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadKnowledge as loadKnowledgePack } from '../knowledge';
import { IntentClassifier, type LabelledText } from './classifier';
import { crossValidate, evaluatePredictions } from './evaluate';
import { DEFAULT_OOS_THRESHOLD, OUT_OF_SCOPE, trainNlu } from './index';
import type { Lexicon, ModelOptions, NluTrainingData } from './types';
import { ROOT } from '../paths';

const DATA_DIR = process.env.NLU_BENCH_DIR ?? '/work/shared/datasets/jsonl';
const KNOWLEDGE_DIR = path.join(ROOT, 'knowledge/nlu');
/** CLINC150: largest in-scope accuracy loss (on val) accepted when choosing the OOS threshold. */
const MAX_DROP = Number(process.env.NLU_BENCH_MAX_DROP ?? 0.005);

interface Row {
  name: string;
  n: number;
  accuracy: number;
  macroF1: number;
  trainMs: number;
  usPerUtterance: number;
  extra?: string;
}

function readJsonl(file: string): LabelledText[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LabelledText);
}

function loadKnowledge(): NluTrainingData {
  return loadKnowledgePack(path.dirname(KNOWLEDGE_DIR)).nlu;
}

/** English contractions only: the benchmarks are not about our domain slang. */
function benchLexicon(lexicon: Lexicon): Lexicon {
  return { contractions: lexicon.contractions, slang: {}, skipPhrases: [], distressWords: [] };
}

function timeIt<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
}

function predictAll(c: IntentClassifier, texts: string[], threshold = 0): [string[], number] {
  const out = texts.map((t) => {
    const top = c.top(t);
    return top.confidence < threshold ? OUT_OF_SCOPE : top.intent;
  });
  // steady-state time per utterance: after the warm-up above, at least 5,000 calls
  const rounds = Math.max(1, Math.ceil(5000 / texts.length));
  const started = performance.now();
  for (let r = 0; r < rounds; r++) for (const t of texts) c.top(t);
  return [out, ((performance.now() - started) / (rounds * texts.length)) * 1000];
}

function benchPlain(name: string, lexicon: Lexicon, model: Partial<ModelOptions>): Row {
  const train = readJsonl(path.join(DATA_DIR, `${name}.train.jsonl`));
  const test = readJsonl(path.join(DATA_DIR, `${name}.test.jsonl`));
  const [c, trainMs] = timeIt(() => IntentClassifier.train(train, lexicon, model));
  const [pred, us] = predictAll(
    c,
    test.map((t) => t.text),
  );
  const r = evaluatePredictions(
    test.map((t) => t.intent),
    pred,
  );
  return { name, n: test.length, accuracy: r.accuracy, macroF1: r.macroF1, trainMs, usPerUtterance: us };
}

/** CLINC150 "oos-train + threshold": OOS is a 151st class and low confidence also means OOS. */
function benchClinc(lexicon: Lexicon, model: Partial<ModelOptions>): Row {
  const train = readJsonl(path.join(DATA_DIR, 'clinc150.train.jsonl'));
  const val = readJsonl(path.join(DATA_DIR, 'clinc150.val.jsonl'));
  const test = readJsonl(path.join(DATA_DIR, 'clinc150.test.jsonl'));
  const [c, trainMs] = timeIt(() => IntentClassifier.train(train, lexicon, model));
  const split = (rows: LabelledText[], pred: string[]) => {
    let inOk = 0;
    let inN = 0;
    let oosOk = 0;
    let oosN = 0;
    rows.forEach((r, i) => {
      if (r.intent === OUT_OF_SCOPE) {
        oosN++;
        if (pred[i] === OUT_OF_SCOPE) oosOk++;
      } else {
        inN++;
        if (pred[i] === r.intent) inOk++;
      }
    });
    return { inScope: inOk / inN, oosRecall: oosOk / oosN };
  };
  // Threshold tuned on val only: the highest OOS recall whose in-scope accuracy stays within
  // `maxDrop` of the unthresholded in-scope accuracy (on val).
  const valTop = val.map((r) => c.top(r.text));
  const predictAt = (tops: { intent: string; confidence: number }[], t: number) =>
    tops.map((p) => (p.confidence < t ? OUT_OF_SCOPE : p.intent));
  const val0 = split(val, predictAt(valTop, 0));
  const tune = (maxDrop: number) => {
    let best = { threshold: 0, ...val0 };
    for (let i = 1; i <= 90; i++) {
      const t = i / 100;
      const s = split(val, predictAt(valTop, t));
      if (s.inScope >= val0.inScope - maxDrop && s.oosRecall > best.oosRecall) best = { threshold: t, ...s };
    }
    return best;
  };
  const chosen = tune(MAX_DROP);
  const [pred, us] = predictAll(
    c,
    test.map((t) => t.text),
    chosen.threshold,
  );
  const s = split(test, pred);
  const r = evaluatePredictions(
    test.map((t) => t.intent),
    pred,
  );
  const testTop = test.map((t) => c.top(t.text));
  const s0 = split(test, predictAt(testTop, 0));
  const alt = tune(0.01);
  const sAlt = split(test, predictAt(testTop, alt.threshold));
  return {
    name: 'clinc150',
    n: test.length,
    accuracy: r.accuracy,
    macroF1: r.macroF1,
    trainMs,
    usPerUtterance: us,
    extra:
      `threshold ${chosen.threshold.toFixed(2)} (val, in-scope drop ≤ ${MAX_DROP * 100} pt: in-scope ${pct(chosen.inScope)}, OOS recall ${pct(chosen.oosRecall)})\n` +
      `${' '.repeat(32)}test: in-scope acc ${pct(s.inScope)}, OOS recall ${pct(s.oosRecall)}\n` +
      `${' '.repeat(32)}no threshold (OOS class only): in-scope ${pct(s0.inScope)}, OOS recall ${pct(s0.oosRecall)}\n` +
      `${' '.repeat(32)}val drop ≤ 1 pt → threshold ${alt.threshold.toFixed(2)}: test in-scope ${pct(sAlt.inScope)}, OOS recall ${pct(sAlt.oosRecall)}`,
  };
}

function benchKnowledge(model: Partial<ModelOptions>): Row[] {
  const { intents, lexicon, ambiguities } = loadKnowledge();
  const items = intents.flatMap((i) => i.examples.map((text) => ({ text: String(text), intent: i.name })));
  const [cv, cvMs] = timeIt(() =>
    crossValidate(
      items,
      (train) => {
        const byIntent = new Map<string, string[]>();
        for (const t of train) byIntent.set(t.intent, [...(byIntent.get(t.intent) ?? []), t.text]);
        const nlu = trainNlu(
          { intents: [...byIntent].map(([name, examples]) => ({ name, examples })), lexicon, ambiguities },
          { defaultRegion: 'US', model },
        );
        return (text) => nlu.parse(text).intent;
      },
      5,
      7,
    ),
  );
  const [nlu, trainMs] = timeIt(() => trainNlu({ intents, lexicon, ambiguities }, { defaultRegion: 'US', model }));
  const texts = items.map((i) => i.text);
  for (const t of texts) nlu.parse(t);
  const started = performance.now();
  for (let r = 0; r < 3; r++) for (const t of texts) nlu.parse(t);
  const us = ((performance.now() - started) / (3 * texts.length)) * 1000;
  const worst = [...cv.perIntent].sort((a, b) => a.f1 - b.f1)[0];
  return [
    {
      name: 'knowledge (5-fold CV, parse)',
      n: items.length,
      accuracy: cv.accuracy,
      macroF1: cv.macroF1,
      trainMs,
      usPerUtterance: us,
      extra: `min F1 ${worst.intent} ${pct(worst.f1)}; CV total ${cvMs.toFixed(0)} ms; threshold ${DEFAULT_OOS_THRESHOLD}`,
    },
  ];
}

const pct = (x: number) => (x * 100).toFixed(1) + '%';

function main(): void {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const modelArg = args.indexOf('--model');
  const model: Partial<ModelOptions> = modelArg >= 0 ? JSON.parse(args[modelArg + 1]) : {};
  const names = args.filter((a, i) => !a.startsWith('--') && (modelArg < 0 || i !== modelArg + 1));
  const wanted = names.length ? names : ['knowledge', 'braun-chatbot', 'braun-askubuntu', 'braun-webapps', 'bitext', 'banking77', 'clinc150'];
  const { lexicon } = loadKnowledge();
  const lex = benchLexicon(lexicon);
  const rows: Row[] = [];
  for (const name of wanted) {
    const row =
      name === 'knowledge' ? benchKnowledge(model) : name === 'clinc150' ? [benchClinc(lex, model)] : [benchPlain(name, lex, model)];
    for (const r of row) {
      rows.push(r);
      if (!json)
        console.log(
          `${r.name.padEnd(30)} n=${String(r.n).padStart(5)}  acc ${pct(r.accuracy).padStart(6)}  macro-F1 ${pct(r.macroF1).padStart(6)}  ` +
            `train ${r.trainMs.toFixed(0).padStart(6)} ms  ${r.usPerUtterance.toFixed(1).padStart(6)} µs/utt` +
            (r.extra ? `\n${' '.repeat(32)}${r.extra}` : ''),
        );
    }
  }
  if (json) console.log(JSON.stringify(rows, null, 2));
}

main();
