import { AGENT_TOKEN, startTestBot, userMessage, everythingWritten, type TestBot } from '../support/app';
import { REF_PATTERN } from '../../src/tickets';

/** The real HTTP surface: /api/messages (expectReplies), /healthz, the agent API. */
let bot: TestBot;
beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(async () => bot.close());

const texts = (replies: { text?: string }[]) => replies.map((r) => r.text ?? '');

describe('POST /api/messages', () => {
  test('a hacked-account conversation ends in a ticket the agent API returns, with checked evidence and no password anywhere', async () => {
    const conv = 'e2e-hacked';
    const say = (text?: string, value?: unknown) => bot.send(userMessage(conv, text, value ? { value } : {}));
    expect(texts(await say('PLEASE HELP someone hacked my tiktok and changed the email!!!')).join(' ')).toMatch(/username/i);
    await say('@Sam.Dances');
    await say('SAM@example.com');
    await say('(415) 555-0134');
    const card = await say(undefined, { action: 'password', password: 'Sunset2020!' });
    expect(texts(card)[0]).toBe('Thanks, noted.');
    const wrong = await say(undefined, { action: 'password', password: 'not-my-password-9' });
    expect(texts(wrong)[0]).toEqual(texts(card)[0]); // no oracle: the same answer either way
    await say(undefined, { action: 'skip' });
    const summary = await say('They changed my email and phone number last night');
    expect(summary[0]!.suggestedActions?.actions.map((a) => a.title)).toEqual(['Yes, open the ticket', 'No, change something']);
    const done = await say('Yes, open the ticket');
    const ref = /RC-[A-Z0-9]{6}/.exec(texts(done).join(' '))?.[0];
    expect(ref).toMatch(REF_PATTERN);

    const list = await bot.get('/api/tickets', AGENT_TOKEN);
    expect(list.status).toBe(200);
    expect(list.body.tickets.map((t: { ref: string }) => t.ref)).toContain(ref);
    const one = await bot.get(`/api/tickets/${ref}`, AGENT_TOKEN);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      ref,
      category: 'account_hacked',
      priority: 'urgent', // hacked, and visibly distressed
      status: 'open',
      evidence: {
        username: { value: 'sam.dances', check: 'matched' },
        email: { value: 'sam@example.com', check: 'matched' },
        phone: { value: '+14155550134', check: 'matched' },
        previousPasswords: [{ outcome: 'matched' }, { outcome: 'not_matched' }],
      },
      description: 'They changed my email and phone number last night',
    });
    expect(one.body.transcript.length).toBeGreaterThan(10);
    expect(one.body.events.map((e: { type: string }) => e.type)).toEqual(['opened']);
    const everything = JSON.stringify(list.body) + JSON.stringify(one.body) + everythingWritten(bot.dataDir) + everythingWritten(bot.logFile.replace(/bot\.log$/, ''));
    expect(everything).not.toContain('Sunset2020!');
    expect(everything).not.toContain('not-my-password-9');
  });

  test('a second delivery of the same activity is not handled twice, and gets the same answer', async () => {
    const activity = userMessage('e2e-dup', 'hi');
    const first = await bot.send(activity);
    expect(first.length).toBeGreaterThan(0);
    expect((await bot.send(activity)).map((a) => a.text)).toEqual(first.map((a) => a.text));
  });

  test('a double click on "Yes, open the ticket" opens one ticket', async () => {
    const conv = 'e2e-double';
    const say = (text: string) => bot.send(userMessage(conv, text));
    await say('talk to a person');
    await say('my account is gone');
    for (const t of ['@lee_cooks', 'lee.cooks@example.org', 'skip']) await say(t);
    await bot.send(userMessage(conv, undefined, { value: { action: 'skip' } }));
    const yes = userMessage(conv, 'Yes, open the ticket');
    const [a, b] = await Promise.all([bot.send(yes), bot.send({ ...yes, id: `${yes.id}-again` })]);
    const refs = new Set(texts([...a, ...b]).join(' ').match(/RC-[A-Z0-9]{6}/g));
    expect(refs.size).toBe(1);
    const mine = (await bot.get('/api/tickets', AGENT_TOKEN)).body.tickets.filter((t: { conversationId: string }) => t.conversationId === conv);
    expect(mine).toHaveLength(1);
  });

  test('conversationUpdate with a new member gets the welcome and the topics', async () => {
    const replies = await bot.send({
      type: 'conversationUpdate',
      id: 'cu-1',
      channelId: 'test',
      conversation: { id: 'e2e-welcome' } as never,
      from: { id: 'user-w', name: 'W' },
      membersAdded: [{ id: 'user-w', name: 'W' }],
    });
    expect(texts(replies)[0]).toMatch(/^Hi, I'm Reclaim/);
    expect(replies[0]!.suggestedActions?.actions).toHaveLength(8);
  });

  test.each([
    ['not JSON', '{"type": "message", ', 400],
    ['a JSON array', '[1,2]', 400],
    ['an object without a type', '{"text":"hi"}', 400],
    ['a number', '42', 400],
  ])('a malformed body (%s) gets a 4xx with a reason', async (_name, body, status) => {
    const res = await bot.post(body);
    expect(res.status).toBe(status);
    expect(JSON.stringify(res.body)).toMatch(/[a-z]{4,}/i);
  });

  test('a body over the size limit is refused with 413', async () => {
    const res = await bot.post({ type: 'message', text: 'x'.repeat(300 * 1024) });
    expect(res.status).toBe(413);
  });

  test('a message with no text and no value still gets an answer, not a crash', async () => {
    const replies = await bot.send(userMessage('e2e-empty', undefined));
    expect(replies.length).toBeGreaterThan(0);
  });
});

describe('GET /healthz', () => {
  test('answers JSON with the database checked', async () => {
    const res = await bot.get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', intents: 17 });
  });
});

describe('agent API', () => {
  test('401 without a token or with a wrong one', async () => {
    expect((await bot.get('/api/tickets')).status).toBe(401);
    expect((await bot.get('/api/tickets', 'wrong-token-wrong-token')).status).toBe(401);
    expect((await bot.get('/api/tickets/RC-ABCDEF')).status).toBe(401);
  });

  test('404 for an unknown reference', async () => {
    const res = await bot.get('/api/tickets/RC-ZZZZZZ', AGENT_TOKEN);
    expect(res.status).toBe(404);
  });
});

describe('settings', () => {
  test('when AGENT_API_TOKEN is unset the agent API is off, and says so', async () => {
    const off = await startTestBot({ AGENT_API_TOKEN: '' });
    try {
      const res = await off.get('/api/tickets', AGENT_TOKEN);
      expect(res.status).toBe(503);
      expect(res.body.message).toMatch(/AGENT_API_TOKEN/);
    } finally {
      await off.close();
    }
  });

  test('when MicrosoftAppId is set, unauthenticated callers are refused', async () => {
    const secured = await startTestBot({ MicrosoftAppId: '00000000-0000-0000-0000-000000000001', MicrosoftAppPassword: 'not-a-real-secret' });
    try {
      const res = await secured.post({ ...userMessage('e2e-auth', 'hi'), serviceUrl: 'http://127.0.0.1:9', deliveryMode: 'expectReplies' });
      expect(res.status).toBe(401);
      const forged = await secured.post(
        { ...userMessage('e2e-auth', 'hi'), serviceUrl: 'http://127.0.0.1:9', deliveryMode: 'expectReplies' },
        { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJhdWQiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDEifQ.' },
      );
      expect(forged.status).toBe(401);
      expect(forged.body.activities).toBeUndefined();
      // nothing of the conversation was handled or stored
      expect(await secured.app.db.selectFrom('conversation_state').select('key').where('key', 'like', '%e2e-auth%').execute()).toEqual([]);
    } finally {
      await secured.close();
    }
  });
});
