import { DamerauLevenshteinDistance } from 'natural/lib/natural/distance/levenshtein_distance';
import JaroWinklerDistance from 'natural/lib/natural/distance/jaro-winkler_distance';

/**
 * Maps an out-of-vocabulary word to the nearest training-vocabulary word.
 *
 * Candidates come from a symmetric-delete index (every word and its one-letter deletions),
 * are verified with natural's Damerau-Levenshtein distance (optimal-string-alignment variant:
 * natural's unrestricted variant returns 0 for some pairs, e.g. "pasword"/"password"), and ties
 * are broken by Jaro-Winkler similarity, then by training frequency.
 */
/** Longer tokens are left alone (no real word; and the candidate search grows quadratically). */
const MAX_WORD = 20;

export class TypoCorrector {
  private readonly index = new Map<string, string[]>();
  private readonly cache = new Map<string, string>();

  constructor(
    private readonly frequency: ReadonlyMap<string, number>,
    private readonly minLength = 4,
  ) {
    for (const word of frequency.keys()) {
      if (word.length < minLength - 1 || /\d/.test(word)) continue;
      this.put(word, word);
      for (const d of deletions(word)) this.put(d, word);
    }
  }

  private put(key: string, word: string): void {
    const list = this.index.get(key);
    if (!list) this.index.set(key, [word]);
    else if (list[list.length - 1] !== word) list.push(word);
  }

  has(word: string): boolean {
    return this.frequency.has(word);
  }

  /** The closest vocabulary word, or the word itself when it is known or nothing is close. */
  correct(word: string): string {
    if (this.frequency.has(word) || word.length < this.minLength || word.length > MAX_WORD || /[^a-z]/.test(word)) return word;
    const cached = this.cache.get(word);
    if (cached !== undefined) return cached;
    const maxDistance = word.length >= 8 ? 2 : 1;
    const keys = new Set<string>([word, ...deletions(word)]);
    if (maxDistance >= 2) for (const d of [...keys]) for (const dd of deletions(d)) keys.add(dd);
    const candidates = new Set<string>();
    for (const k of keys) for (const w of this.index.get(k) ?? []) candidates.add(w);
    let best = word;
    let bestDistance = Infinity;
    let bestSimilarity = -1;
    let bestFrequency = -1;
    for (const c of candidates) {
      if (Math.abs(c.length - word.length) > maxDistance) continue;
      const distance = DamerauLevenshteinDistance(word, c, { restricted: true });
      if (distance > maxDistance) continue;
      const similarity = JaroWinklerDistance(word, c);
      const frequency = this.frequency.get(c) ?? 0;
      if (
        distance < bestDistance ||
        (distance === bestDistance && (similarity > bestSimilarity || (similarity === bestSimilarity && frequency > bestFrequency)))
      ) {
        best = c;
        bestDistance = distance;
        bestSimilarity = similarity;
        bestFrequency = frequency;
      }
    }
    if (this.cache.size > 50_000) this.cache.clear();
    this.cache.set(word, best);
    return best;
  }
}

function deletions(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}
