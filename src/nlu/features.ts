import PorterStemmer from 'natural/lib/natural/stemmers/porter_stemmer';
import AggressiveTokenizer from 'natural/lib/natural/tokenizers/aggressive_tokenizer';
import { TICKET_REF_RE } from './entities';
import { Normalizer, foldText } from './normalize';
import { TypoCorrector } from './typo';
import type { ModelOptions } from './types';

// Local aliases: global lookups are slow in some hosts (e.g. jest's vm contexts) in hot loops.
const { imul, log, sqrt } = Math;

export interface SparseVector {
  index: Int32Array;
  value: Float32Array;
}

const tokenizer = new AggressiveTokenizer();

const stemCache = new Map<string, string>();
export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = /^x[a-z]+x$/.test(word) ? word : PorterStemmer.stem(word);
    if (stemCache.size > 200_000) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/** Tokenises normalised text with natural's aggressive tokenizer (drops leftover punctuation). */
export function tokenize(normalized: string): string[] {
  return tokenizer.tokenize(normalized).flatMap((t) => t.split(/['\-/]+/).filter(Boolean));
}

const MASKS: [RegExp, string][] = [
  [/[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu, ' xemailx '],
  [new RegExp(TICKET_REF_RE.source, 'gi'), ' xticketx '],
  [/(?<![\p{L}\p{N}_.@])@[\p{L}\p{N}_.]{2,}/gu, ' xhandlex '],
  [/\+?\d[\d\s().-]{5,}\d/g, ' xnumberx '],
];

/** Replaces e-mails, ticket references, handles and long numbers by placeholder words. */
export function maskEntities(text: string): string {
  let t = text.normalize('NFKC');
  for (const [re, token] of MASKS) t = t.replace(re, token);
  return t;
}

export const DEFAULT_MODEL_OPTIONS: ModelOptions = {
  charMin: 3,
  charMax: 5,
  charWeight: 0.5,
  bigrams: true,
  typoCorrection: true,
  epochs: 12,
  learningRate: 0.5,
  l2: 1e-6,
  average: false,
  updateThreshold: 1e-2,
  seed: 42,
  minDf: 1,
  temperature: 1,
};

/** 32-bit FNV-1a style hash of a string, seeded by feature kind. */
function hashString(s: string, seed: number): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return h | 0;
}

const SEED_WORD = 0x9e3779b1;
const SEED_BIGRAM = 0x85ebca6b;
const SEED_CHAR = 0xc2b2ae35;

/** Hashed feature ids of one message: [word block, char block]. */
export type FeatureIds = [number[], number[]];

/**
 * Turns a message into hashed feature ids: stemmed word unigrams and bigrams (with sentence
 * boundaries) and character n-grams of the normalised text. Weighting (sub-linear tf × idf,
 * L2-normalised per block) is applied by {@link FeatureSpace}.
 */
export class Featurizer {
  corrector?: TypoCorrector;

  constructor(
    readonly normalizer: Normalizer,
    readonly options: ModelOptions,
  ) {}

  /** Normalised, masked words of a message (before typo correction). */
  words(text: string): string[] {
    return tokenize(this.normalizer.words(maskEntities(text)).join(' '));
  }

  features(text: string): FeatureIds {
    let words = this.words(text);
    if (this.corrector && this.options.typoCorrection) {
      const c = this.corrector;
      words = words.map((w) => c.correct(w));
    }
    const wf: number[] = [];
    let prev = hashString('^', SEED_BIGRAM);
    for (const w of words) {
      const h = hashString(stem(w), SEED_WORD);
      wf.push(h);
      if (this.options.bigrams) {
        wf.push(imul(prev ^ h, 0x27d4eb2d) ^ SEED_BIGRAM);
        prev = h;
      }
    }
    if (this.options.bigrams) wf.push(imul(prev ^ hashString('$', SEED_BIGRAM), 0x27d4eb2d) ^ SEED_BIGRAM);
    const cf: number[] = [];
    if (this.options.charWeight > 0) {
      const t = ' ' + words.join(' ') + ' ';
      const { charMin, charMax } = this.options;
      for (let i = 0; i < t.length; i++) {
        let h = SEED_CHAR;
        for (let n = 1; n <= charMax && i + n <= t.length; n++) {
          h ^= t.charCodeAt(i + n - 1);
          h = imul(h, 0x01000193);
          if (n >= charMin) cf.push(h ^ n);
        }
      }
    }
    return [wf, cf];
  }
}

/** Dictionary of features with idf weights; vectorises feature lists. */
export class FeatureSpace {
  readonly index = new Map<number, number>();
  idf: Float32Array = new Float32Array(0);
  private acc: Float64Array = new Float64Array(0);
  private mark: Int32Array = new Int32Array(0);
  private stamp = 0;

  constructor(private readonly charWeight: number) {}

  static fit(featureLists: FeatureIds[], charWeight: number, minDf: number): FeatureSpace {
    const space = new FeatureSpace(charWeight);
    const df = new Map<number, number>();
    for (const [wf, cf] of featureLists) {
      for (const f of new Set(wf)) df.set(f, (df.get(f) ?? 0) + 1);
      for (const f of new Set(cf)) df.set(f, (df.get(f) ?? 0) + 1);
    }
    const idf: number[] = [];
    const n = featureLists.length;
    for (const [f, count] of df) {
      if (count < minDf) continue;
      space.index.set(f, idf.length);
      idf.push(log((1 + n) / (1 + count)) + 1);
    }
    space.idf = Float32Array.from(idf);
    space.acc = new Float64Array(idf.length);
    space.mark = new Int32Array(idf.length);
    return space;
  }

  get size(): number {
    return this.idf.length;
  }

  vectorize([wf, cf]: FeatureIds): SparseVector {
    if (this.counts.length !== this.idf.length) this.counts = new Float64Array(this.idf.length);
    const acc = this.acc;
    const mark = this.mark;
    const counts = this.counts;
    const touched: number[] = [];
    const block = (list: number[], weight: number) => {
      if (weight <= 0 || list.length === 0) return;
      const stamp = ++this.stamp;
      const local: number[] = [];
      for (const f of list) {
        const i = this.index.get(f);
        if (i === undefined) continue;
        if (mark[i] !== stamp) {
          mark[i] = stamp;
          local.push(i);
          counts[i] = 1;
        } else counts[i]++;
      }
      let norm = 0;
      for (const i of local) {
        const v = (1 + log(counts[i])) * this.idf[i];
        counts[i] = v;
        norm += v * v;
      }
      if (norm === 0) return;
      const scale = weight / sqrt(norm);
      for (const i of local) {
        if (acc[i] === 0) touched.push(i);
        acc[i] += counts[i] * scale;
      }
    };
    block(wf, 1);
    block(cf, this.charWeight);
    const index = new Int32Array(touched.length);
    const value = new Float32Array(touched.length);
    for (let k = 0; k < touched.length; k++) {
      const i = touched[k];
      index[k] = i;
      value[k] = acc[i];
      acc[i] = 0;
    }
    return { index, value };
  }

  private counts: Float64Array = new Float64Array(0);
}

export { foldText };
