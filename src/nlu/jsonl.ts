/**
 * NLU evaluation data: JSON Lines, one `{"text": "...", "intent": "..."}` per line
 * (docs/product.md). Blank lines are ignored; anything else that is not such an object is an
 * error naming the line and the reason.
 */
export interface LabelledExample {
  text: string;
  intent: string;
}

export class JsonlError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'JsonlError';
  }
}

/** Parses JSONL content; `file` only names the source in errors. */
export function parseLabelledJsonl(content: string, file = '<input>'): LabelledExample[] {
  const out: LabelledExample[] = [];
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    if (!raw.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new JsonlError(file, lineNo, `not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new JsonlError(file, lineNo, 'expected an object like {"text": "...", "intent": "..."}');
    }
    const { text, intent } = value as Record<string, unknown>;
    if (typeof text !== 'string') throw new JsonlError(file, lineNo, '"text" is missing or not a string');
    if (!text.trim()) throw new JsonlError(file, lineNo, '"text" is empty');
    if (typeof intent !== 'string') throw new JsonlError(file, lineNo, '"intent" is missing or not a string');
    if (!intent.trim()) throw new JsonlError(file, lineNo, '"intent" is empty');
    out.push({ text, intent: intent.trim() });
  });
  if (out.length === 0) throw new JsonlError(file, lines.length, 'no examples in the file');
  return out;
}
