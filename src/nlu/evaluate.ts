/**
 * Evaluation helpers for intent classifiers: stratified k-fold splits, accuracy, macro-F1,
 * per-intent precision/recall/F1 and the confusion counts. Pure functions, no I/O.
 */
import { mulberry32, shuffleInPlace } from './linear';

export interface Labelled {
  text: string;
  intent: string;
}

export interface Fold<T> {
  train: T[];
  test: T[];
}

/**
 * Stratified k-fold: each intent's examples are shuffled (seeded) and dealt round-robin over
 * the k folds, so every fold has about the same share of each intent.
 */
export function stratifiedKFold<T extends { intent: string }>(items: T[], k: number, seed = 1): Fold<T>[] {
  if (k < 2) throw new Error('k must be at least 2');
  const rand = mulberry32(seed);
  const byIntent = new Map<string, number[]>();
  items.forEach((item, i) => {
    const list = byIntent.get(item.intent);
    if (list) list.push(i);
    else byIntent.set(item.intent, [i]);
  });
  const foldOf = new Int32Array(items.length);
  let offset = 0;
  for (const intent of [...byIntent.keys()].sort()) {
    const idx = shuffleInPlace(byIntent.get(intent) as number[], rand);
    idx.forEach((i, j) => (foldOf[i] = (j + offset) % k));
    offset += idx.length; // rotate so small intents do not all start in fold 0
  }
  const folds: Fold<T>[] = [];
  for (let f = 0; f < k; f++) {
    folds.push({
      train: items.filter((_, i) => foldOf[i] !== f),
      test: items.filter((_, i) => foldOf[i] === f),
    });
  }
  return folds;
}

export interface IntentMetrics {
  intent: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface EvaluationReport {
  total: number;
  correct: number;
  accuracy: number;
  macroF1: number;
  perIntent: IntentMetrics[];
  /** confusion[gold][predicted] = count */
  confusion: Record<string, Record<string, number>>;
}

export function accuracy(gold: string[], predicted: string[]): number {
  if (gold.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === predicted[i]) ok++;
  return ok / gold.length;
}

export function confusionMatrix(gold: string[], predicted: string[]): Record<string, Record<string, number>> {
  const m: Record<string, Record<string, number>> = {};
  for (let i = 0; i < gold.length; i++) {
    const row = (m[gold[i]] ??= {});
    row[predicted[i]] = (row[predicted[i]] ?? 0) + 1;
  }
  return m;
}

/** Per-intent P/R/F1 over the intents that occur in the gold labels (macro-F1 averages these). */
export function perIntentMetrics(gold: string[], predicted: string[]): IntentMetrics[] {
  const labels = [...new Set(gold)].sort();
  const tp = new Map<string, number>();
  const fp = new Map<string, number>();
  const fn = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < gold.length; i++) {
    if (gold[i] === predicted[i]) inc(tp, gold[i]);
    else {
      inc(fp, predicted[i]);
      inc(fn, gold[i]);
    }
  }
  return labels.map((intent) => {
    const t = tp.get(intent) ?? 0;
    const p = t + (fp.get(intent) ?? 0);
    const r = t + (fn.get(intent) ?? 0);
    const precision = p ? t / p : 0;
    const recall = r ? t / r : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    return { intent, precision, recall, f1, support: r };
  });
}

export function macroF1(gold: string[], predicted: string[]): number {
  const per = perIntentMetrics(gold, predicted);
  return per.length ? per.reduce((s, m) => s + m.f1, 0) / per.length : 0;
}

export function evaluatePredictions(gold: string[], predicted: string[]): EvaluationReport {
  const perIntent = perIntentMetrics(gold, predicted);
  const correct = gold.reduce((n, g, i) => n + (g === predicted[i] ? 1 : 0), 0);
  return {
    total: gold.length,
    correct,
    accuracy: gold.length ? correct / gold.length : 0,
    macroF1: perIntent.length ? perIntent.reduce((s, m) => s + m.f1, 0) / perIntent.length : 0,
    perIntent,
    confusion: confusionMatrix(gold, predicted),
  };
}

export interface CrossValidationResult extends EvaluationReport {
  k: number;
  /** misclassified test items across all folds */
  errors: { text: string; gold: string; predicted: string }[];
}

/**
 * k-fold cross-validation: `train` builds a predictor from the training part of each fold,
 * and the predictions on every held-out item are pooled into one report.
 */
export function crossValidate<T extends Labelled>(
  items: T[],
  train: (trainItems: T[]) => (text: string) => string,
  k = 5,
  seed = 1,
): CrossValidationResult {
  const gold: string[] = [];
  const predicted: string[] = [];
  const errors: CrossValidationResult['errors'] = [];
  for (const fold of stratifiedKFold(items, k, seed)) {
    const predict = train(fold.train);
    for (const item of fold.test) {
      const p = predict(item.text);
      gold.push(item.intent);
      predicted.push(p);
      if (p !== item.intent) errors.push({ text: item.text, gold: item.intent, predicted: p });
    }
  }
  return { ...evaluatePredictions(gold, predicted), k, errors };
}

/** Most frequent confusions, "gold → predicted: count", largest first. */
export function topConfusions(confusion: EvaluationReport['confusion'], limit = 10): string[] {
  const pairs: [string, string, number][] = [];
  for (const [g, row] of Object.entries(confusion)) for (const [p, n] of Object.entries(row)) if (g !== p) pairs.push([g, p, n]);
  pairs.sort((a, b) => b[2] - a[2] || a[0].localeCompare(b[0]));
  return pairs.slice(0, limit).map(([g, p, n]) => `${g} → ${p}: ${n}`);
}

/** Plain-text table of the per-intent metrics plus the totals. */
export function formatReport(report: EvaluationReport, title = 'NLU evaluation'): string {
  const width = Math.max(12, ...report.perIntent.map((m) => m.intent.length));
  const pct = (x: number) => (x * 100).toFixed(1).padStart(6);
  const lines = [
    title,
    `${'intent'.padEnd(width)}  precis  recall      F1  support`,
    ...report.perIntent.map(
      (m) => `${m.intent.padEnd(width)}  ${pct(m.precision)}  ${pct(m.recall)}  ${pct(m.f1)}  ${String(m.support).padStart(7)}`,
    ),
    `${'accuracy'.padEnd(width)}  ${pct(report.accuracy)}  (${report.correct}/${report.total})`,
    `${'macro-F1'.padEnd(width)}  ${pct(report.macroF1)}`,
  ];
  return lines.join('\n');
}
