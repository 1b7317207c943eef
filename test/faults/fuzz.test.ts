import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { activity, pool, request, spawnBot, tmpDir, type BotProcess } from './support';

/**
 * 10,000 hostile or broken requests to a real process: wrong types, missing
 * fields, huge and binary text, unknown activity types, broken JSON. Zero
 * crashes and zero 5xx; every malformed request gets a 4xx with a reason.
 * Deterministic (a seeded generator), so a failure can be replayed.
 */
let s = 0x2f6b3a1d;
const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 0x100000000);
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const int = (n: number) => Math.floor(rnd() * n);

const TEXTS = [
  () => '',
  () => ' ',
  () => 'someone hacked my account',
  () => 'i forgot my password',
  () => 'talk to a person',
  () => 'Yes, open the ticket',
  () => 'skip',
  () => 'cancel',
  () => '@sam.dances',
  () => 'sam@example.com',
  () => 'my old password was Sunset2020!',
  () => '\u0000\u0001\u0002\u001f\u007f',
  () => '\ud800 lone surrogate \udfff',
  () => '👩‍👩‍👧‍👦'.repeat(200),
  () => 'مرحبا حسابي مخترق',
  () => '<script>alert(1)</script>{{ref}}${x}%s%n',
  () => 'a'.repeat(10_000),
  () => 'word '.repeat(30_000), // 150 KB, under the body limit
  () => randomBytes(2000).toString('latin1'),
  () => randomBytes(3000).toString('base64'),
  () => 'RC-ZZZZZZ status',
  () => '\n\n\t\r',
];

type Case = { body: string | Buffer; headers?: Record<string, string>; malformed: boolean; label: string };

const base = (conv: string) => activity(conv, 'hi') as unknown as Record<string, unknown>;

/** A field set to a value of a type it must never have. */
function wrongTypes(conv: string): Record<string, unknown> {
  const a = base(conv);
  const notString = [123, true, [], {}, [1, 2], { id: 5 }, -1.5];
  const notObject = [123, true, 'str', [], [1, 2], -1.5];
  const notArrayOfObjects = [123, true, 'str', {}, [1, 2], ['x']];
  const field = pick(['type', 'conversation', 'conversation.id', 'from', 'from.id', 'text', 'channelId', 'id', 'membersAdded', 'attachments', 'recipient', 'serviceUrl', 'channelData']);
  if (field === 'type') a.type = pick([...notString, null, '']);
  else if (field === 'conversation') a.conversation = pick([...notObject, null, {}]);
  else if (field === 'conversation.id') a.conversation = { id: pick([...notString, null, '', 'x'.repeat(2000)]) };
  else if (field === 'from.id') a.from = { id: pick(notString) };
  else if (field === 'from' || field === 'recipient' || field === 'channelData') a[field] = pick(notObject);
  else if (field === 'membersAdded' || field === 'attachments') a[field] = pick(notArrayOfObjects);
  else a[field] = pick(notString);
  return a;
}

function makeCase(i: number): Case {
  // few conversations: most well-formed messages also meet the per-minute limit, which must answer as cleanly
  const conv = `fuzz-${int(16)}`;
  const kind = int(12);
  switch (kind) {
    case 0:
    case 1:
    case 2: {
      const a = base(conv);
      a.text = pick(TEXTS)();
      a.id = `fz-${i}`;
      return { body: JSON.stringify(a), malformed: false, label: 'message' };
    }
    case 3: {
      const a = base(conv);
      delete a.text;
      a.value = pick<unknown>([{ action: 'password', password: 'x'.repeat(int(300)) }, { action: 'skip' }, { choice: 'affirm' }, { choice: 42 }, 'str', [1], null, { password: { nested: true } }, {}]);
      return { body: JSON.stringify(a), malformed: false, label: 'card' };
    }
    case 4: {
      const a = base(conv);
      a.type = pick(['typing', 'invoke', 'event', 'endOfConversation', 'messageReaction', 'installationUpdate', 'foo', 'conversationUpdate', 'deleteUserData', 'x'.repeat(64)]);
      if (a.type === 'conversationUpdate') a.membersAdded = pick<unknown>([[{ id: 'user-x' }], [{ id: 'reclaim-bot' }], [], [{ id: 'u', name: 'n' }, { id: 'v' }]]);
      return { body: JSON.stringify(a), malformed: false, label: `type:${a.type}` };
    }
    case 5:
      return { body: JSON.stringify(wrongTypes(conv)), malformed: true, label: 'wrong-type' };
    case 6: {
      const a = base(conv);
      const drop = pick(['type', 'conversation']);
      delete a[drop];
      return { body: JSON.stringify(a), malformed: true, label: `missing:${drop}` };
    }
    case 7: {
      const good = JSON.stringify(base(conv));
      const broken = pick([
        () => good.slice(0, int(good.length)),
        () => good.replace(/"/g, "'"),
        () => `${good}}`,
        () => '{"type": "message", "text": "\\x"}',
        () => '{',
        () => 'null',
        () => 'true',
        () => '42',
        () => '"just a string"',
        () => '[]',
        () => `[${good}]`,
        () => '{}',
        () => `${'['.repeat(5000)}${']'.repeat(5000)}`,
        () => `{"a":${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`,
      ])();
      return { body: broken, malformed: true, label: 'broken-json' };
    }
    case 8:
      return { body: randomBytes(1 + int(4000)), malformed: true, label: 'binary' };
    case 9:
      return {
        body: JSON.stringify(base(conv)),
        headers: { 'content-type': pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) },
        malformed: true,
        label: 'content-type',
      };
    case 10: {
      const a = base(conv);
      a.text = 'x'.repeat(300 * 1024); // over MAX_BODY_BYTES
      return { body: JSON.stringify(a), malformed: true, label: 'too-large' };
    }
    default: {
      const a = base(conv);
      a.text = pick(TEXTS)();
      a.extra = { deep: [1, 'x', null, { y: randomBytes(20).toString('hex') }] };
      a.locale = pick(['en-US', 'xx', '', '🙂']);
      a.entities = [{ type: 'mention', text: '<at>Reclaim</at>', mentioned: { id: 'reclaim-bot' } }];
      return { body: JSON.stringify(a), malformed: false, label: 'extra-fields' };
    }
  }
}

describe('fuzzed activities and HTTP bodies', () => {
  let bot: BotProcess;
  beforeAll(async () => {
    bot = await spawnBot({ DATA_DIR: path.join(tmpDir('fuzz'), 'data'), LOG_LEVEL: 'warn' }, 'fuzz');
  }, 60_000);
  afterAll(async () => bot?.stop());

  test('10,000 requests: 0 crashes, 0 server errors, 4xx with a reason for every malformed one', async () => {
    const N = 10_000;
    const cases = Array.from({ length: N }, (_, i) => makeCase(i));
    const problems: string[] = [];
    const byStatus = new Map<number, number>();
    await pool(cases, 24, async (c) => {
      const res = await request(bot.url, { body: c.body, headers: c.headers, timeoutMs: 30_000 }).catch((e: Error) => ({ status: -1, text: e.message, json: undefined }));
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      const invokeUnhandled = res.status === 501 && c.label === 'type:invoke'; // botbuilder: no handler for that invoke
      if (res.status < 0 || (res.status >= 500 && !invokeUnhandled)) problems.push(`${c.label}: ${res.status} ${res.text.slice(0, 200)}`);
      else if (c.malformed) {
        const reason = res.json?.message ?? res.json?.error;
        if (res.status < 400 || res.status >= 500 || typeof reason !== 'string' || reason.length === 0) {
          problems.push(`${c.label}: expected a 4xx with a reason, got ${res.status} ${res.text.slice(0, 200)}`);
        }
      } else if (res.status >= 400 && !invokeUnhandled) problems.push(`${c.label}: well-formed but ${res.status} ${res.text.slice(0, 200)}`);
    });
    // eslint-disable-next-line no-console
    console.log(`fuzz: ${N} requests, statuses ${JSON.stringify(Object.fromEntries([...byStatus].sort()))}`);
    expect(problems.slice(0, 20)).toEqual([]);
    expect(bot.alive()).toBe(true);
    expect((await request(bot.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  }, 120_000);
});
