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

const EMAIL_MASK = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
const TICKET_MASK = new RegExp(TICKET_REF_RE.source, 'gi');
const HANDLE_MASK = /(?<![\p{L}\p{N}_.@])@[\p{L}\p{N}_.]{2,}/gu;
const NUMBER_MASK = /\+?\d[\d\s().-]{5,}\d/g;

/** Replaces e-mails, ticket references, handles and long numbers by placeholder words. */
export function maskEntities(text: string): string {
  let t = text.normalize('NFKC');
  // cheap guards first: most messages contain none of these
  if (t.includes('@')) t = t.replace(EMAIL_MASK, ' xemailx ').replace(HANDLE_MASK, ' xhandlex ');
  if (/rc/i.test(t)) t = t.replace(TICKET_MASK, ' xticketx ');
  if (/\d[\d\s().-]{5,}\d/.test(t)) t = t.replace(NUMBER_MASK, ' xnumberx ');
  return t;
}

/**
 * Defaults chosen by measurement: 5-fold CV on the knowledge pack, CLINC150 train → val and
 * CV on the Braun training sets (see src/nlu/bench-quick.ts). `epochs: 0` means automatic
 * (see {@link ModelOptions.epochs}).
 */
export const DEFAULT_MODEL_OPTIONS: ModelOptions = {
  charMin: 3,
  charMax: 4,
  charWeight: 0.3,
  charWithinWords: true,
  bigrams: true,
  skipBigrams: false,
  rawUnigrams: false,
  typoCorrection: true,
  labelExamples: true,
  epochs: 0,
  learningRate: 0.25,
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
const SEED_RAW = 0x165667b1;
const SEED_SKIP = 0x7feb352d;

/** Order-sensitive combination of two hashes ("a b" ≠ "b a"). */
function pair(a: number, b: number, seed: number): number {
  return imul(imul(a, 0x5bd1e995) ^ b, 0x27d4eb2d) ^ seed;
}

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
    return this.featuresOfWords(this.words(text));
  }

  /** Features of already normalised, masked words (from {@link words}). */
  featuresOfWords(masked: string[]): FeatureIds {
    let words = masked;
    if (this.corrector && this.options.typoCorrection) {
      const c = this.corrector;
      words = words.map((w) => c.correct(w));
    }
    const wf: number[] = [];
    const { bigrams, skipBigrams, rawUnigrams } = this.options;
    const start = hashString('^', SEED_BIGRAM);
    let prev = start;
    let prev2 = start;
    for (const w of words) {
      const st = stem(w);
      const h = hashString(st, SEED_WORD);
      wf.push(h);
      if (rawUnigrams && st !== w) wf.push(hashString(w, SEED_RAW));
      if (bigrams) wf.push(pair(prev, h, SEED_BIGRAM));
      if (skipBigrams && prev2 !== start) wf.push(pair(prev2, h, SEED_SKIP));
      prev2 = prev;
      prev = h;
    }
    if (bigrams) wf.push(pair(prev, hashString('$', SEED_BIGRAM), SEED_BIGRAM));
    const cf: number[] = [];
    if (this.options.charWeight > 0) {
      const t = ' ' + words.join(' ') + ' ';
      const { charMin, charMax } = this.options;
      const withinWords = this.options.charWithinWords;
      for (let i = 0; i < t.length; i++) {
        let h = SEED_CHAR;
        for (let n = 1; n <= charMax && i + n <= t.length; n++) {
          const code = t.charCodeAt(i + n - 1);
          h ^= code;
          h = imul(h, 0x01000193);
          if (n >= charMin) cf.push(h ^ n);
          // within-word mode: an n-gram may start or end at a space but not span one
          if (withinWords && code === 32 && n > 1) break;
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

  /** Rebuilds a fitted space from its feature ids (in index order) and idf weights. */
  static restore(features: number[], idf: Float32Array, charWeight: number): FeatureSpace {
    const space = new FeatureSpace(charWeight);
    features.forEach((f, i) => space.index.set(f, i));
    space.idf = idf;
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
