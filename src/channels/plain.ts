import type { OutMessage } from '../engine/wording';

/**
 * Plain text for channels that show neither buttons nor cards (SMS, e-mail,
 * a terminal): the choices become a numbered list, and typing the number (or
 * the words) picks one. No password field is ever shown here: a channel that
 * cannot mask input only gets the one-time secure link, when there is one.
 */
export function renderPlain(m: OutMessage): string {
  const link = (m as OutMessage & { passwordLink?: string }).passwordLink;
  const lines = [m.text];
  if (link && !m.text.includes(link)) lines.push(link);
  if (m.choices.length > 0) lines.push(m.choices.map((c, i) => `${i + 1}. ${c.title}`).join('\n'));
  return lines.join('\n\n');
}

/** The choice a typed number stands for ("2", "2.", "#2", "option 2"), or undefined. */
export function numberedChoice(text: string, choices: OutMessage['choices']): OutMessage['choices'][number] | undefined {
  const m = /^\s*(?:#|no\.?\s*|option\s*)?(\d{1,2})[.)]?\s*$/i.exec(text);
  if (!m) return undefined;
  return choices[Number(m[1]) - 1];
}
