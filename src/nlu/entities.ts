import { findPhoneNumbersInText, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';
import { Normalizer, foldText } from './normalize';
import type { Entities, Lexicon } from './types';

/** Alphabet of ticket references: no 0/O, 1/I/L. */
export const TICKET_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const TICKET_REF_RE = new RegExp(`(?<![A-Za-z0-9])RC[-\\s]?([${TICKET_ALPHABET}]{6})(?![A-Za-z0-9])`, 'i');
export const USERNAME_RE = /^[a-z0-9_.]{2,24}$/;

const EMAIL_CANDIDATE_RE = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
const emailSchema = z.email();

export function extractEmail(text: string): string | undefined {
  for (const m of text.normalize('NFKC').matchAll(EMAIL_CANDIDATE_RE)) {
    const candidate = m[0].replace(/^[.'-]+/, '').replace(/[.-]+$/, '').toLowerCase();
    if (emailSchema.safeParse(candidate).success) return candidate;
  }
  return undefined;
}

export function extractTicketRef(text: string): string | undefined {
  const m = TICKET_REF_RE.exec(text.normalize('NFKC'));
  return m ? `RC-${m[1].toUpperCase()}` : undefined;
}

const PHONE_RUN_RE = /(?<![\p{L}\p{N}_.@])\d(?:[\s().\-/]*\d){5}/u;

export function extractPhone(text: string, defaultRegion: CountryCode): string | undefined {
  // cheap pre-check: no phone number has fewer than six digits
  let digitCount = 0;
  for (let i = 0; i < text.length && digitCount < 6; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 0xff10 && c <= 0xff19)) digitCount++;
  }
  if (digitCount < 6) return undefined;
  // e-mail addresses and ticket references are not phone numbers
  const cleaned = text
    .normalize('NFKC')
    .replace(EMAIL_CANDIDATE_RE, ' ')
    .replace(new RegExp(TICKET_REF_RE.source, 'gi'), ' ')
    // "00 44 ..." international prefix written with zeros
    .replace(/(^|[^\d+])00(?=\s?[1-9])/g, '$1+');
  // a phone number is a run of six or more digits (with separators) that is not part of a word:
  // digits inside a handle or an e-mail ("kite.runner123456") need no phone-number parsing
  if (!PHONE_RUN_RE.test(cleaned)) return undefined;
  for (const found of findPhoneNumbersInText(cleaned, { defaultCountry: defaultRegion })) {
    if (found.number.isValid()) return found.number.number;
  }
  // whole message is a number the text scanner did not accept (e.g. unusual separators)
  const digits = cleaned.replace(/[\s().\-/]/g, '');
  if (/^\+?\d{6,16}$/.test(digits)) {
    const parsed = parsePhoneNumberFromString(digits, defaultRegion);
    if (parsed?.isValid()) return parsed.number;
  }
  return undefined;
}

const HANDLE_CHARS = '[\\p{L}\\p{N}_.]';
const AT_HANDLE_RE = new RegExp(`(?<![\\p{L}\\p{N}_.@])@(${HANDLE_CHARS}+)`, 'gu');
const EXPLICIT_HANDLE_RE = new RegExp(
  `\\b(?:user\\s?name|handle|user\\s?id|tiktok\\s?name|account\\s?name)\\s*(?:(?:is|was|should be)\\s*[:=]?|[:=])\\s*["'\u201C]?\\s*@?(${HANDLE_CHARS}+)`,
  'giu',
);
const NOT_A_HANDLE = new Set(
  'is was and or but the my not it a an for of to i still also just probably something like gone changed wrong correct same different now in on at this that what'.split(' '),
);

function cleanHandle(raw: string): string | undefined {
  const h = raw.toLowerCase().replace(/\.+$/, '');
  if (!USERNAME_RE.test(h) || NOT_A_HANDLE.has(h)) return undefined;
  return h;
}

export function extractUsername(text: string): string | undefined {
  const t = text.normalize('NFKC');
  const found: { index: number; handle: string }[] = [];
  for (const m of t.matchAll(AT_HANDLE_RE)) {
    const h = cleanHandle(m[1]);
    if (h) found.push({ index: m.index ?? 0, handle: h });
  }
  for (const m of t.matchAll(EXPLICIT_HANDLE_RE)) {
    const h = cleanHandle(m[1]);
    // "my username is not working" → not a handle; it must look like the value of the field
    if (h) found.push({ index: m.index ?? 0, handle: h });
  }
  found.sort((a, b) => a.index - b.index);
  return found[0]?.handle;
}

/** Pre-compiled skip and distress detection for one lexicon. */
export class EntityExtractor {
  private readonly normalizer: Normalizer;
  private readonly skipPhrases: string[][];
  private readonly distress: string[][];

  constructor(
    readonly lexicon: Lexicon,
    readonly defaultRegion: CountryCode,
    normalizer?: Normalizer,
  ) {
    this.normalizer = normalizer ?? new Normalizer(lexicon);
    const compile = (phrases: string[]) =>
      [...new Set(phrases.map((p) => this.normalizer.words(p).join(' ')).filter(Boolean))].map((p) => p.split(' '));
    this.skipPhrases = compile(lexicon.skipPhrases ?? []);
    this.distress = compile(lexicon.distressWords ?? []);
  }

  isSkip(words: string[]): boolean {
    if (words.length === 0) return false;
    for (const phrase of this.skipPhrases) {
      const at = indexOfPhrase(words, phrase);
      if (at < 0) continue;
      // the phrase must carry the message: a few filler words around it at most
      if (words.length - phrase.length <= 3) return true;
    }
    return false;
  }

  isDistressed(text: string, words: string[]): boolean {
    if (/!{3,}|(?:[!?]{2,}.*){2,}|\?!|!\?/.test(text)) return true;
    if (/(?:😭|😢|😩|😫|😰|😱|😡|🙏|💔){1,}/u.test(text)) return true;
    // shouting: ALL-CAPS words of 4+ letters (not ticket refs or short acronyms)
    const caps = (text.normalize('NFKC').match(/\b\p{Lu}{4,}\b/gu) ?? []).filter((w) => !/^RC/.test(w) || w.length > 8);
    if (caps.length >= 2 || caps.some((w) => w.length >= 6)) return true;
    for (let i = 1; i < words.length; i++) {
      if (words[i] === words[i - 1] && (words[i] === 'please' || words[i] === 'help')) return true;
    }
    for (const phrase of this.distress) if (indexOfPhrase(words, phrase) >= 0) return true;
    return false;
  }

  extract(text: string, words?: string[]): Entities {
    const w = words ?? this.normalizer.words(text);
    const entities: Entities = {};
    const email = extractEmail(text);
    if (email) entities.email = email;
    const phone = extractPhone(text, this.defaultRegion);
    if (phone) entities.phone = phone;
    const username = extractUsername(text);
    if (username && !(email && email.startsWith(username + '@'))) entities.username = username;
    const ticketRef = extractTicketRef(text);
    if (ticketRef) entities.ticketRef = ticketRef;
    if (this.isSkip(w)) entities.skip = true;
    if (this.isDistressed(text, w)) entities.distressed = true;
    return entities;
  }
}

function indexOfPhrase(words: string[], phrase: string[]): number {
  outer: for (let i = 0; i + phrase.length <= words.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (words[i + j] !== phrase[j]) continue outer;
    return i;
  }
  return -1;
}

/** Folded text, exported for callers that want to compare button texts. */
export { foldText };
