/**
 * Reclaim NLU: normalisation, entity extraction and intent classification.
 * Pure TypeScript, no I/O: callers load the training data (knowledge/nlu/*.yml) themselves.
 */
import type { CountryCode } from 'libphonenumber-js';
import { IntentClassifier, type ClassifierModel } from './classifier';
import { EntityExtractor } from './entities';
import { Normalizer } from './normalize';
import type { Entities, IntentScore, Lexicon, ModelOptions, Nlu, NluOptions, NluResult, NluTrainingData } from './types';

export type {
  AmbiguityData,
  Entities,
  IntentData,
  IntentScore,
  Lexicon,
  ModelOptions,
  Nlu,
  NluOptions,
  NluResult,
  NluTrainingData,
} from './types';
export { IntentClassifier, MODEL_FORMAT, type ClassifierModel, type LabelledText } from './classifier';
export { EntityExtractor, TICKET_ALPHABET, TICKET_REF_RE, USERNAME_RE } from './entities';
export { Normalizer, normalize } from './normalize';

export const OUT_OF_SCOPE = 'out_of_scope';
/**
 * Only the first this-many characters of a message are analysed (a chat answer longer than
 * this is a paste; the bound keeps parse time predictable whatever the input).
 */
export const MAX_ANALYSED_CHARS = 2000;
/**
 * Top confidence under which a message is treated as out of scope. On 5-fold CV of the
 * knowledge pack (seed 7) accuracy is flat at 96.1–96.2 % for 0.2–0.3 and falls to 95.7 % at
 * 0.4; 0.3 is the highest value on the plateau, so text unlike anything in the pack is
 * rejected as readily as the data allows.
 */
export const DEFAULT_OOS_THRESHOLD = 0.3;
/**
 * Confidence gap under which the top two in-catalogue intents are reported as ambiguous.
 * Measured on 5-fold CV (two seeds) of the knowledge pack: flags 3.3 % of messages, 1.9 % of
 * the correctly classified ones, and 36 % of the misclassified ones, where the right intent
 * is one of the two offered in 78 % of cases.
 */
export const DEFAULT_AMBIGUITY_MARGIN = 0.25;
/** Two candidates whose confidences sum to less than this are a miss, not an ambiguity. */
export const AMBIGUITY_MIN_MASS = 0.4;

/** Intent names of the catalogue (docs/product.md); they are part of the product contract. */
export const CATALOGUE_INTENTS = [
  'forgot_password',
  'reset_not_received',
  'account_hacked',
  'account_deleted',
  'account_banned',
  'phone_changed',
  'login_error',
  'talk_to_human',
  'ticket_status',
  'greeting',
  'goodbye',
  'thanks',
  'affirm',
  'deny',
  'cancel',
  'help',
  OUT_OF_SCOPE,
] as const;

/**
 * Model options of the product NLU on top of the classifier defaults. `rawUnigrams` keeps the
 * unstemmed word next to its stem ("delete" vs "deleted", which Porter both stems to "delet"):
 * 5-fold CV on the knowledge pack 95.1 % → 95.6 % (see src/nlu/bench-quick.ts).
 */
export const PRODUCT_MODEL_OPTIONS: Partial<ModelOptions> = { rawUnigrams: true };

/** Placeholder words that stand for masked entities (see `maskEntities` in ./features). */
export const ENTITY_PLACEHOLDERS = new Set(['xemailx', 'xhandlex', 'xnumberx']);
/**
 * Words that, next to a masked e-mail, handle or number, still leave a message that is only
 * evidence ("my email is sam@example.com", "username: @sam.dances").
 */
const EVIDENCE_FILLER = new Set(
  'my it its is was the a an and or here this that email e mail address username user name handle phone number mobile cell tiktok account id old new previous current s i think should be maybe plus'.split(' '),
);

/** Separator of the two intents in the label of an ambiguity group. */
const PAIR_SEPARATOR = '|';

/** A trained NLU as plain data: cache it (e.g. keyed by the knowledge pack's hash) and {@link restoreNlu} it. */
export interface NluModel {
  classifier: ClassifierModel;
  /** label of each ambiguity group → its two intents */
  pairs: [string, [string, string]][];
}

export interface TrainedNlu extends Nlu {
  toModel(): NluModel;
}

export function trainNlu(data: NluTrainingData, options: NluOptions): TrainedNlu {
  const examples = data.intents.flatMap((i) => i.examples.map((text) => ({ text, intent: i.name })));
  const pairs = new Map<string, [string, string]>();
  for (const group of data.ambiguities ?? []) {
    const label = group.intents.join(PAIR_SEPARATOR);
    pairs.set(label, group.intents);
    for (const text of group.examples) examples.push({ text, intent: label });
  }
  const classifier = IntentClassifier.train(examples, data.lexicon, { ...PRODUCT_MODEL_OPTIONS, ...options.model });
  return buildNlu(classifier, pairs, data.lexicon, options);
}

/** An NLU from {@link TrainedNlu.toModel} output; `lexicon` must be the one it was trained with. */
export function restoreNlu(model: NluModel, lexicon: Lexicon, options: NluOptions): TrainedNlu {
  return buildNlu(IntentClassifier.fromModel(model.classifier, lexicon), new Map(model.pairs), lexicon, options);
}

function buildNlu(classifier: IntentClassifier, pairs: Map<string, [string, string]>, lexicon: Lexicon, options: NluOptions): TrainedNlu {
  const extractor = new EntityExtractor(lexicon, options.defaultRegion, classifier.normalizer);
  const threshold = options.oosThreshold ?? DEFAULT_OOS_THRESHOLD;
  const margin = options.ambiguityMargin ?? DEFAULT_AMBIGUITY_MARGIN;
  const intents = classifier.labels.filter((l) => !pairs.has(l));

  const nothing = (text: string, normalized: string, entities: Entities): NluResult => ({
    text,
    normalized,
    intent: OUT_OF_SCOPE,
    confidence: 0,
    ranking: intents.slice(0, 5).map((intent) => ({ intent, confidence: 0 })),
    entities,
  });

  return {
    intents,
    toModel: () => ({ classifier: classifier.toModel(), pairs: [...pairs] }),
    parse(text: string): NluResult {
      const head = text.length > MAX_ANALYSED_CHARS ? text.slice(0, MAX_ANALYSED_CHARS) : text;
      const words = classifier.normalizer.words(head);
      const normalized = words.join(' ');
      const entities = extractor.extract(head, words);
      // nothing but punctuation / emoji: no intent to speak of
      if (words.length === 0) return nothing(text, normalized, entities);
      // nothing but evidence (an e-mail, a handle, a phone number, with at most filler words):
      // an answer to a question, not a request, so no intent is guessed from it
      const masked = classifier.maskedWords(head);
      if (masked.some((w) => ENTITY_PLACEHOLDERS.has(w)) && masked.every((w) => ENTITY_PLACEHOLDERS.has(w) || EVIDENCE_FILLER.has(w))) {
        return nothing(text, normalized, entities);
      }
      const raw = classifier.rankWords(masked);
      // an ambiguity group's probability is shared between its two intents
      let ranking = raw;
      let pair: [string, string] | undefined;
      if (pairs.size > 0) {
        const merged = new Map<string, number>();
        for (const r of raw) {
          const members = pairs.get(r.intent);
          if (members) for (const m of members) merged.set(m, (merged.get(m) ?? 0) + r.confidence / 2);
          else merged.set(r.intent, (merged.get(r.intent) ?? 0) + r.confidence);
        }
        ranking = [...merged]
          .map(([intent, confidence]) => ({ intent, confidence }))
          .sort((a, b) => b.confidence - a.confidence || a.intent.localeCompare(b.intent));
        const members = pairs.get(raw[0].intent);
        if (members && raw[0].confidence >= AMBIGUITY_MIN_MASS) pair = members;
      }
      const top = ranking[0];
      const intent = top.confidence < threshold ? OUT_OF_SCOPE : top.intent;
      const result: NluResult = {
        text,
        normalized,
        intent,
        confidence: top.confidence,
        ranking: ranking.slice(0, 5),
        entities,
      };
      const ambiguous = pair ?? findAmbiguity(ranking, margin);
      if (ambiguous) result.ambiguous = ambiguous;
      return result;
    },
  };
}

/** The top two in-catalogue intents when they are within `margin` of each other. */
export function findAmbiguity(ranking: IntentScore[], margin: number): [string, string] | undefined {
  const inScope = ranking.filter((r) => r.intent !== OUT_OF_SCOPE);
  if (inScope.length < 2) return undefined;
  const [a, b] = inScope;
  if (a.confidence - b.confidence >= margin) return undefined;
  // two weak guesses are not an ambiguity between them, just a miss
  if (a.confidence + b.confidence < AMBIGUITY_MIN_MASS) return undefined;
  return [a.intent, b.intent];
}

const extractorCache = new WeakMap<Lexicon, Map<string, EntityExtractor>>();

export function extractEntities(text: string, lexicon: Lexicon, defaultRegion: CountryCode): Entities {
  let byRegion = extractorCache.get(lexicon);
  if (!byRegion) extractorCache.set(lexicon, (byRegion = new Map()));
  let extractor = byRegion.get(defaultRegion);
  if (!extractor) byRegion.set(defaultRegion, (extractor = new EntityExtractor(lexicon, defaultRegion, new Normalizer(lexicon))));
  return extractor.extract(text.length > MAX_ANALYSED_CHARS ? text.slice(0, MAX_ANALYSED_CHARS) : text);
}
