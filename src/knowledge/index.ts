import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { z } from 'zod';
import { RECOVERY_INTENTS } from '../../dialogs/types';
import type { NluTrainingData } from '../nlu';

/**
 * The knowledge pack: training phrases, guides and wording, as data files
 * under knowledge/. Loaded once at start-up and validated; a bad file stops
 * start-up with the file, the path inside it and the reason.
 */

export const CONTRACT_INTENTS = [
  ...RECOVERY_INTENTS,
  'talk_to_human',
  'ticket_status',
  'greeting',
  'goodbye',
  'thanks',
  'affirm',
  'deny',
  'cancel',
  'help',
  'out_of_scope',
] as const;

/** Every wording key the dialog can use. A test walks the machine to keep this list honest. */
export const REQUIRED_WORDING = [
  'welcome', 'greeting', 'thanks', 'goodbye', 'help.general', 'help.collect', 'idle.what_can_i_do', 'fallback',
  'fallback.offer_human', 'cancel.nothing', 'cancel.done', 'clarify.which',
  'guide.did_it_help', 'guide.deleted_follow_up', 'guide.banned_follow_up', 'guide.glad', 'guide.handoff_intro',
  'guide.appeal_intro', 'guide.no_appeal', 'human.intro', 'human.already',
  'ask.what_happened', 'ask.username', 'ask.email', 'ask.phone', 'ask.passwords', 'ask.passwords_more',
  'ask.description', 'ask.appeal_statement',
  'collect.skipped', 'collect.giving_up', 'collect.not_understood', 'collect.corrected',
  'invalid.username.empty', 'invalid.username.spaces', 'invalid.username.looks_like_email', 'invalid.username.too_short',
  'invalid.username.too_long', 'invalid.username.characters', 'invalid.email.empty', 'invalid.email.spaces',
  'invalid.email.no_at', 'invalid.email.no_domain', 'invalid.email.format', 'invalid.phone.no_digits',
  'invalid.phone.format', 'invalid.phone.not_valid', 'invalid.phone.length', 'invalid.description.too_short',
  'invalid.description.too_long',
  'password.received', 'password.received_form', 'password.use_link', 'ask.passwords_link', 'password.use_card',
  'ticket.attached', 'ticket.new_case', 'ticket.answer_received', 'agent.message', 'agent.request_info', 'agent.resolved',
  'agent.rejected', 'agent.answer_cancelled', 'help.answering', 'error.attach', 'choice.new_case', 'password.in_chat', 'password.not_asked',
  'confirm.summary', 'confirm.which_field', 'ticket.opened', 'ticket.opened_urgent', 'ticket.failed',
  'status.none', 'status.not_found', 'status.not_found_but', 'status.list', 'error.status', 'error.turn', 'limit.messages', 'limit.passwords', 'limit.tickets',
  ...[...RECOVERY_INTENTS, 'talk_to_human'].map((i) => `topic.${i}`),
  'choice.skip', 'choice.no_more', 'choice.yes_helped', 'choice.no_still_locked', 'choice.yes_back_in',
  'choice.no_cant_log_in', 'choice.yes_appeal', 'choice.no_thanks', 'choice.show_topics', 'choice.yes_open_ticket',
  'choice.no_change', 'choice.try_again', 'choice.cancel',
  'field.username', 'field.email', 'field.phone', 'field.passwords', 'field.description',
  'card.password_label', 'card.password_submit', 'not_given',
] as const;

const text = z.string().trim().min(1, 'must not be empty');
const wordingEntry = z.union([text, z.object({ text, item: text }).strict()]);
export type WordingEntry = z.infer<typeof wordingEntry>;

const responsesSchema = z
  .object({ dictionaries: z.record(z.string(), z.record(z.string(), text)).default({}) })
  .catchall(wordingEntry)
  .superRefine((r, ctx) => {
    for (const key of REQUIRED_WORDING) {
      if (!(key in r)) ctx.addIssue({ code: 'custom', path: [key], message: 'is missing (the dialog uses this key)' });
    }
    for (const d of ['fields', 'categories', 'statuses']) {
      if (!r.dictionaries[d]) ctx.addIssue({ code: 'custom', path: ['dictionaries', d], message: 'is missing' });
    }
  });

const guidesSchema = z.object({
  facts: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  guides: z.object(Object.fromEntries(RECOVERY_INTENTS.map((i) => [i, z.object({ title: text, text }).strict()]))).strict(),
});

const intentName = z.string().regex(/^[a-z_]+$/, 'intent names are lower_snake_case');
const intentsFileSchema = z
  .object({
    intents: z
      .array(
        z
          .object({
            name: intentName,
            examples: z.array(text).min(1, 'needs at least one example'),
          })
          .strict(),
      )
      .default([]),
    // messages that mean one of two intents: the NLU reports the pair so the dialog can ask which
    ambiguous: z
      .array(
        z
          .object({
            intents: z
              .tuple([intentName, intentName])
              .refine(([a, b]) => a !== b, 'needs two different intents')
              .refine((pair) => pair.every((i) => (CONTRACT_INTENTS as readonly string[]).includes(i) && i !== 'out_of_scope'), 'must name two catalogue intents'),
            examples: z.array(text).min(1, 'needs at least one example'),
          })
          .strict(),
      )
      .default([]),
  })
  .refine((f) => f.intents.length + f.ambiguous.length > 0, 'needs `intents` (or `ambiguous`) entries');

const lexiconSchema = z
  .object({
    contractions: z.record(z.string(), z.string()).default({}),
    slang: z.record(z.string(), z.string()).default({}),
    skipPhrases: z.array(text).min(1),
    distressWords: z.array(text).default([]),
  })
  .strict();

export interface Knowledge {
  dir: string;
  /** sha256 of every file's content: a cache key for trained models */
  hash: string;
  wording: Record<string, WordingEntry>;
  dictionaries: Record<string, Record<string, string>>;
  facts: Record<string, string | number>;
  guides: Record<string, { title: string; text: string }>;
  nlu: NluTrainingData;
}

export class KnowledgeError extends Error {
  constructor(
    readonly file: string,
    readonly problems: { path: string; message: string }[],
  ) {
    super(`Invalid knowledge file ${file}:\n${problems.map((p) => `  - at ${p.path || '(root)'}: ${p.message}`).join('\n')}`);
    this.name = 'KnowledgeError';
  }
}

function parseFile<T>(dir: string, rel: string, schema: z.ZodType<T>, hash: ReturnType<typeof createHash>): T {
  const file = path.join(dir, rel);
  let raw: string;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch {
    throw new KnowledgeError(rel, [{ path: '', message: 'cannot be read (missing?)' }]);
  }
  hash.update(rel).update('\0').update(raw).update('\0');
  const doc = YAML.parseDocument(raw, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new KnowledgeError(rel, doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0]! })));
  }
  const parsed = schema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw new KnowledgeError(rel, parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })));
  }
  return parsed.data;
}

export function loadKnowledge(dir: string): Knowledge {
  const hash = createHash('sha256');
  const responses = parseFile(dir, 'responses.yml', responsesSchema, hash);
  const guides = parseFile(dir, 'guides.yml', guidesSchema, hash);
  const nluDir = path.join(dir, 'nlu');
  const files = fs.existsSync(nluDir) ? fs.readdirSync(nluDir).filter((f) => /\.ya?ml$/.test(f)).sort() : [];
  const lexiconFile = files.find((f) => /^lexicon\.ya?ml$/.test(f));
  if (!lexiconFile) throw new KnowledgeError('nlu/lexicon.yml', [{ path: '', message: 'is missing' }]);
  const lexicon = parseFile(dir, `nlu/${lexiconFile}`, lexiconSchema, hash);
  const byIntent = new Map<string, string[]>();
  const ambiguities: { intents: [string, string]; examples: string[] }[] = [];
  for (const f of files.filter((x) => x !== lexiconFile)) {
    const { intents, ambiguous } = parseFile(dir, `nlu/${f}`, intentsFileSchema, hash);
    for (const i of intents) byIntent.set(i.name, [...(byIntent.get(i.name) ?? []), ...i.examples]);
    ambiguities.push(...ambiguous);
  }
  const missing = CONTRACT_INTENTS.filter((i) => !byIntent.has(i));
  if (missing.length) {
    throw new KnowledgeError('nlu/', missing.map((i) => ({ path: i, message: 'intent has no training examples' })));
  }
  const { dictionaries, ...wording } = responses;
  return {
    dir,
    hash: hash.digest('hex'),
    wording: wording as Record<string, WordingEntry>,
    dictionaries,
    facts: guides.facts,
    guides: guides.guides,
    nlu: {
      intents: [...byIntent].map(([name, examples]) => ({ name, examples })),
      lexicon,
      ...(ambiguities.length ? { ambiguities } : {}),
    },
  };
}
