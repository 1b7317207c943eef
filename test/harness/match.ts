/**
 * Matching helpers: whitespace normalisation, {{placeholders}}, deep content comparison.
 */

/** Built-in placeholder patterns; any other {{name}} matches DEFAULT_PLACEHOLDER_PATTERN. */
export const PLACEHOLDER_PATTERNS: Readonly<Record<string, string>> = {
  ticketRef: 'RC-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}',
};
export const DEFAULT_PLACEHOLDER_PATTERN = '\\S+';

/** Extra / overriding placeholder patterns (regex source or RegExp). */
export type PlaceholderPatterns = Record<string, string | RegExp>;

const PLACEHOLDER_RE = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Runs of whitespace (spaces, tabs, newlines) collapse to one space; ends trimmed. */
export function normalizeWhitespace(s: string | undefined | null): string {
  return (s ?? '').replace(/\s+/g, ' ').trim();
}

export function hasPlaceholders(s: string): boolean {
  PLACEHOLDER_RE.lastIndex = 0;
  const found = PLACEHOLDER_RE.test(s);
  PLACEHOLDER_RE.lastIndex = 0;
  return found;
}

export function placeholderNames(s: string): string[] {
  return [...s.matchAll(PLACEHOLDER_RE)].map((m) => m[1]);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function patternFor(name: string, extra?: PlaceholderPatterns): string {
  const p = extra?.[name] ?? PLACEHOLDER_PATTERNS[name] ?? DEFAULT_PLACEHOLDER_PATTERN;
  return typeof p === 'string' ? p : p.source;
}

export interface TemplateOptions {
  /** Normalise whitespace of template and actual before comparing (bot text: yes; card content: no). */
  normalize?: boolean;
  placeholders?: PlaceholderPatterns;
}

/**
 * Match `actual` against `template`, where `{{name}}` matches a dynamic value.
 * `captured` holds values already seen (they must be repeated exactly); newly captured
 * values are written into `captured` only when the whole template matches.
 */
export function matchTemplate(
  template: string,
  actual: string,
  captured: Record<string, string>,
  opts: TemplateOptions = {},
): boolean {
  const t = opts.normalize ? normalizeWhitespace(template) : template;
  const a = opts.normalize ? normalizeWhitespace(actual) : actual;
  if (!hasPlaceholders(t)) return t === a;

  let source = '^';
  let last = 0;
  const groups = new Map<string, string>(); // placeholder name -> regex group name
  for (const m of t.matchAll(PLACEHOLDER_RE)) {
    const name = m[1];
    source += escapeRegExp(t.slice(last, m.index));
    last = (m.index ?? 0) + m[0].length;
    if (Object.prototype.hasOwnProperty.call(captured, name)) {
      source += escapeRegExp(captured[name]);
    } else if (groups.has(name)) {
      source += `\\k<${groups.get(name)}>`;
    } else {
      const g = `p${groups.size}`;
      groups.set(name, g);
      source += `(?<${g}>(?:${patternFor(name, opts.placeholders)}))`;
    }
  }
  source += escapeRegExp(t.slice(last)) + '$';
  const m = new RegExp(source).exec(a);
  if (!m) return false;
  for (const [name, g] of groups) captured[name] = m.groups?.[g] ?? '';
  return true;
}

/** Substitute captured values into `{{name}}` placeholders (used for user text / submit values). */
export function fillPlaceholders(
  s: string,
  captured: Record<string, string>,
  onMissing: (name: string) => void,
): string {
  return s.replace(PLACEHOLDER_RE, (whole, name: string) => {
    if (Object.prototype.hasOwnProperty.call(captured, name)) return captured[name];
    onMissing(name);
    return whole;
  });
}

/** fillPlaceholders applied to every string inside a JSON-like value. */
export function fillPlaceholdersDeep(
  v: unknown,
  captured: Record<string, string>,
  onMissing: (name: string) => void,
): unknown {
  if (typeof v === 'string') return fillPlaceholders(v, captured, onMissing);
  if (Array.isArray(v)) return v.map((x) => fillPlaceholdersDeep(x, captured, onMissing));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = fillPlaceholdersDeep(x, captured, onMissing);
    return out;
  }
  return v;
}

/** Short, single-line rendering of a value for failure messages. */
export function show(v: unknown, max = 300): string {
  let s: string;
  if (v === undefined) s = 'undefined';
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

/** JSON round trip: drops undefined-valued keys, turns Dates into strings, strips class prototypes. */
export function toPlain(v: unknown): unknown {
  if (v === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(v));
  } catch {
    return v;
  }
}

/**
 * Deep comparison of expected vs actual JSON-like values. Strings in `expected` may hold
 * {{placeholders}}. In `partial` mode, objects in `actual` may carry keys `expected` does not
 * mention. Returns a description of the first difference, or null when they match.
 * Newly captured placeholder values are written into `captured` (caller decides to keep them).
 */
export function deepMatch(
  expected: unknown,
  actual: unknown,
  captured: Record<string, string>,
  opts: { partial?: boolean; placeholders?: PlaceholderPatterns; path?: string } = {},
): string | null {
  const path = opts.path ?? 'content';
  const at = (p: string) => ({ ...opts, path: p });
  if (typeof expected === 'string') {
    if (typeof actual !== 'string') return `${path}: expected ${show(expected)}, actual ${show(actual)}`;
    if (hasPlaceholders(expected)) {
      return matchTemplate(expected, actual, captured, { placeholders: opts.placeholders })
        ? null
        : `${path}: expected ${show(expected)}, actual ${show(actual)}`;
    }
    return expected === actual ? null : `${path}: expected ${show(expected)}, actual ${show(actual)}`;
  }
  if (expected === null || typeof expected !== 'object') {
    return expected === actual ? null : `${path}: expected ${show(expected)}, actual ${show(actual)}`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, actual ${show(actual)}`;
    if (expected.length !== actual.length) {
      return `${path}: expected ${expected.length} item(s), actual ${actual.length}: ${show(actual)}`;
    }
    for (let i = 0; i < expected.length; i++) {
      const d = deepMatch(expected[i], actual[i], captured, at(`${path}[${i}]`));
      if (d) return d;
    }
    return null;
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
    return `${path}: expected an object, actual ${show(actual)}`;
  }
  const e = expected as Record<string, unknown>;
  const a = actual as Record<string, unknown>;
  for (const k of Object.keys(e)) {
    if (e[k] === undefined) continue;
    if (!(k in a) || a[k] === undefined) return `${path}.${k}: missing (expected ${show(e[k])})`;
    const d = deepMatch(e[k], a[k], captured, at(`${path}.${k}`));
    if (d) return d;
  }
  if (!opts.partial) {
    for (const k of Object.keys(a)) {
      if (a[k] !== undefined && !(k in e)) return `${path}.${k}: unexpected property ${show(a[k])}`;
    }
  }
  return null;
}
