/**
 * Finds passwords and one-time codes typed into plain chat ("my old password
 * was hunter2", "pw: x", "the code is 123456") so the message can be redacted
 * before anything is stored, logged or classified.
 */
export const REDACTED = '[removed]';

const KEYWORD = String.raw`(?:pass\s?words?|passwd|pwd|pw|pass|passcode|contrase[ñn]a|mot de passe)`;
const LEAD = String.raw`(?:(?:my|the)\s+)?(?:(?:old|previous|former|last|current|new|real|actual|usual)\s+)?`;
const VERB = String.raw`(?:\s*(?:is probably|was probably|is like|was like|used to be|might be|may be|could be|should be|would be|:|=|-|is|was|were)\s*)`;
const FILLER = String.raw`(?:\s*,?\s*(?:it|which|that|one)\s+)?`;
const TOKEN = String.raw`[^\s"'”’]{2,}[^\s"'”’,;]`;
/** the password, and any alternatives given with it ("tiger123 or lion456") */
const SECRETS = String.raw`(${TOKEN}(?:(?:\s*(?:,|/|\bor\b|\band\b|\bmaybe\b))+\s*${TOKEN})*)`;
const PASSWORD_RE = new RegExp(String.raw`\b${LEAD}${KEYWORD}${FILLER}${VERB}["'“‘]?${SECRETS}["'”’]?`, 'gi');
/** once a password has been mentioned: "… my old one was X", "it was X" */
const PASSWORD_REF_RE = new RegExp(String.raw`\b(?:(?:my|the)\s+)?(?:(?:old|previous|former|last|current|new|real|usual)\s+)?(?:one|it)${VERB}["'“‘]?${SECRETS}["'”’]?`, 'gi');
const MENTIONS_PASSWORD = new RegExp(String.raw`\b${KEYWORD}\b`, 'i');
const CODE_RE = /\b(?:code|otp|pin)\s*(?::|=|is|was)?\s*(\d{4,8})\b/gi;

/** Words that follow "my password is …" without being a password. */
const NOT_A_PASSWORD = new Set(
  `wrong incorrect invalid not no never too correct right forgotten forgot lost gone the a an my that this being still changed
   reset hacked expired blocked locked fine ok okay weak strong same different missing unknown empty working rejected
   definitely probably correct, right. wrong. wrong! incorrect. and but so because really very just super kind sort
   annoying frustrating stupid impossible hard easy long short ok. hacked. stolen compromised changed. [removed]`.split(/\s+/),
);

const FILLER_WORDS = new Set('i ok okay so um uh hi hey hello well and also btw fyi oh by the way my it is was just then'.split(' '));

export interface Redaction {
  text: string;
  /** a password (or code) was found and removed */
  found: boolean;
  /** the message was nothing but the password ("my old password was x") */
  onlySecret: boolean;
}

export function redactSecrets(text: string): Redaction {
  let found = false;
  let rest = text;
  const replace = (whole: string, secret: string) => {
    if (NOT_A_PASSWORD.has(secret.toLowerCase())) return whole;
    found = true;
    rest = rest.replace(whole, ' ');
    return whole.slice(0, whole.lastIndexOf(secret)) + REDACTED + whole.slice(whole.lastIndexOf(secret) + secret.length);
  };
  let out = text.replace(PASSWORD_RE, replace).replace(CODE_RE, replace);
  if (MENTIONS_PASSWORD.test(text)) out = out.replace(PASSWORD_REF_RE, (whole, secret: string) => (secret.startsWith(REDACTED) ? whole : replace(whole, secret)));
  // what is left once the password phrases are gone: if only filler ("ok so", "hi"), the message said nothing more
  const words = (rest.toLowerCase().match(/\p{L}+/gu) ?? []).filter((w) => !FILLER_WORDS.has(w));
  return { text: out, found, onlySecret: found && words.length === 0 };
}
