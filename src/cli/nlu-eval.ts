/**
 * `reclaim nlu eval`: how well does the intent classifier understand a set of labelled
 * messages? For support content authors checking a change to knowledge/nlu (like `rasa test nlu`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadKnowledge, KnowledgeError } from '../knowledge';
import { DEFAULT_OOS_THRESHOLD, OUT_OF_SCOPE, trainNlu, type Lexicon, type NluTrainingData } from '../nlu';
import { evaluatePredictions, stratifiedKFold, type EvaluationReport } from '../nlu/evaluate';
import { JsonlError, parseLabelledJsonl, type LabelledExample } from '../nlu/jsonl';
import { UsageError, type CliIO } from './reclaim';
import { ROOT } from '../paths';

export const USAGE = `Usage: reclaim nlu eval [--test FILE | --folds K] [--train FILE] [options]

Trains the intent classifier and reports how well it recognises labelled messages.

Data files are JSON Lines, one {"text": "...", "intent": "..."} per line.

  --test FILE        evaluate on this file
  --train FILE       train a fresh model on this file alone (default: the knowledge pack)
  --folds K          K-fold stratified cross-validation on the training data instead of a
                     test file (the default is --folds 5 when no --test is given)
  --json             print one JSON object instead of the readable report
  --knowledge DIR    knowledge pack directory (default: KNOWLEDGE_DIR or ./knowledge)
  --threshold X      out-of-scope confidence threshold (default ${DEFAULT_OOS_THRESHOLD})
  --seed N           seed of the cross-validation split (default 7)
  --errors N         misclassified examples to list (default: 30 in the readable report,
                     none in --json, which then gives only their count)
  -h, --help         show this help

Exit codes: 0 done, 1 unreadable data (the file, line and reason are printed), 2 bad usage.`;

const EMPTY_LEXICON: Lexicon = { contractions: {}, slang: {}, skipPhrases: [], distressWords: [] };

interface Prediction {
  text: string;
  intent: string;
  predicted: string;
  confidence: number;
}

export interface NluEvalResult {
  mode: 'test' | 'cross-validation';
  train: string;
  test?: string;
  folds?: number;
  n: number;
  accuracy: number;
  macroF1: number;
  inScopeAccuracy?: number;
  oosRecall?: number;
  perIntent: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  confusion: Record<string, Record<string, number>>;
  topConfusions: { intent: string; predicted: string; count: number }[];
  /** in --json output only with --errors N (then at most N); `misclassifiedCount` is always there */
  misclassified: { text: string; intent: string; predicted: string; confidence: number }[];
  oosThreshold: number;
  trainingMs: number;
}

function toTrainingData(items: LabelledExample[], lexicon: Lexicon): NluTrainingData {
  const byIntent = new Map<string, string[]>();
  for (const it of items) {
    const list = byIntent.get(it.intent);
    if (list) list.push(it.text);
    else byIntent.set(it.intent, [it.text]);
  }
  return { intents: [...byIntent].map(([name, examples]) => ({ name, examples })), lexicon };
}

function readData(file: string): LabelledExample[] {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new JsonlError(file, 0, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseLabelledJsonl(content, file);
}

function defaultKnowledgeDir(): string {
  const fromEnv = process.env.KNOWLEDGE_DIR;
  if (fromEnv && fromEnv.trim()) return path.resolve(fromEnv);
  const local = path.resolve('knowledge');
  if (fs.existsSync(path.join(local, 'nlu'))) return local;
  return path.join(ROOT, 'knowledge');
}

function num(name: string, value: string | undefined, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`--${name} must be ${what} (got "${value}")`);
  return n;
}

function summarise(
  predictions: Prediction[],
  base: Pick<NluEvalResult, 'mode' | 'train' | 'test' | 'folds' | 'oosThreshold' | 'trainingMs'>,
): NluEvalResult {
  const gold = predictions.map((p) => p.intent);
  const pred = predictions.map((p) => p.predicted);
  const report: EvaluationReport = evaluatePredictions(gold, pred);
  const result: NluEvalResult = {
    ...base,
    n: report.total,
    accuracy: report.accuracy,
    macroF1: report.macroF1,
    perIntent: Object.fromEntries(
      report.perIntent.map((m) => [m.intent, { precision: m.precision, recall: m.recall, f1: m.f1, support: m.support }]),
    ),
    confusion: report.confusion,
    topConfusions: [],
    misclassified: predictions
      .filter((p) => p.predicted !== p.intent)
      .map((p) => ({ text: p.text, intent: p.intent, predicted: p.predicted, confidence: round(p.confidence) })),
  };
  if (gold.includes(OUT_OF_SCOPE)) {
    const inScope = predictions.filter((p) => p.intent !== OUT_OF_SCOPE);
    const oos = predictions.filter((p) => p.intent === OUT_OF_SCOPE);
    result.inScopeAccuracy = inScope.length ? inScope.filter((p) => p.predicted === p.intent).length / inScope.length : 0;
    result.oosRecall = oos.filter((p) => p.predicted === OUT_OF_SCOPE).length / oos.length;
  }
  const pairs: NluEvalResult['topConfusions'] = [];
  for (const [g, row] of Object.entries(report.confusion)) {
    for (const [p, count] of Object.entries(row)) if (g !== p) pairs.push({ intent: g, predicted: p, count });
  }
  pairs.sort((a, b) => b.count - a.count || a.intent.localeCompare(b.intent) || a.predicted.localeCompare(b.predicted));
  result.topConfusions = pairs.slice(0, 10);
  return result;
}

const round = (x: number) => Math.round(x * 10000) / 10000;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatEvalReport(r: NluEvalResult, maxErrors: number): string {
  const lines: string[] = [];
  const source = r.mode === 'test' ? `test file ${r.test}` : `${r.folds}-fold cross-validation`;
  lines.push(`NLU evaluation: ${source}; trained on ${r.train}; out-of-scope threshold ${r.oosThreshold}`);
  lines.push('');
  lines.push(`  accuracy   ${pct(r.accuracy)}  (${Math.round(r.accuracy * r.n)}/${r.n})`);
  lines.push(`  macro-F1   ${pct(r.macroF1)}`);
  if (r.inScopeAccuracy !== undefined) lines.push(`  in-scope accuracy  ${pct(r.inScopeAccuracy)}`);
  if (r.oosRecall !== undefined) lines.push(`  out-of-scope recall  ${pct(r.oosRecall)}`);
  lines.push('');
  const names = Object.keys(r.perIntent);
  const width = Math.max(12, ...names.map((n) => n.length));
  const col = (x: number) => (x * 100).toFixed(1).padStart(9);
  lines.push(`  ${'intent'.padEnd(width)}  precision   recall       F1  support`);
  for (const name of names) {
    const m = r.perIntent[name];
    lines.push(`  ${name.padEnd(width)}  ${col(m.precision)}${col(m.recall)}${col(m.f1)}  ${String(m.support).padStart(7)}`);
  }
  lines.push('');
  if (r.topConfusions.length === 0) lines.push('Most frequent confusions: none');
  else {
    lines.push('Most frequent confusions (expected → predicted):');
    for (const c of r.topConfusions) lines.push(`  ${String(c.count).padStart(4)}  ${c.intent} → ${c.predicted}`);
  }
  lines.push('');
  if (r.misclassified.length === 0) lines.push('Misclassified examples: none');
  else {
    lines.push(`Misclassified examples (${r.misclassified.length}):`);
    for (const e of r.misclassified.slice(0, maxErrors)) {
      lines.push(`  ${JSON.stringify(e.text)}  expected ${e.intent}, got ${e.predicted} (${e.confidence.toFixed(2)})`);
    }
    if (r.misclassified.length > maxErrors) lines.push(`  … and ${r.misclassified.length - maxErrors} more (--errors N to list more, --json for all)`);
  }
  return lines.join('\n');
}

export async function run(args: string[], io: CliIO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        test: { type: 'string' },
        train: { type: 'string' },
        folds: { type: 'string' },
        json: { type: 'boolean', default: false },
        knowledge: { type: 'string' },
        threshold: { type: 'string' },
        seed: { type: 'string' },
        errors: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const o = parsed.values;
  if (o.help) {
    io.out(USAGE);
    return 0;
  }
  if (o.test !== undefined && o.folds !== undefined) throw new UsageError('use either --test FILE or --folds K, not both');
  const folds = num('folds', o.folds, (n) => Number.isInteger(n) && n >= 2, 'an integer ≥ 2') ?? (o.test === undefined ? 5 : undefined);
  const threshold = num('threshold', o.threshold, (n) => n >= 0 && n <= 1, 'between 0 and 1') ?? DEFAULT_OOS_THRESHOLD;
  const seed = num('seed', o.seed, Number.isInteger, 'an integer') ?? 7;
  const maxErrors = num('errors', o.errors, (n) => Number.isInteger(n) && n >= 0, 'a whole number') ?? 30;

  let lexicon = EMPTY_LEXICON;
  let trainItems: LabelledExample[];
  let trainName: string;
  let test: LabelledExample[] | undefined;
  try {
    // the knowledge pack's lexicon (contractions, slang) normalises text even for --train data
    const dir = o.knowledge !== undefined ? path.resolve(o.knowledge) : defaultKnowledgeDir();
    let knowledgeNlu: NluTrainingData | undefined;
    try {
      knowledgeNlu = loadKnowledge(dir).nlu;
      lexicon = knowledgeNlu.lexicon;
    } catch (err) {
      if (o.train === undefined || o.knowledge !== undefined) throw err;
    }
    if (o.train !== undefined) {
      trainItems = readData(o.train);
      trainName = o.train;
    } else {
      trainItems = knowledgeNlu!.intents.flatMap((i) => i.examples.map((text) => ({ text, intent: i.name })));
      trainName = `the knowledge pack (${path.relative(process.cwd(), dir) || '.'})`;
    }
    if (o.test !== undefined) test = readData(o.test);
  } catch (err) {
    if (err instanceof JsonlError) {
      io.err(err.line > 0 ? `reclaim nlu eval: ${err.file}, line ${err.line}: ${err.reason}` : `reclaim nlu eval: ${err.file}: ${err.reason}`);
      return 1;
    }
    if (err instanceof KnowledgeError) {
      io.err(`reclaim nlu eval: ${err.message}`);
      return 1;
    }
    throw err;
  }

  const options = { defaultRegion: 'US' as const, oosThreshold: threshold };
  const predictions: Prediction[] = [];
  let trainingMs = 0;
  const predictWith = (nlu: ReturnType<typeof trainNlu>, items: LabelledExample[]) => {
    for (const it of items) {
      const r = nlu.parse(it.text);
      predictions.push({ text: it.text, intent: it.intent, predicted: r.intent, confidence: r.confidence });
    }
  };
  let result: NluEvalResult;
  if (test) {
    const t0 = performance.now();
    const nlu = trainNlu(toTrainingData(trainItems, lexicon), options);
    trainingMs = performance.now() - t0;
    predictWith(nlu, test);
    result = summarise(predictions, { mode: 'test', train: trainName, test: o.test, oosThreshold: threshold, trainingMs: Math.round(trainingMs) });
  } else {
    const k = folds as number;
    const counts = new Map<string, number>();
    for (const it of trainItems) counts.set(it.intent, (counts.get(it.intent) ?? 0) + 1);
    if (trainItems.length < k) {
      io.err(`reclaim nlu eval: ${trainName} has ${trainItems.length} examples, fewer than the ${k} folds`);
      return 1;
    }
    for (const fold of stratifiedKFold(trainItems, k, seed)) {
      const t0 = performance.now();
      const nlu = trainNlu(toTrainingData(fold.train, lexicon), options);
      trainingMs += performance.now() - t0;
      predictWith(nlu, fold.test);
    }
    result = summarise(predictions, { mode: 'cross-validation', train: trainName, folds: k, oosThreshold: threshold, trainingMs: Math.round(trainingMs / k) });
  }

  if (o.json) {
    // the misclassified examples only on request (--errors N): the figures stay short to read and diff
    const { misclassified, ...figures } = result;
    const out = { ...figures, misclassifiedCount: misclassified.length, ...(o.errors !== undefined ? { misclassified: misclassified.slice(0, maxErrors) } : {}) };
    io.out(JSON.stringify(out, null, 2));
  }
  else io.out(formatEvalReport(result, maxErrors));
  return 0;
}
