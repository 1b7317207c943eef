import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_TOKEN, startTestBot, type TestBot } from '../support/app';

/**
 * Native Slack over real HTTP: signed (and wrongly signed) requests to
 * /api/slack/events, replies sent with @slack/web-api to a fake Slack Web API
 * started here (never the internet).
 */
const SIGNING_SECRET = 'slack-signing-secret-for-tests';
const TEAM = 'T0TEST';
const DM = 'D0DM1';
const USER = 'U0SAM';

interface Posted {
  channel: string;
  text: string;
  blocks: { type: string; text?: { text: string }; elements?: { type: string; text: { text: string }; value?: string; url?: string; action_id: string }[] }[];
}
let posted: Posted[] = [];
let tokens: string[] = [];
let fake: http.Server;
let bot: TestBot;

beforeAll(async () => {
  fake = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      tokens.push(req.headers.authorization ?? '');
      if (req.url?.startsWith('/api/chat.postMessage')) {
        const form = req.headers['content-type']?.includes('json') ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(body));
        posted.push({ channel: form.channel, text: form.text, blocks: typeof form.blocks === 'string' ? JSON.parse(form.blocks) : form.blocks });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, channel: form.channel, ts: `${Date.now() / 1000}` }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'unknown_method' }));
    });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
  const apiUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}/api/`;
  bot = await startTestBot({ SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_API_URL: apiUrl });
});
afterAll(async () => {
  await bot?.close();
  await new Promise((r) => fake?.close(r));
});
beforeEach(() => {
  posted = [];
});

const sign = (ts: number, raw: string, secret = SIGNING_SECRET) => `v0=${createHmac('sha256', secret).update(`v0:${ts}:${raw}`).digest('hex')}`;
const now = () => Math.floor(Date.now() / 1000);

async function slack(raw: string, opts: { contentType?: string; ts?: number; signature?: string; headers?: Record<string, string> } = {}) {
  const ts = opts.ts ?? now();
  const res = await fetch(`${bot.url}/api/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': opts.contentType ?? 'application/json',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': opts.signature ?? sign(ts, raw),
      ...(opts.headers ?? {}),
    },
    body: raw,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

let n = 0;
const message = (text: string, extra: Record<string, unknown> = {}) => {
  n += 1;
  return JSON.stringify({
    type: 'event_callback',
    team_id: TEAM,
    event_id: `Ev${Date.now()}${n}`,
    event: { type: 'message', channel_type: 'im', channel: DM, user: USER, text, ts: `${now()}.00${n}`, client_msg_id: `msg-${Date.now()}-${n}`, ...extra },
  });
};
const press = (value: string, title: string) =>
  `payload=${encodeURIComponent(
    JSON.stringify({
      type: 'block_actions',
      team: { id: TEAM },
      user: { id: USER, team_id: TEAM },
      channel: { id: DM },
      container: { message_ts: `${now()}.1` },
      actions: [{ action_id: 'reclaim_choice_0', value, text: { type: 'plain_text', text: title }, action_ts: `${Date.now()}` }],
    }),
  )}`;

async function replies(count = 1, timeout = 10_000): Promise<Posted[]> {
  const start = Date.now();
  while (posted.length < count && Date.now() - start < timeout) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 150)); // any more of the same turn
  const got = posted;
  posted = [];
  return got;
}
const said = (p: Posted[]) => p.map((m) => m.text).join('\n');
const buttons = (p: Posted[]) => p.flatMap((m) => m.blocks.filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []));

test('is off unless both Slack settings are set', async () => {
  const plain = await startTestBot();
  try {
    const res = await fetch(`${plain.url}/api/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(404);
  } finally {
    await plain.close();
  }
});

test('answers the URL challenge when signed', async () => {
  const raw = JSON.stringify({ type: 'url_verification', token: 'legacy', challenge: 'abc123' });
  expect(await slack(raw)).toMatchObject({ status: 200, body: { challenge: 'abc123' } });
});

test('refuses a wrong signature, another secret, a tampered body, an old timestamp, or no headers (401)', async () => {
  const raw = message('someone hacked my account');
  expect((await slack(raw, { signature: 'v0=' + '0'.repeat(64) })).status).toBe(401);
  expect((await slack(raw, { signature: sign(now(), raw, 'another-secret') })).status).toBe(401);
  const ts = now();
  expect((await slack(raw.replace('hacked', 'HACKED'), { ts, signature: sign(ts, raw) })).status).toBe(401);
  const old = now() - 6 * 60;
  expect((await slack(raw, { ts: old, signature: sign(old, raw) })).status).toBe(401);
  const res = await fetch(`${bot.url}/api/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
  expect(res.status).toBe(401);
  await new Promise((r) => setTimeout(r, 300));
  expect(posted).toEqual([]);
});

test('a case in a DM: Block Kit replies, buttons pressed, no password question (Slack cannot mask), retries and bots ignored, an agent answer arrives', async () => {
  const first = message('someone hacked my account');
  expect((await slack(first)).status).toBe(200);
  let got = await replies(2);
  expect(said(got)).toMatch(/Let's act fast/);
  expect(said(got)).toMatch(/username/);
  expect(got.every((m) => m.channel === DM)).toBe(true);
  expect(got[0]!.blocks[0]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });
  expect(buttons(got).map((b) => b.text.text)).toContain('Skip');
  expect(tokens.every((t) => t === 'Bearer xoxb-test-token')).toBe(true);

  // Slack retries the same event (X-Slack-Retry-Num): acknowledged, not handled twice
  const retry = await slack(first, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
  expect(retry.status).toBe(200);
  // our own (bot) messages come back as events: ignored
  expect((await slack(message('What is the username?', { bot_id: 'B0BOT', user: undefined }))).status).toBe(200);
  await new Promise((r) => setTimeout(r, 400));
  expect(posted).toEqual([]);

  await slack(message('@sam.dances'));
  expect(said(await replies())).toMatch(/email address/);
  await slack(message('sam@example.com'));
  got = await replies();
  expect(said(got)).toMatch(/phone number/);
  // a button press arrives as an interactive payload (form-encoded)
  const skip = buttons(got).find((b) => b.text.text === 'Skip')!;
  expect((await slack(press(skip.value!, 'Skip'), { contentType: 'application/x-www-form-urlencoded' })).status).toBe(200);
  got = await replies(2);
  // no masked input on Slack: no password field; at most the one-time secure link (a link button, or in the text)
  expect(JSON.stringify(got)).not.toMatch(/"type":"(plain_text_input|password)"/);
  const linkButton = buttons(got).find((b) => b.url);
  if (linkButton) expect(linkButton.url).toMatch(/^https?:\/\//);
  if (linkButton || /\/secure\//.test(said(got))) {
    const next = buttons(got).find((b) => b.value)!;
    await slack(press(next.value!, next.text.text), { contentType: 'application/x-www-form-urlencoded' });
    got = await replies();
  }
  expect(said(got)).toMatch(/what happened/i);
  await slack(message('They changed the email on it last night.'));
  got = await replies();
  expect(said(got)).toMatch(/Shall I open the ticket/);
  const yes = buttons(got).find((b) => /Yes/.test(b.text.text))!;
  await slack(press(yes.value!, yes.text.text), { contentType: 'application/x-www-form-urlencoded' });
  got = await replies();
  const ref = /RC-[A-Z0-9]{6}/.exec(said(got))?.[0];
  expect(ref).toBeDefined();
  const ticket = await bot.app.tickets.get(ref!);
  expect(ticket?.conversationRef).toMatchObject({ channelId: 'slack', conversation: { id: `${TEAM}:${DM}` }, user: { id: `${TEAM}:${USER}` } });

  // an agent answers through the agent API: it reaches the same Slack DM
  const agent = await fetch(`${bot.url}/api/tickets/${ref}/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${AGENT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'We restored your access.' }),
  });
  if (agent.status !== 404) {
    expect(agent.status).toBeLessThan(300);
    got = await replies();
    expect(said(got)).toContain('We restored your access.');
    expect(got[0]!.channel).toBe(DM);
  }
});
