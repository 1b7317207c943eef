/**
 * `npm run bench:nlu`: our intent classifier side by side with natural's BayesClassifier,
 * natural's LogisticRegressionClassifier and nlp.js (@nlpjs/nlp), on public corpora and on the
 * knowledge pack. Prints a table and writes bench/results/nlu.json.
 *
 *   npm run bench:nlu [-- --datasets braun-chatbot,clinc150 --engines reclaim,nlpjs --quick]
 *
 * Protocol (every engine the same):
 * - Braun et al. 2017 (chatbot, askubuntu, webapps) and Bitext: train on .train, test on .test.
 * - CLINC150: train on .train (out_of_scope is a 151st class), pick an out-of-scope confidence
 *   threshold on .val, report in-scope accuracy and out-of-scope recall on .test.
 * - Knowledge pack: stratified 5-fold cross-validation (seed 7).
 * - A `.test` split is never used for training or tuning.
 * - µs/utterance: wall time of classifying the test set, repeated until ≥ 2,000 calls or 2 s.
 * nlp.js and its language package are bench-only dependencies (bench/package.json); this
 * script installs them into bench/node_modules when they are missing.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadKnowledge } from '../src/knowledge';
import { IntentClassifier } from '../src/nlu/classifier';
import { evaluatePredictions, stratifiedKFold } from '../src/nlu/evaluate';
import { DEFAULT_OOS_THRESHOLD, OUT_OF_SCOPE, trainNlu } from '../src/nlu/index';
import { parseLabelledJsonl, type LabelledExample } from '../src/nlu/jsonl';
import { mulberry32, shuffleInPlace } from '../src/nlu/linear';
import type { Lexicon } from '../src/nlu/types';

const BENCH_DIR = __dirname;
const ROOT = path.resolve(BENCH_DIR, '..');
const DATA_DIR = process.env.NLU_BENCH_DIR ?? path.resolve(ROOT, '../shared/datasets/jsonl');
const RESULTS = path.join(BENCH_DIR, 'results', 'nlu.json');

/** CLINC150: largest in-scope accuracy loss on .val accepted when choosing the OOS threshold. */
const MAX_VAL_DROP = 0.01;
/**
 * natural's LogisticRegressionClassifier trains one-vs-all by full-batch gradient descent on
 * dense sylvester matrices (examples × vocabulary), which grows with examples × vocabulary ×
 * classes; these caps keep it to minutes on two cores. Training examples per intent beyond the
 * cap are left out (a seeded sample); datasets with more intents than the limit are skipped.
 */
const LOGREG_MAX_PER_INTENT = Number(process.env.NLU_BENCH_LOGREG_PER_INTENT ?? 20);
const LOGREG_MAX_INTENTS = Number(process.env.NLU_BENCH_LOGREG_MAX_INTENTS ?? 40);
/** natural's BayesClassifier scores every intent × every vocabulary word per call: capped the same way on big sets. */
const BAYES_MAX_PER_INTENT = Number(process.env.NLU_BENCH_BAYES_PER_INTENT ?? 1_000_000);

interface Prediction {
  intent: string;
  confidence: number;
}
interface Model {
  predict(text: string): Prediction | Promise<Prediction>;
}
interface Trained {
  model: Model;
  note?: string;
  /** variants of the same trained model with other confidence calibrations, chosen between on .val */
  calibrations?: { label: string; model: Model }[];
}
interface Engine {
  name: string;
  /** trains a model; `kind` tells plain corpora from the knowledge pack */
  train(items: LabelledExample[], kind: 'corpus' | 'knowledge', dataset: string): Promise<Trained | { skip: string }>;
}

/** Softmax temperatures tried for our engine when a validation split exists (1 = uncalibrated). */
const CALIBRATION_TEMPERATURES = [1, 0.7, 0.5, 0.35];

interface Row {
  dataset: string;
  engine: string;
  n: number;
  accuracy?: number;
  macroF1?: number;
  inScopeAccuracy?: number;
  oosRecall?: number;
  threshold?: number;
  trainMs?: number;
  usPerUtterance?: number;
  note?: string;
}

// ---------------------------------------------------------------- dependencies

function ensureBenchDeps(): void {
  if (fs.existsSync(path.join(BENCH_DIR, 'node_modules', '@nlpjs', 'nlp', 'package.json'))) return;
  process.stderr.write('bench: installing nlp.js into bench/node_modules (bench/package.json)…\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['--prefix', BENCH_DIR, 'install', '--no-audit', '--no-fund', '--loglevel=error'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm install in bench/ failed');
}

// ---------------------------------------------------------------- data

function readJsonl(name: string): LabelledExample[] {
  const file = path.join(DATA_DIR, name);
  return parseLabelledJsonl(fs.readFileSync(file, 'utf8'), file);
}

function sampleByIntent(items: LabelledExample[], perIntent: number, seed = 1): LabelledExample[] {
  const by = new Map<string, LabelledExample[]>();
  for (const it of items) by.set(it.intent, [...(by.get(it.intent) ?? []), it]);
  const rand = mulberry32(seed);
  return [...by.values()].flatMap((list) => shuffleInPlace([...list], rand).slice(0, perIntent));
}

/** English contractions only for the public corpora: our domain slang is not about them. */
function corpusLexicon(lexicon: Lexicon): Lexicon {
  return { contractions: lexicon.contractions, slang: {}, skipPhrases: [], distressWords: [] };
}

// ---------------------------------------------------------------- engines

function reclaimEngine(lexicon: Lexicon): Engine {
  return {
    name: 'reclaim',
    async train(items, kind) {
      if (kind === 'knowledge') {
        // the product pipeline: knowledge lexicon, entity masking, OOS threshold
        const byIntent = new Map<string, string[]>();
        for (const t of items) byIntent.set(t.intent, [...(byIntent.get(t.intent) ?? []), t.text]);
        const nlu = trainNlu({ intents: [...byIntent].map(([name, examples]) => ({ name, examples })), lexicon }, { defaultRegion: 'US' });
        return {
          model: { predict: (t) => nlu.parse(t) },
          note: `parse() with threshold ${DEFAULT_OOS_THRESHOLD}`,
        };
      }
      const c = IntentClassifier.train(items, corpusLexicon(lexicon));
      return {
        model: { predict: (t) => c.top(t) },
        // temperature scaling: calibrated on .val together with the OOS threshold (CLINC150)
        calibrations: CALIBRATION_TEMPERATURES.map((temperature) => {
          const ct = c.withTemperature(temperature);
          return { label: `softmax temperature ${temperature}`, model: { predict: (t: string) => ct.top(t) } };
        }),
      };
    },
  };
}

function naturalEngine(kind: 'bayes' | 'logreg'): Engine {
  return {
    name: kind === 'bayes' ? 'natural-bayes' : 'natural-logreg',
    async train(items) {
      let note: string | undefined;
      const intents = new Set(items.map((i) => i.intent)).size;
      if (kind === 'logreg' && intents > LOGREG_MAX_INTENTS) {
        return { skip: `skipped: ${intents} intents > ${LOGREG_MAX_INTENTS} (dense one-vs-all gradient descent does not finish in minutes)` };
      }
      const cap = kind === 'logreg' ? LOGREG_MAX_PER_INTENT : BAYES_MAX_PER_INTENT;
      const sample = sampleByIntent(items, cap);
      if (sample.length < items.length) note = `trained on a sample: ≤ ${cap} examples per intent (${sample.length} of ${items.length})`;
      /* eslint-disable @typescript-eslint/no-require-imports */
      const Ctor =
        kind === 'bayes'
          ? require('natural/lib/natural/classifiers/bayes_classifier')
          : require('natural/lib/natural/classifiers/logistic_regression_classifier');
      /* eslint-enable @typescript-eslint/no-require-imports */
      const c = new Ctor();
      for (const it of sample) c.addDocument(it.text, it.intent);
      c.train();
      return {
        note,
        model: {
          predict(text: string): Prediction {
            const cls = c.getClassifications(text) as { label: string; value: number }[];
            if (!cls.length) return { intent: OUT_OF_SCOPE, confidence: 0 };
            // confidence: the share of the top score (Bayes values are tiny probabilities, LR's are sigmoids)
            const sum = cls.reduce((s, x) => s + x.value, 0);
            return { intent: cls[0].label, confidence: sum > 0 ? cls[0].value / sum : 0 };
          },
        },
      };
    },
  };
}

function nlpjsEngine(): Engine {
  return {
    name: 'nlpjs',
    async train(items) {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { containerBootstrap } = require(path.join(BENCH_DIR, 'node_modules/@nlpjs/core'));
      const { Nlp } = require(path.join(BENCH_DIR, 'node_modules/@nlpjs/nlp'));
      const { LangEn } = require(path.join(BENCH_DIR, 'node_modules/@nlpjs/lang-en-min'));
      /* eslint-enable @typescript-eslint/no-require-imports */
      const container = await containerBootstrap();
      // quiet: nlp.js warns on the console about every training phrase made only of stop words
      const quiet = () => undefined;
      container.register('logger', { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: quiet, error: quiet, fatal: quiet }, true);
      container.use(LangEn);
      const nlp = new Nlp(
        { languages: ['en'], autoSave: false, autoLoad: false, calculateSentiment: false, threshold: 0, nlu: { log: false }, log: false },
        container,
      );
      for (const it of items) nlp.addDocument('en', it.text, it.intent);
      await nlp.train();
      return {
        model: {
          async predict(text: string): Promise<Prediction> {
            const r = await nlp.process('en', text);
            const top = (r.classifications ?? [])[0];
            if (!top || top.intent === 'None') return { intent: OUT_OF_SCOPE, confidence: 0 };
            return { intent: top.intent, confidence: top.score };
          },
        },
        note: 'defaults (NluNeural); threshold 0 so the top class always counts',
      };
    },
  };
}

// ---------------------------------------------------------------- measuring

async function predictAll(model: Model, texts: string[]): Promise<{ preds: Prediction[]; us: number }> {
  const preds: Prediction[] = [];
  const t0 = performance.now();
  for (const t of texts) preds.push(await model.predict(t));
  let calls = texts.length;
  let elapsed = performance.now() - t0;
  // small test sets: repeat (after this warm-up pass) for a steadier figure
  if (calls < 2000 && elapsed < 2000) {
    const t1 = performance.now();
    let n = 0;
    while (n < 2000 && performance.now() - t1 < 2000) for (const t of texts) (await model.predict(t), n++);
    calls = n;
    elapsed = performance.now() - t1;
  }
  return { preds, us: (elapsed / calls) * 1000 };
}

function oosSplit(gold: string[], pred: string[]): { inScope: number; oosRecall: number } {
  let inOk = 0;
  let inN = 0;
  let oosOk = 0;
  let oosN = 0;
  gold.forEach((g, i) => {
    if (g === OUT_OF_SCOPE) {
      oosN++;
      if (pred[i] === OUT_OF_SCOPE) oosOk++;
    } else {
      inN++;
      if (pred[i] === g) inOk++;
    }
  });
  return { inScope: inN ? inOk / inN : 0, oosRecall: oosN ? oosOk / oosN : 0 };
}

const applyThreshold = (preds: Prediction[], t: number) => preds.map((p) => (p.confidence < t ? OUT_OF_SCOPE : p.intent));

/** The threshold with the best OOS recall on val whose in-scope accuracy stays within MAX_VAL_DROP of no threshold. */
function tuneThreshold(gold: string[], preds: Prediction[]): number {
  const base = oosSplit(gold, applyThreshold(preds, 0));
  let best = { t: 0, ...base };
  for (let i = 1; i <= 99; i++) {
    const t = i / 100;
    const s = oosSplit(gold, applyThreshold(preds, t));
    if (s.inScope >= base.inScope - MAX_VAL_DROP && s.oosRecall > best.oosRecall) best = { t, ...s };
  }
  return best.t;
}

async function benchSplit(engine: Engine, dataset: string, train: LabelledExample[], test: LabelledExample[], val?: LabelledExample[]): Promise<Row> {
  const t0 = performance.now();
  const trained = await engine.train(train, 'corpus', dataset);
  const trainMs = performance.now() - t0;
  if ('skip' in trained) return { dataset, engine: engine.name, n: test.length, note: trained.skip };
  let { model, note } = trained;
  let threshold = 0;
  if (val) {
    // calibration (if the engine offers several) and OOS threshold, both chosen on .val only
    const valGold = val.map((v) => v.intent);
    let best: { recall: number; threshold: number; model: Model; label?: string } | undefined;
    for (const cand of trained.calibrations ?? [{ label: undefined, model }]) {
      const valPreds: Prediction[] = [];
      for (const v of val) valPreds.push(await cand.model.predict(v.text));
      const t = tuneThreshold(valGold, valPreds);
      const recall = oosSplit(valGold, applyThreshold(valPreds, t)).oosRecall;
      if (!best || recall > best.recall) best = { recall, threshold: t, model: cand.model, label: cand.label };
    }
    model = best!.model;
    threshold = best!.threshold;
    if (best!.label && trained.calibrations) note = [note, `${best!.label} (chosen on .val)`].filter(Boolean).join('; ');
  }
  const gold = test.map((t) => t.intent);
  const { preds, us } = await predictAll(model, test.map((t) => t.text));
  const row: Row = { dataset, engine: engine.name, n: test.length, trainMs, usPerUtterance: us, note };
  if (val) row.threshold = threshold;
  const predicted = applyThreshold(preds, threshold);
  const r = evaluatePredictions(gold, predicted);
  row.accuracy = r.accuracy;
  row.macroF1 = r.macroF1;
  if (gold.includes(OUT_OF_SCOPE)) {
    const s = oosSplit(gold, predicted);
    row.inScopeAccuracy = s.inScope;
    row.oosRecall = s.oosRecall;
  }
  return row;
}

async function benchCrossValidation(engine: Engine, items: LabelledExample[], k = 5, seed = 7): Promise<Row> {
  const gold: string[] = [];
  const predicted: string[] = [];
  let trainMs = 0;
  let usSum = 0;
  let note: string | undefined;
  for (const fold of stratifiedKFold(items, k, seed)) {
    const t0 = performance.now();
    const trained = await engine.train(fold.train, 'knowledge', 'knowledge');
    trainMs += performance.now() - t0;
    if ('skip' in trained) return { dataset: 'knowledge (5-fold CV)', engine: engine.name, n: items.length, note: trained.skip };
    note = trained.note;
    const { preds, us } = await predictAll(trained.model, fold.test.map((t) => t.text));
    usSum += us;
    for (let i = 0; i < fold.test.length; i++) {
      gold.push(fold.test[i].intent);
      predicted.push(preds[i].intent);
    }
  }
  const r = evaluatePredictions(gold, predicted);
  const s = oosSplit(gold, predicted);
  return {
    dataset: 'knowledge (5-fold CV)',
    engine: engine.name,
    n: items.length,
    accuracy: r.accuracy,
    macroF1: r.macroF1,
    inScopeAccuracy: s.inScope,
    oosRecall: s.oosRecall,
    trainMs: trainMs / k,
    usPerUtterance: usSum / k,
    note: [note, 'train = mean per fold'].filter(Boolean).join('; '),
  };
}

// ---------------------------------------------------------------- report

/** `tried`: what was measured (on .train / .val only) to reach the target, printed when it is missed. */
const TARGETS: { dataset: string; label: string; check: (r: Row) => [boolean, string]; tried?: string }[] = [
  { dataset: 'braun-chatbot', label: 'Braun Chatbot accuracy ≥ 0.99', check: (r) => [(r.accuracy ?? 0) >= 0.99, fmt3(r.accuracy)] },
  {
    dataset: 'braun-askubuntu',
    label: 'Braun AskUbuntu accuracy ≥ 0.95',
    check: (r) => [(r.accuracy ?? 0) >= 0.95, fmt3(r.accuracy)],
    tried:
      '5-fold CV on .train (3 seeds): char n-gram weight 0.3/0.5/1, 2–5-grams, no bigrams, unstemmed words, L2, epochs, typo correction off: ' +
      '90.6–92.5 %, noise level on 53 questions; kept intent names as examples (CV 91.8 → 92.5 %)',
  },
  {
    dataset: 'braun-webapps',
    label: 'Braun WebApplications accuracy ≥ 0.87',
    check: (r) => [(r.accuracy ?? 0) >= 0.87, fmt3(r.accuracy)],
    tried:
      'intent names as examples (CV on .train 78.9 → 84.4 %; test 0.712 → 0.780); feature and optimiser settings as for AskUbuntu stay ' +
      'within CV noise (30 training questions, 1–2 for three intents)',
  },
  {
    dataset: 'clinc150',
    label: 'CLINC150 in-scope accuracy ≥ 93 % with OOS recall ≥ 60 %',
    check: (r) => [(r.inScopeAccuracy ?? 0) >= 0.93 && (r.oosRecall ?? 0) >= 0.6, `${pct(r.inScopeAccuracy)} / ${pct(r.oosRecall)}`],
    tried:
      'in-scope accuracy with no threshold is 93.3–93.7 % on .val for every setting tried (char 3–5-grams, char weight 0.2/0.5, skip-bigrams, ' +
      'unstemmed words, learning rate 0.1/0.5, averaging, 12–20 epochs, typo correction off) and 92.8 % on .test, and a threshold can only lower it; ' +
      'temperature scaling chosen on .val raises OOS recall at the same in-scope cost',
  },
  { dataset: 'clinc150', label: 'CLINC150 training < 30 s', check: (r) => [(r.trainMs ?? Infinity) < 30_000, `${((r.trainMs ?? 0) / 1000).toFixed(1)} s`] },
  {
    dataset: 'clinc150',
    label: 'CLINC150 < 100 µs per utterance',
    check: (r) => [(r.usPerUtterance ?? Infinity) < 100, `${(r.usPerUtterance ?? 0).toFixed(1)} µs`],
    tried:
      'wall clock, so it depends on the machine\'s load (see the load average above): 60–70 µs on .val when the machine was quieter, ' +
      '145–360 µs with a load average of 6 on 2 cores; about half is the 151-class scoring of ~70 features, half normalisation and hashing',
  },
  {
    dataset: 'knowledge (5-fold CV)',
    label: 'knowledge pack CV accuracy ≥ 0.95',
    check: (r) => [(r.accuracy ?? 0) >= 0.95, fmt3(r.accuracy)],
  },
];

const fmt3 = (x?: number) => (x === undefined ? '—' : x.toFixed(3));
const pct = (x?: number) => (x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);

function table(rows: Row[]): string {
  const head = ['dataset', 'engine', 'n', 'accuracy', 'macro-F1', 'in-scope', 'OOS rec.', 'train', 'µs/utt'];
  const body = rows.map((r) => [
    r.dataset,
    r.engine,
    String(r.n),
    fmt3(r.accuracy),
    fmt3(r.macroF1),
    r.inScopeAccuracy === undefined ? '' : pct(r.inScopeAccuracy),
    r.oosRecall === undefined ? '' : pct(r.oosRecall),
    r.trainMs === undefined ? '—' : r.trainMs >= 10_000 ? `${(r.trainMs / 1000).toFixed(1)} s` : `${r.trainMs.toFixed(0)} ms`,
    r.usPerUtterance === undefined ? '—' : r.usPerUtterance.toFixed(1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const right = new Set([2, 3, 4, 5, 6, 7, 8]);
  const line = (cells: string[]) => cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  const notes = rows.filter((r) => r.note || r.threshold !== undefined);
  if (notes.length) {
    out.push('', 'notes:');
    for (const r of notes) {
      const bits = [r.threshold !== undefined ? `OOS threshold ${r.threshold.toFixed(2)} (tuned on .val)` : '', r.note ?? ''].filter(Boolean);
      out.push(`  ${r.dataset} / ${r.engine}: ${bits.join('; ')}`);
    }
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- main

const ALL_DATASETS = ['braun-chatbot', 'braun-askubuntu', 'braun-webapps', 'clinc150', 'bitext', 'knowledge'];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const datasets = opt('datasets')?.split(',') ?? ALL_DATASETS;
  const engineNames = opt('engines')?.split(',') ?? ['reclaim', 'natural-bayes', 'natural-logreg', 'nlpjs'];
  if (engineNames.includes('nlpjs')) ensureBenchDeps();

  const knowledge = loadKnowledge(path.join(ROOT, 'knowledge'));
  const lexicon = knowledge.nlu.lexicon;
  const engines: Engine[] = [
    reclaimEngine(lexicon),
    naturalEngine('bayes'),
    naturalEngine('logreg'),
    nlpjsEngine(),
  ].filter((e) => engineNames.includes(e.name));

  const rows: Row[] = [];
  const loadAtStart = os.loadavg();
  const startedAt = new Date().toISOString();
  const started = performance.now();
  for (const dataset of datasets) {
    for (const engine of engines) {
      process.stderr.write(`bench: ${dataset} / ${engine.name}…\n`);
      let row: Row;
      if (dataset === 'knowledge') {
        const items = knowledge.nlu.intents.flatMap((i) => i.examples.map((text) => ({ text, intent: i.name })));
        row = await benchCrossValidation(engine, items);
      } else if (dataset === 'clinc150') {
        row = await benchSplit(engine, dataset, readJsonl('clinc150.train.jsonl'), readJsonl('clinc150.test.jsonl'), readJsonl('clinc150.val.jsonl'));
      } else {
        row = await benchSplit(engine, dataset, readJsonl(`${dataset}.train.jsonl`), readJsonl(`${dataset}.test.jsonl`));
      }
      rows.push(row);
      process.stderr.write(
        `bench:   ${row.note?.startsWith('skipped') ? row.note : `acc ${fmt3(row.accuracy)}, train ${((row.trainMs ?? 0) / 1000).toFixed(1)} s, ${(row.usPerUtterance ?? 0).toFixed(0)} µs/utt`}\n`,
      );
    }
  }
  const totalS = (performance.now() - started) / 1000;

  const lines = [
    `NLU benchmark — started ${startedAt} — node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ` +
      `load average ${loadAtStart.map((x) => x.toFixed(1)).join(' ')} at start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at end (timings are wall clock)`,
    '',
    table(rows),
    '',
    `Targets for reclaim (issue 3):`,
  ];
  const targetResults: { target: string; met: boolean; value: string; tried?: string }[] = [];
  for (const t of TARGETS) {
    const r = rows.find((x) => x.dataset.startsWith(t.dataset) && x.engine === 'reclaim');
    if (!r) continue;
    const [met, value] = t.check(r);
    targetResults.push({ target: t.label, met, value, ...(met || !t.tried ? {} : { tried: t.tried }) });
    lines.push(`  ${met ? 'met   ' : 'MISSED'}  ${t.label}: ${value}`);
    if (!met && t.tried) lines.push(`          tried: ${t.tried}`);
  }
  lines.push('', `total ${totalS.toFixed(0)} s; figures written to ${path.relative(process.cwd(), RESULTS)}`);
  console.log(lines.join('\n'));

  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(
    RESULTS,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpus: os.cpus().length,
        loadAverage: { start: loadAtStart, end: os.loadavg() },
        protocol: {
          clincValDrop: MAX_VAL_DROP,
          logregMaxPerIntent: LOGREG_MAX_PER_INTENT,
          logregMaxIntents: LOGREG_MAX_INTENTS,
          knowledgeFolds: 5,
          knowledgeSeed: 7,
        },
        rows,
        targets: targetResults,
        startedAt,
        totalSeconds: totalS,
      },
      null,
      2,
    ) + '\n',
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
