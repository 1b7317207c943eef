import type { Reply } from '../../dialogs/types';
import type { Knowledge } from '../knowledge';

/** A reply in words, before any channel decides how to show it. */
export interface OutMessage {
  /** wording key it came from (for tests and metrics, never shown) */
  key: string;
  text: string;
  choices: { title: string; value: string }[];
  /** a masked input is wanted: channels with cards show a password field */
  passwordInput?: { id: 'password'; label: string; submit: string };
}

export interface WordingGlobals {
  platform: string;
  eta: string;
}

const PLACEHOLDER = /\{([a-zA-Z_]+)(?::([a-zA-Z_]+))?\}/g;

/** Turns the machine's reply data into text, from the knowledge pack's wording. */
export class Wording {
  private readonly globals: Record<string, string | number>;

  constructor(
    private readonly knowledge: Knowledge,
    globals: WordingGlobals,
  ) {
    this.globals = { ...knowledge.facts, ...globals };
  }

  /** The text of a wording key (or a guide, `guide.<intent>`), with placeholders filled. */
  text(key: string, params: Reply['params'] = {}): string {
    const guide = key.startsWith('guide.') ? this.knowledge.guides[key.slice(6)] : undefined;
    const entry = guide ? guide.text : this.knowledge.wording[key];
    if (entry === undefined) throw new Error(`no wording for "${key}" in knowledge/responses.yml`);
    return this.fill(typeof entry === 'string' ? entry : entry.text, params);
  }

  render(reply: Reply): OutMessage {
    let text = this.text(reply.key, reply.params);
    if (reply.items) {
      const entry = this.knowledge.wording[reply.key];
      const itemTemplate = typeof entry === 'object' ? entry.item : '{ref}';
      text = text.replace('{items}', reply.items.map((item) => this.fill(itemTemplate, item)).join('\n'));
    }
    return {
      key: reply.key,
      text,
      choices: (reply.choices ?? []).map((c) => ({ title: this.text(c.label), value: c.value })),
      ...(reply.input === 'password'
        ? { passwordInput: { id: 'password' as const, label: this.text('card.password_label'), submit: this.text('card.password_submit') } }
        : {}),
    };
  }

  private fill(template: string, params: Reply['params'] = {}): string {
    return template.replace(PLACEHOLDER, (whole, name: string, dict?: string) => {
      if (name === 'items') return whole;
      const value = name in params ? params[name] : this.globals[name];
      if (value === undefined) return whole;
      if (value === null) return this.text('not_given');
      if (dict) return this.knowledge.dictionaries[dict]?.[String(value)] ?? String(value);
      return String(value);
    });
  }
}
