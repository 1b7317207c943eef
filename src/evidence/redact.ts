/**
 * Finds passwords and one-time codes typed into plain chat ("my old password
 * was hunter2", "pw: x", "the code is 123456") so the message can be redacted
 * before anything is stored, logged or classified.
 */
export const REDACTED = '[removed]';

const KEYWORD = String.raw`(?:pass\s?words?|passwd|pwd|pw|pass|passcode|contrase[ñn]a|mot de passe)`;
const LEAD = String.raw`(?:(?:my|the)\s+)?(?:(?:old|previous|former|last|current|new|real|actual|usual)\s+)?`;
const VERB = String.raw`(?:\s*(?:is probably|was probably|is like|was like|used to be|might be|may be|could be|should be|would be|:|=|-|is|was|were)\s*)`;
const PASSWORD_RE = new RegExp(String.raw`\b${LEAD}${KEYWORD}${VERB}["'“‘]?([^\s"'”’]{3,})["'”’]?`, 'gi');
const CODE_RE = /\b(?:code|otp|pin)\s*(?::|=|is|was)?\s*(\d{4,8})\b/gi;

/** Words that follow "my password is …" without being a password. */
const NOT_A_PASSWORD = new Set(
  `wrong incorrect invalid not no never too correct right forgotten forgot lost gone the a an my that this being still changed
   reset hacked expired blocked locked fine ok okay weak strong same different missing unknown empty working rejected
   definitely probably correct, right. wrong. wrong! incorrect. and but so because`.split(/\s+/),
);

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
  const out = text.replace(PASSWORD_RE, replace).replace(CODE_RE, replace);
  // what is left once the password phrases are gone: two words or fewer ("hi", "ok so") say nothing more
  const words = rest.match(/\p{L}{2,}/gu) ?? [];
  return { text: out, found, onlySecret: found && words.length <= 2 };
}
