import { inspect } from 'node:util';
import pino from 'pino';
import { Secret } from '../../src/evidence/secret';
import { redactSecrets } from '../../src/evidence/redact';
import { maskPhone, normaliseDescription, normaliseEmail, normalisePhone, normaliseUsername } from '../../src/evidence/validate';
import { createLogger } from '../../src/logger';

describe('Secret', () => {
  const s = new Secret('hunter2-plain');

  test('cannot print, serialise or inspect itself', () => {
    const renderings = [String(s), `${s}`, JSON.stringify({ s }), inspect(s), inspect({ nested: { s } }), s + '', JSON.stringify([s])];
    for (const r of renderings) expect(r).not.toContain('hunter2');
    expect(s.reveal()).toBe('hunter2-plain');
  });

  test('is not in a structured clone or a spread', () => {
    expect(JSON.stringify(structuredClone({ s }))).not.toContain('hunter2');
    expect(JSON.stringify({ ...s })).not.toContain('hunter2');
  });

  test('does not leak through a logger', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => lines.push(l) } as unknown as pino.DestinationStream);
    logger.info({ s, password: 'typed-raw-1', nested: { password: 'typed-raw-2' }, activity: { value: { password: 'typed-raw-3' } } }, 'x');
    expect(lines.join('')).not.toMatch(/hunter2|typed-raw/);
  });
});

describe('passwords typed in chat', () => {
  test.each([
    ['my old password was hunter2x', 'my old password was [removed]', true],
    ['pw: S3cret!x', 'pw: [removed]', true],
    ['i forgot my password, it was probably Sunset2020!', 'i forgot my password, it was probably [removed]', false],
    ['my password might be tiger123 or lion456', 'my password might be [removed]', true],
    ['ok so my password was hunter2x', 'ok so my password was [removed]', true],
    ['my old pw was abc123, abc1234 or maybe Abc!2345', 'my old pw was [removed]', true],
    ['the code is 482913', 'the code is [removed]', true],
    ['i forgot my password, my old one was Tr0ub4dor&3', 'i forgot my password, my old one was [removed]', false],
    ['i forgot my password and it is really annoying', 'i forgot my password and it is really annoying', false],
  ])('%s', (input, output, onlySecret) => {
    const r = redactSecrets(input);
    expect(r.text).toBe(output);
    expect(r.onlySecret).toBe(onlySecret);
  });

  test.each(['it says my password is wrong', 'i forgot my password', 'my password is not working', 'password reset email never came'])(
    'not a password: %s',
    (text) => expect(redactSecrets(text)).toEqual({ text, found: false, onlySecret: false }),
  );
});

describe('evidence normalisation', () => {
  test('usernames: @ optional, lower-cased, 2-24 of letters, digits, _ and .', () => {
    expect(normaliseUsername('@Sam.Dances')).toEqual({ ok: true, value: 'sam.dances' });
    expect(normaliseUsername('my username is lee_cooks')).toEqual({ ok: true, value: 'lee_cooks' });
    expect(normaliseUsername('username: lee_cooks')).toEqual({ ok: true, value: 'lee_cooks' });
    // words that start a handle are part of it
    expect(normaliseUsername('@user.3000')).toEqual({ ok: true, value: 'user.3000' });
    expect(normaliseUsername('handlebar_mo')).toEqual({ ok: true, value: 'handlebar_mo' });
    expect(normaliseUsername('accountant.jo')).toEqual({ ok: true, value: 'accountant.jo' });
    expect(normaliseUsername('sam dances')).toEqual({ ok: false, reason: 'invalid.username.spaces' });
    expect(normaliseUsername('a')).toEqual({ ok: false, reason: 'invalid.username.too_short' });
    expect(normaliseUsername('x'.repeat(25))).toEqual({ ok: false, reason: 'invalid.username.too_long' });
    expect(normaliseUsername('sam!dances')).toEqual({ ok: false, reason: 'invalid.username.characters' });
    expect(normaliseUsername('sam@example.com')).toEqual({ ok: false, reason: 'invalid.username.looks_like_email' });
  });

  test('emails: validated and lower-cased, with a specific reason when wrong', () => {
    expect(normaliseEmail(' Sam@Example.COM. ')).toEqual({ ok: true, value: 'sam@example.com' });
    expect(normaliseEmail('sam at example dot com')).toEqual({ ok: false, reason: 'invalid.email.no_at' });
    expect(normaliseEmail('sam@example')).toEqual({ ok: false, reason: 'invalid.email.no_domain' });
    expect(normaliseEmail('sam @example.com')).toEqual({ ok: false, reason: 'invalid.email.spaces' });
  });

  test('phones: E.164, with the default region for national numbers', () => {
    expect(normalisePhone('(415) 555-0134', 'US')).toEqual({ ok: true, value: '+14155550134' });
    expect(normalisePhone('07911 123456', 'GB')).toEqual({ ok: true, value: '+447911123456' });
    expect(normalisePhone('+44 7911 123456', 'US')).toEqual({ ok: true, value: '+447911123456' });
    expect(normalisePhone('no idea', 'US')).toEqual({ ok: false, reason: 'invalid.phone.no_digits' });
    expect(normalisePhone('12', 'US').ok).toBe(false);
    expect(maskPhone('+14155550134')).toBe('+14••••••134');
  });

  test('descriptions: trimmed, at least a few characters, at most 1000', () => {
    expect(normaliseDescription('  they   changed it ')).toEqual({ ok: true, value: 'they changed it' });
    expect(normaliseDescription('x').ok).toBe(false);
    expect(normaliseDescription('x'.repeat(1001))).toEqual({ ok: false, reason: 'invalid.description.too_long' });
  });
});
