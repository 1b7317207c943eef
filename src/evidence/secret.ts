import { inspect } from 'node:util';

const REDACTED = '[secret]';

/**
 * A password or other secret. It cannot print, log or serialise itself:
 * String(), JSON.stringify(), util.inspect() and template literals all give
 * "[secret]". Only `reveal()` gives the value, and only the account directory
 * calls it, to check a hash, right before the Secret is dropped.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}

export const isSecret = (v: unknown): v is Secret => v instanceof Secret;
