import { z } from 'zod';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';

/**
 * Normalisation and validation of ownership evidence. Pure functions: each
 * returns the normalised value or a reason key (wording lives in knowledge/).
 */
export type Check<T = string> = { ok: true; value: T } | { ok: false; reason: string };

export const USERNAME_RE = /^[a-z0-9_.]{2,24}$/;
export const DESCRIPTION_MAX = 1000;
export const DESCRIPTION_MIN = 3;

export function normaliseUsername(input: string): Check {
  let v = input.trim().replace(/^["'“”‘’]+|["'“”‘’.!?,]+$/g, '');
  // "my username is x", "handle: x" — but never part of a handle itself ("@user.3000", "@handlebar")
  v = v.replace(/^(?:my\s+)?(?:user\s?name|handle|user|account)(?:\s*(?:is|was|:|=)\s*|\s+)/i, '');
  v = v.replace(/^@+/, '').toLowerCase();
  if (!v) return { ok: false, reason: 'invalid.username.empty' };
  if (/\s/.test(v)) return { ok: false, reason: 'invalid.username.spaces' };
  if (v.includes('@')) return { ok: false, reason: 'invalid.username.looks_like_email' };
  if (v.length < 2) return { ok: false, reason: 'invalid.username.too_short' };
  if (v.length > 24) return { ok: false, reason: 'invalid.username.too_long' };
  if (!USERNAME_RE.test(v)) return { ok: false, reason: 'invalid.username.characters' };
  return { ok: true, value: v };
}

const emailSchema = z.email();

export function normaliseEmail(input: string): Check {
  const v = input.trim().replace(/^mailto:/i, '').replace(/^<|>$/g, '').replace(/[.,;!?]+$/, '').toLowerCase();
  if (!v) return { ok: false, reason: 'invalid.email.empty' };
  if (!v.includes('@')) return { ok: false, reason: 'invalid.email.no_at' };
  if (/\s/.test(v)) return { ok: false, reason: 'invalid.email.spaces' };
  if (!/@[^@]+\.[^@]+$/.test(v)) return { ok: false, reason: 'invalid.email.no_domain' };
  if (!emailSchema.safeParse(v).success) return { ok: false, reason: 'invalid.email.format' };
  return { ok: true, value: v };
}

export function normalisePhone(input: string, defaultRegion: string): Check {
  const v = input.trim();
  if (!/\d/.test(v)) return { ok: false, reason: 'invalid.phone.no_digits' };
  const parsed = parsePhoneNumberFromString(v, defaultRegion as CountryCode);
  if (!parsed) return { ok: false, reason: 'invalid.phone.format' };
  if (!parsed.isValid()) return { ok: false, reason: parsed.isPossible() ? 'invalid.phone.not_valid' : 'invalid.phone.length' };
  return { ok: true, value: parsed.number };
}

export function normaliseDescription(input: string): Check {
  const v = input.trim().replace(/\s+/g, ' ');
  if (v.length < DESCRIPTION_MIN) return { ok: false, reason: 'invalid.description.too_short' };
  if (v.length > DESCRIPTION_MAX) return { ok: false, reason: 'invalid.description.too_long' };
  return { ok: true, value: v };
}

/** Shows a phone number with all but its last 3 digits hidden, for summaries. */
export function maskPhone(e164: string): string {
  return e164.replace(/\d(?=\d{3})/g, (d, i: number) => (i < 3 ? d : '•'));
}
