import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestBot, userMessage, everythingWritten, type TestBot } from '../support/app';
import { startFakeConnector, type FakeConnector } from '../support/connector';
import { signature } from '../../src/handoff/webhook';

/**
 * The loop closed: a conversation becomes a ticket; an agent claims it, asks
 * for more information; the user answers in the chat; the agent resolves it
 * and the user gets the resolution in the same conversation. The helpdesk
 * webhook gets every event exactly once although it fails at first; no
 * secret appears in any API answer, event or webhook body.
 */
const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdef00';
const WEBHOOK_SECRET = 'webhook-secret-0123456789';
const PASSWORD = 'Sunset2020!';

interface Delivery {
  key: string;
  type: string;
  body: string;
  signatureOk: boolean;
  accepted: boolean;
}

let bot: TestBot;
let connector: FakeConnector;
let receiver: http.Server;
const deliveries: Delivery[] = [];
let failuresLeft = 4; // the helpdesk is down for the first four requests

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const accepted = failuresLeft-- <= 0;
      deliveries.push({
        key: String(req.headers['idempotency-key']),
        type: String(req.headers['x-reclaim-event']),
        body,
        signatureOk: req.headers['x-reclaim-signature'] === signature(WEBHOOK_SECRET, body),
        accepted,
      });
      res.statusCode = accepted ? 204 : 503;
      res.end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  connector = await startFakeConnector();
  bot = await startTestBot({
    AGENT_API_TOKEN: '',
    AGENT_TOKENS: `alice:${ALICE}, bob:${BOB}`,
    HELPDESK_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/reclaim`,
    HELPDESK_WEBHOOK_SECRET: WEBHOOK_SECRET,
    HELPDESK_WEBHOOK_RETRY_MS: '20',
  });
});

afterAll(async () => {
  await bot.close();
  await connector.close();
  await new Promise((r) => receiver.close(r));
});

const api = async (method: string, path: string, token: string | null, body?: unknown) => {
  const res = await fetch(`${bot.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
};

test('conversation → ticket → claim → question → answer in the chat → resolution in the same conversation', async () => {
  const conv = 'handoff-loop';
  const say = (text?: string, value?: unknown) =>
    bot.send(userMessage(conv, text, { serviceUrl: connector.url, ...(value ? { value } : {}) } as never));
  await say('someone hacked my account');
  await say('@sam.dances');
  await say('sam@example.com');
  await say('skip');
  await say(undefined, { action: 'password', password: PASSWORD });
  await say(undefined, { action: 'skip' });
  await say('they changed my email yesterday');
  const opened = await say('Yes, open the ticket');
  const ref = /RC-[A-Z0-9]{6}/.exec(opened.map((a) => a.text ?? '').join(' '))![0];
  // the Bot Framework handoff event, with the redacted transcript, for channels that route to an agent hub
  const handoff = opened.find((a) => a.type === 'event' && a.name === 'handoff.initiate');
  expect(handoff?.value).toEqual({ ticket: ref, category: 'account_hacked', priority: 'high' });
  expect(JSON.stringify(handoff)).not.toContain(PASSWORD);

  expect((await api('POST', `/api/tickets/${ref}/claim`, ALICE, {})).body.ticket).toMatchObject({ status: 'in_progress', assignee: 'alice' });
  expect((await api('POST', `/api/tickets/${ref}/notes`, BOB, { text: 'checked the login history' })).status).toBe(200);
  const asked = await api('POST', `/api/tickets/${ref}/request-info`, ALICE, { text: 'Which country did you last log in from?' });
  expect(asked.body).toMatchObject({ ticket: { status: 'awaiting_user' }, delivered: true });
  expect(connector.textsFor(conv).at(-1)).toBe(`Our support team has a question about your case ${ref}:\nWhich country did you last log in from?\nJust reply here.`);

  const answered = await say('From Portugal, last Sunday');
  expect(answered[0]!.text).toBe(`Thanks, I've passed your answer to the support team on case ${ref}.`);
  expect((await api('GET', `/api/tickets/${ref}`, BOB)).body.status).toBe('in_progress');

  expect((await api('POST', `/api/tickets/${ref}/messages`, ALICE, { text: 'We have secured the account.' })).body.delivered).toBe(true);
  const resolved = await api('POST', `/api/tickets/${ref}/resolve`, ALICE, { message: 'Log in with the reset link we sent to sam@example.com.' });
  expect(resolved.body).toMatchObject({ ticket: { status: 'resolved' }, delivered: true });
  expect(connector.textsFor(conv).slice(-2)).toEqual([
    `Message from our support team about ${ref}:\nWe have secured the account.`,
    `Your case ${ref} is resolved. From our support team:\nLog in with the reset link we sent to sam@example.com.`,
  ]);
  // every message went to the conversation the user started, as the bot, to that user
  for (const r of connector.received) expect(r.activity.conversation.id).toBe(conv);

  const ticket = (await api('GET', `/api/tickets/${ref}`, ALICE)).body;
  expect(ticket.events.map((e: any) => [e.type, e.actor])).toEqual([
    ['opened', 'bot'],
    ['claimed', 'alice'],
    ['note', 'bob'],
    ['info_requested', 'alice'],
    ['user_answered', expect.stringMatching(/^user:/)],
    ['agent_message', 'alice'],
    ['resolved', 'alice'],
  ]);
  expect(ticket.events.find((e: any) => e.type === 'user_answered').data.text).toBe('From Portugal, last Sunday');

  // the helpdesk: every event exactly once, signed, despite its failures
  for (let i = 0; i < 200 && new Set(deliveries.filter((d) => d.accepted).map((d) => d.key)).size < 7; i++) {
    await bot.app.webhook!.tick();
    await new Promise((r) => setTimeout(r, 25));
  }
  const accepted = deliveries.filter((d) => d.accepted);
  expect(deliveries.filter((d) => !d.accepted).length).toBe(4);
  expect(accepted.map((d) => d.type).sort()).toEqual(['agent_message', 'claimed', 'info_requested', 'note', 'opened', 'resolved', 'user_answered'].sort());
  expect(new Set(accepted.map((d) => d.key)).size).toBe(accepted.length);
  expect(deliveries.every((d) => d.signatureOk)).toBe(true);
  expect(JSON.parse(accepted.find((d) => d.type === 'opened')!.body)).toMatchObject({ type: 'opened', ticket: { ref, status: 'open' } });

  const everything = JSON.stringify(ticket) + deliveries.map((d) => d.body).join('') + JSON.stringify(connector.received) + everythingWritten(bot.dataDir);
  expect(everything).not.toContain(PASSWORD);
});

test('agent API errors: 400 with the reason, 404, 409 for an impossible transition, 401', async () => {
  const conv = 'handoff-errors';
  const say = (text: string) => bot.send(userMessage(conv, text, { serviceUrl: connector.url } as never));
  for (const t of ['talk to a person', 'my account is gone', '@lee_cooks', 'skip', 'skip']) await say(t);
  await bot.send(userMessage(conv, undefined, { serviceUrl: connector.url, value: { action: 'skip' } } as never));
  const opened = await say('Yes, open the ticket');
  const ref = /RC-[A-Z0-9]{6}/.exec(opened.map((a) => a.text ?? '').join(' '))![0];

  const empty = await api('POST', `/api/tickets/${ref}/messages`, ALICE, { text: '   ' });
  expect(empty.status).toBe(400);
  expect(empty.body.message).toMatch(/text: must not be empty/);
  expect((await api('POST', `/api/tickets/${ref}/resolve`, ALICE, { text: 'wrong field' })).status).toBe(400);
  expect((await api('POST', `/api/tickets/${ref}/messages`, ALICE, 'not json')).status).toBe(400);
  expect((await api('POST', '/api/tickets/RC-ZZZZZZ/claim', ALICE, {})).status).toBe(404);
  expect((await api('POST', `/api/tickets/${ref}/claim`, null, {})).status).toBe(401);
  expect((await api('POST', `/api/tickets/${ref}/reject`, BOB, { message: 'We could not verify ownership.' })).status).toBe(200);
  const again = await api('POST', `/api/tickets/${ref}/messages`, ALICE, { text: 'hello?' });
  expect(again.status).toBe(409);
  expect(again.body.message).toMatch(/rejected/);
  expect(connector.textsFor(conv).at(-1)).toBe(`Your case ${ref} has been closed. From our support team:\nWe could not verify ownership.`);
});

test('while a ticket is open, the user\'s new messages are added to it', async () => {
  const conv = 'handoff-follow';
  const say = (text: string) => bot.send(userMessage(conv, text, { serviceUrl: connector.url } as never));
  for (const t of ['talk to a person', 'my account is gone', '@nadia.films', 'skip', 'skip']) await say(t);
  await bot.send(userMessage(conv, undefined, { serviceUrl: connector.url, value: { action: 'skip' } } as never));
  const ref = /RC-[A-Z0-9]{6}/.exec((await say('Yes, open the ticket')).map((a) => a.text ?? '').join(' '))![0];
  const more = await say('I also remember the account was created in 2019');
  expect(more[0]!.text).toMatch(new RegExp(`^I've added that to your case ${ref}`));
  const events = (await api('GET', `/api/tickets/${ref}`, ALICE)).body.events;
  expect(events.at(-1)).toMatchObject({ type: 'user_message', data: { text: 'I also remember the account was created in 2019' } });
  const status = await say("what's the status of my case?");
  expect(status[0]!.text).toMatch(new RegExp(`${ref}: open, waiting for an agent`));
});

test('the agent console page is served', async () => {
  const res = await fetch(`${bot.url}/agent`);
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('Reclaim · agent console');
});
