import type { CountryCode } from 'libphonenumber-js';

/** Word-level knowledge used by normalisation and entity extraction (knowledge/nlu/lexicon.yml). */
export interface Lexicon {
  /** "can't" → "cannot", "cant" → "cannot", "i'm" → "i am" (keys may contain apostrophes). */
  contractions: Record<string, string>;
  /** "pls" → "please", "acc" → "account", "pw" → "password" (keys may be several words). */
  slang: Record<string, string>;
  /** Messages that mean "skip this question" ("skip", "i don't remember", "no idea", ...). */
  skipPhrases: string[];
  /** Words or phrases that show the user is distressed ("desperate", "panicking", ...). */
  distressWords: string[];
}

export interface IntentData {
  name: string;
  examples: string[];
}

/** Messages that mean one of two intents ("I'm locked out": forgot_password or login_error?). */
export interface AmbiguityData {
  intents: [string, string];
  examples: string[];
}

export interface NluTrainingData {
  intents: IntentData[];
  lexicon: Lexicon;
  /**
   * Training-only: each group is learnt as one extra class; when a message falls in it, the
   * result is the group's first intent with `ambiguous` set to the pair (in the given order).
   */
  ambiguities?: AmbiguityData[];
}

export interface NluOptions {
  defaultRegion: CountryCode;
  /** Below this top confidence the result intent is `out_of_scope` (default {@link DEFAULT_OOS_THRESHOLD}). */
  oosThreshold?: number;
  /**
   * Two in-catalogue intents whose confidences differ by less than this are reported as
   * `ambiguous` (default {@link DEFAULT_AMBIGUITY_MARGIN}).
   */
  ambiguityMargin?: number;
  /** Classifier hyper-parameters (defaults tuned on the benchmarks; rarely needed). */
  model?: Partial<ModelOptions>;
}

export interface IntentScore {
  intent: string;
  confidence: number;
}

export interface Entities {
  /** lower-cased, first valid email in the text */
  email?: string;
  /** E.164, only valid numbers */
  phone?: string;
  /** only from explicit forms ("@handle", "my username is x", "username: x"); lower-case, no '@' */
  username?: string;
  /** RC-XXXXXX, upper-case */
  ticketRef?: string;
  /** the message means "skip / I don't remember / no idea / pass" */
  skip?: boolean;
  /** the user is visibly distressed */
  distressed?: boolean;
}

export interface NluResult {
  text: string;
  normalized: string;
  intent: string;
  confidence: number;
  /** top 5, by descending confidence (real scores, even when `intent` is out_of_scope by threshold) */
  ranking: IntentScore[];
  entities: Entities;
  /** the two in-catalogue intents the message could mean, when they are too close to call */
  ambiguous?: [string, string];
}

export interface Nlu {
  readonly intents: string[];
  parse(text: string): NluResult;
}

/** Feature-extraction and optimiser settings of the linear classifier. */
export interface ModelOptions {
  /** character n-gram lengths (inclusive) */
  charMin: number;
  charMax: number;
  /** weight of the character n-gram block relative to the word block */
  charWeight: number;
  /** also use the unstemmed word when it differs from its stem */
  rawUnigrams: boolean;
  /** character n-grams stay inside words (padded by the surrounding spaces) instead of spanning them */
  charWithinWords: boolean;
  /** use stemmed word bigrams */
  bigrams: boolean;
  /** use stemmed word pairs with one word between them ("reset * password") */
  skipBigrams: boolean;
  /** map out-of-vocabulary words to the nearest training word */
  typoCorrection: boolean;
  /**
   * add each intent's name, in words ("change_password" → "change password"), as one more
   * training example (not for out-of-scope / "None" catch-alls)
   */
  labelExamples: boolean;
  /** training epochs (0: automatic, about 30,000 updates, clamped to 6–50 passes) */
  epochs: number;
  /** initial learning rate (Adagrad) */
  learningRate: number;
  /** L2 regularisation strength */
  l2: number;
  /** average the weights over all SGD steps (Polyak averaging) */
  average: boolean;
  /**
   * per example, only classes whose gradient |p − y| exceeds this are updated: a big speed-up
   * with many classes, and a mild regulariser (confident classes are left alone)
   */
  updateThreshold: number;
  /** RNG seed (shuffling) */
  seed: number;
  /** drop features seen in fewer training utterances than this (0/1 keep all) */
  minDf: number;
  /** softmax temperature applied to the scores at inference (calibration) */
  temperature: number;
}
