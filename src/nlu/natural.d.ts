// Type declarations for the `natural` submodules the NLU imports directly.
// We never import the package root: its index pulls in database backends.
declare module 'natural/lib/natural/stemmers/porter_stemmer' {
  const PorterStemmer: {
    stem(token: string): string;
  };
  export = PorterStemmer;
}

declare module 'natural/lib/natural/tokenizers/aggressive_tokenizer' {
  class AggressiveTokenizer {
    tokenize(text: string): string[];
  }
  export = AggressiveTokenizer;
}

declare module 'natural/lib/natural/distance/levenshtein_distance' {
  interface LevenshteinOptions {
    insertion_cost?: number;
    deletion_cost?: number;
    substitution_cost?: number;
    transposition_cost?: number;
    restricted?: boolean;
  }
  export function LevenshteinDistance(source: string, target: string, options?: LevenshteinOptions): number;
  export function DamerauLevenshteinDistance(source: string, target: string, options?: LevenshteinOptions): number;
}

declare module 'natural/lib/natural/distance/jaro-winkler_distance' {
  function JaroWinklerDistance(s1: string, s2: string, options?: { ignoreCase?: boolean; dj?: number }): number;
  export = JaroWinklerDistance;
}
