import type { Lexicon } from './types';

/** Unicode NFKC, lower-case, accents stripped, typographic quotes unified. */
export function foldText(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u2018\u2019\u201B\u2032\u00B4`]/g, "'")
    .replace(/[\u201C\u201D\u201E\u2033]/g, '"')
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC');
}

const WORD_RE = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*'?/gu;
const REPEAT_RE = /(\p{L})\1{2,}/u;
const MAX_PHRASE = 4;

/** Splits folded text into words; apostrophes inside words are kept ("can't", "tiktok's"). */
export function splitWords(folded: string): string[] {
  return folded.match(WORD_RE) ?? [];
}

/**
 * Candidates for a word with letters repeated three or more times ("pleaseeee", "sooo",
 * "helllp"): every run collapsed to two letters or to one, two-letter forms first.
 */
export function squashCandidates(word: string): string[] {
  if (!REPEAT_RE.test(word)) return [word];
  const parts = word.split(/((\p{L})\2{2,})/u);
  // split with two capture groups yields [text, run, letter, text, run, letter, ...]
  const pieces: string[][] = [];
  for (let i = 0; i < parts.length; i += 3) {
    pieces.push([parts[i]]);
    if (i + 1 < parts.length) {
      const letter = parts[i + 2];
      pieces.push([letter + letter, letter]);
    }
  }
  let out = [''];
  for (const options of pieces) {
    const next: string[] = [];
    for (const prefix of out) for (const o of options) next.push(prefix + o);
    out = next.slice(0, 64);
  }
  return out;
}

function phraseKey(text: string): string {
  return splitWords(foldText(text)).join(' ');
}

/** A compiled normaliser: contractions, slang and repeated letters handled by longest match. */
export class Normalizer {
  private readonly map = new Map<string, string[]>();
  private readonly known = new Set<string>();
  private maxLen = 1;

  constructor(lexicon: Lexicon, vocabulary: Iterable<string> = []) {
    const contraction = new Map<string, string>();
    for (const [k, v] of Object.entries(lexicon.contractions ?? {})) contraction.set(phraseKey(k), phraseKey(v));
    const expand = (words: string[]): string[] =>
      words.flatMap((w) => (contraction.get(w) ?? w).split(' ').filter(Boolean));
    for (const [k, v] of contraction) this.add(k, v.split(' '));
    for (const [k, v] of Object.entries(lexicon.slang ?? {})) {
      this.add(phraseKey(k), expand(phraseKey(v).split(' ')));
    }
    for (const w of vocabulary) this.known.add(w);
    for (const [k, v] of this.map) {
      for (const w of k.split(' ')) this.known.add(w);
      for (const w of v) this.known.add(w);
    }
  }

  private add(key: string, value: string[]): void {
    if (!key) return;
    this.map.set(key, value);
    this.maxLen = Math.min(MAX_PHRASE, Math.max(this.maxLen, key.split(' ').length));
  }

  /** Registers more known words (used to choose between "pleasee" and "please"). */
  addVocabulary(words: Iterable<string>): void {
    for (const w of words) this.known.add(w);
  }

  private squash(word: string): string {
    const candidates = squashCandidates(word);
    if (candidates.length === 1) return word;
    for (const c of candidates) if (this.known.has(c) || this.map.has(c)) return c;
    // unknown word: collapse every run to a single letter ("heeelp" → "help")
    return candidates[candidates.length - 1];
  }

  /** Normalised words of a text. */
  words(text: string): string[] {
    const raw = splitWords(foldText(text)).map((w) => this.squash(w));
    const out: string[] = [];
    for (let i = 0; i < raw.length; ) {
      let matched = false;
      for (let n = Math.min(this.maxLen, raw.length - i); n >= 1; n--) {
        const key = n === 1 ? raw[i] : raw.slice(i, i + n).join(' ');
        const value = this.map.get(key);
        if (value) {
          out.push(...value);
          i += n;
          matched = true;
          break;
        }
      }
      if (!matched) {
        out.push(raw[i]);
        i += 1;
      }
    }
    // possessives and stray apostrophes: "tiktok's" → "tiktok", "o'neil" → "oneil"
    const result: string[] = [];
    for (const w of out) {
      const clean = w.replace(/'s$/, '').replace(/'/g, '');
      if (clean) result.push(clean);
    }
    return result;
  }

  /** Normalised text: words joined by single spaces. */
  normalize(text: string): string {
    return this.words(text).join(' ');
  }
}

/** One-shot normalisation (compiles the lexicon each call; prefer {@link Normalizer} in loops). */
export function normalize(text: string, lexicon: Lexicon): string {
  return new Normalizer(lexicon).normalize(text);
}
