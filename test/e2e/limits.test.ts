import { startTestBot, userMessage, type TestBot } from '../support/app';

/** Abuse limits, through the real HTTP endpoint, counted in the database. */
const texts = (r: { text?: string }[]) => r.map((a) => a.text ?? '');

describe('abuse limits', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot({ LIMIT_MESSAGES_PER_MINUTE: '12', LIMIT_PASSWORD_CHECKS_PER_CONVERSATION: '1', LIMIT_TICKETS_PER_USER_PER_DAY: '1' });
  });
  afterAll(async () => bot.close());

  const hacked = async (conv: string, user: string, username: string, passwords: string[]) => {
    const from = { id: user, name: 'Sam' };
    const say = async (text?: string, value?: unknown) => texts(await bot.send(userMessage(conv, text, { from, ...(value ? { value } : {}) } as never)));
    const out: string[][] = [];
    out.push(await say('someone hacked my account'));
    out.push(await say(username));
    out.push(await say('sam@example.com'));
    out.push(await say('skip'));
    for (const p of passwords) out.push(await say(undefined, { action: 'password', password: p }));
    out.push(await say(undefined, { action: 'skip' }));
    out.push(await say('They changed my email and phone number last night'));
    out.push(await say('Yes, open the ticket'));
    return out;
  };

  test('messages per minute per conversation: a polite answer past the limit, other conversations unaffected', async () => {
    const replies: string[] = [];
    for (let i = 0; i < 14; i++) replies.push(texts(await bot.send(userMessage('lim-msg', 'hello'))).join(' '));
    expect(replies.slice(0, 12).every((r) => !/faster than I can keep up/.test(r))).toBe(true);
    expect(replies[12]).toMatch(/faster than I can keep up.*nothing you told me is lost/);
    expect(texts(await bot.send(userMessage('lim-msg-other', 'hello'))).join(' ')).not.toMatch(/faster/);
  });

  test('password checks per conversation, and tickets per user per day; the answers are the same whether the account exists', async () => {
    // a real account with its real password, and an account that does not exist: word for word the same conversation
    const real = await hacked('lim-real', 'user-real', '@sam.dances', ['Sunset2020!', 'sunset-2019']);
    const none = await hacked('lim-none', 'user-none', '@nobody.here', ['Sunset2020!', 'sunset-2019']);
    const mask = (c: string[][]) => JSON.stringify(c).replace(/RC-[A-Z0-9]{6}/g, 'RC-?').replace(/@?(sam\.dances|nobody\.here)/g, '@x');
    expect(mask(real)).toEqual(mask(none));
    expect(real[5]!.join(' ')).toMatch(/can't check any more previous passwords/);
    const ref = /RC-[A-Z0-9]{6}/.exec(real.at(-1)!.join(' '))?.[0];
    expect(ref).toBeDefined();

    // the same user, a second case the same day: refused politely, evidence kept, no ticket
    const second = await hacked('lim-real-2', 'user-real', '@sam.dances', []);
    const last = second.at(-1)!.join(' ');
    expect(last).toMatch(/several cases with us today/);
    expect(last).not.toMatch(/fault on our side|RC-/);
    const mine = (await bot.app.tickets.listForUser('test', 'user-real')).map((t) => t.ref);
    expect(mine).toEqual([ref]);
  });
});
