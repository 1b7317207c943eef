import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestBot, userMessage, everythingWritten, type TestBot } from '../support/app';
import { startFakeConnector, type FakeConnector } from '../support/connector';
import { openSqlite } from '../../src/storage/db';
import { SecureLinks, LINK_TTL_MS } from '../../src/evidence/secure-link';

/** Previous passwords on a channel without masked input: a one-time secure page, the same verify-and-discard rule. */
let bot: TestBot;
let connector: FakeConnector;
beforeAll(async () => {
  connector = await startFakeConnector();
  bot = await startTestBot();
});
afterAll(async () => {
  await bot.close();
  await connector.close();
});

const form = (url: string, fields: Record<string, string>) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });

test('an SMS-like channel gets a one-time link; the form checks the passwords, and the chat goes on with the outcome only', async () => {
  const conv = 'sms-user';
  const say = (text: string) => bot.send(userMessage(conv, text, { channelId: 'sms', serviceUrl: connector.url } as never));
  for (const t of ['my account was hacked', '@lee_cooks', 'lee.cooks@example.org']) await say(t);
  const ask = await say('skip');
  const link = /http:\/\/localhost:\d+\/secure\/[A-Za-z0-9_-]{43}/.exec(ask.map((a) => a.text).join(' '))![0];
  expect(ask.some((a) => a.attachments?.length)).toBe(false); // no card on this channel
  const url = link.replace(/^http:\/\/localhost:\d+/, bot.url);

  const page = await fetch(url);
  expect(page.status).toBe(200);
  expect(page.headers.get('cache-control')).toBe('no-store');
  const html = await page.text();
  expect(html.match(/type="password"/g)).toHaveLength(3);

  const done = await form(url, { p0: 'pancake88', p1: 'definitely-not-it' });
  expect(done.status).toBe(200);
  expect(await done.text()).toContain('go back to the chat');
  // the conversation went on by itself, in the user's chat
  expect(connector.textsFor(conv)).toEqual([
    'Thanks, I got what you entered on the secure page.',
    // an SMS-like channel has no buttons: choices are numbered in the text
    'Last question: in your own words, what happened? When did you last get in, and what changed?\n\n1. Skip',
  ]);
  // single use
  expect((await form(url, { p0: 'pancake88' })).status).toBe(410);
  expect((await fetch(url)).status).toBe(410);

  await say('someone changed the email on it');
  const summary = await say('Yes, open the ticket');
  const ref = /RC-[A-Z0-9]{6}/.exec(summary.map((a) => a.text).join(' '))![0];
  const ticket = await bot.app.tickets.get(ref);
  expect(ticket!.evidence.previousPasswords).toEqual([{ outcome: 'matched' }, { outcome: 'not_matched' }]);
  const written = everythingWritten(bot.dataDir) + JSON.stringify(connector.received) + fs.readFileSync(bot.logFile, 'utf8');
  expect(written).not.toContain('pancake88');
  expect(written).not.toContain('definitely-not-it');
});

test('an unknown link is refused', async () => {
  expect((await fetch(`${bot.url}/secure/${'x'.repeat(43)}`)).status).toBe(410);
});

test('a link expires after 10 minutes, and only its hash is stored', async () => {
  const { db } = await openSqlite(fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-links-')));
  let now = Date.parse('2026-11-25T10:00:00Z');
  const links = new SecureLinks(db, 'https://help.example.com', () => now);
  const ref = { channelId: 'sms', serviceUrl: '', conversation: { id: 'c' }, user: { id: 'u' }, bot: { id: 'b' } };
  const url = await links.create({ conversationKey: 'k', username: 'lee_cooks', conversationRef: ref });
  const token = url.split('/').pop()!;
  expect(url).toMatch(/^https:\/\/help\.example\.com\/secure\/[A-Za-z0-9_-]{43}$/);
  const rows = await db.selectFrom('secure_links').selectAll().execute();
  expect(JSON.stringify(rows)).not.toContain(token);
  now += LINK_TTL_MS - 1000;
  expect((await links.peek(token)).ok).toBe(true);
  now += 2000;
  expect(await links.consume(token)).toEqual({ ok: false, reason: 'expired' });
  await db.destroy();
});

test('two submissions racing: exactly one uses the link', async () => {
  const { db } = await openSqlite(fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-links-')));
  const links = new SecureLinks(db, 'http://x');
  const ref = { channelId: 'sms', serviceUrl: '', conversation: { id: 'c' }, user: { id: 'u' }, bot: { id: 'b' } };
  const token = (await links.create({ conversationKey: 'k', username: null, conversationRef: ref })).split('/').pop()!;
  const results = await Promise.all([links.consume(token), links.consume(token), links.consume(token)]);
  expect(results.filter((r) => r.ok)).toHaveLength(1);
  await db.destroy();
});
