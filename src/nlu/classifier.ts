import { DEFAULT_MODEL_OPTIONS, FeatureSpace, Featurizer, type SparseVector } from './features';
import { SoftmaxRegression } from './linear';
import { Normalizer, foldText, splitWords } from './normalize';
import { TypoCorrector } from './typo';
import type { IntentScore, Lexicon, ModelOptions } from './types';

export interface LabelledText {
  text: string;
  intent: string;
}

/** A trained intent classifier: normalisation + features + softmax regression. */
export class IntentClassifier {
  private readonly buffer: Float64Array;

  private constructor(
    readonly labels: string[],
    readonly normalizer: Normalizer,
    private readonly featurizer: Featurizer,
    private readonly space: FeatureSpace,
    private readonly model: SoftmaxRegression,
    readonly options: ModelOptions,
  ) {
    this.buffer = new Float64Array(labels.length);
  }

  static train(examples: LabelledText[], lexicon: Lexicon, options: Partial<ModelOptions> = {}): IntentClassifier {
    const opts: ModelOptions = { ...DEFAULT_MODEL_OPTIONS, ...options };
    // automatic epochs: about 30,000 updates in all, between 6 and 50 passes over the data
    if (!opts.epochs) opts.epochs = Math.min(50, Math.max(6, Math.round(30_000 / examples.length)));
    if (examples.length === 0) throw new Error('NLU training data has no examples');
    const labels = [...new Set(examples.map((e) => e.intent))].sort();
    const labelIndex = new Map(labels.map((l, i) => [l, i]));
    const rawWords = new Set<string>();
    for (const e of examples) for (const w of splitWords(foldText(e.text))) rawWords.add(w);
    const normalizer = new Normalizer(lexicon, rawWords);
    const featurizer = new Featurizer(normalizer, opts);
    const frequency = new Map<string, number>();
    const wordLists = examples.map((e) => featurizer.words(e.text));
    for (const ws of wordLists) for (const w of ws) frequency.set(w, (frequency.get(w) ?? 0) + 1);
    normalizer.addVocabulary(frequency.keys());
    featurizer.corrector = new TypoCorrector(frequency);
    const featureLists = examples.map((e) => featurizer.features(e.text));
    const space = FeatureSpace.fit(featureLists, opts.charWeight, opts.minDf);
    const xs: SparseVector[] = featureLists.map((f) => space.vectorize(f));
    const ys = Int32Array.from(examples.map((e) => labelIndex.get(e.intent) as number));
    const model = new SoftmaxRegression(space.size, labels.length);
    model.train(xs, ys, opts);
    return new IntentClassifier(labels, normalizer, featurizer, space, model, opts);
  }

  /** Probabilities of every label, in `labels` order (the returned array is reused). */
  probabilities(text: string): Float64Array {
    const x = this.space.vectorize(this.featurizer.features(text));
    return this.model.predict(x, this.options.temperature, this.buffer);
  }

  /** All labels ranked by descending confidence. */
  rank(text: string, limit = this.labels.length): IntentScore[] {
    const p = this.probabilities(text);
    const order = this.labels.map((_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
    return order.slice(0, limit).map((i) => ({ intent: this.labels[i], confidence: p[i] }));
  }

  /** Best label and its confidence. */
  top(text: string): IntentScore {
    const p = this.probabilities(text);
    let best = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
    return { intent: this.labels[best], confidence: p[best] };
  }

  get featureCount(): number {
    return this.space.size;
  }
}
