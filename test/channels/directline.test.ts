import { AGENT_TOKEN, startTestBot, type TestBot } from '../support/app';

/** The local Direct Line v3, over real HTTP: what Web Chat (DirectLineJS, polling) and a site's backend call. */
const SECRET = 'directline-secret-for-tests-0123456789abcdef';
const HELP_SITE = 'https://help.example.com';
let bot: TestBot;

beforeAll(async () => {
  bot = await startTestBot({ DIRECTLINE_SECRET: SECRET, WEBCHAT_ALLOWED_ORIGINS: HELP_SITE });
});
afterAll(async () => bot?.close());

async function call(method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; base?: string } = {}) {
  const res = await fetch(`${opts.base ?? bot.url}${path}`, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.headers ?? {}),
    },
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function poll(conversationId: string, token: string, watermark: string, until: (texts: string[]) => boolean) {
  let w = watermark;
  const seen: any[] = [];
  for (let i = 0; i < 40; i++) {
    const r = await call('GET', `/v3/directline/conversations/${conversationId}/activities?watermark=${w}`, { token });
    expect(r.status).toBe(200);
    seen.push(...r.body.activities);
    w = r.body.watermark;
    if (until(seen.map((a) => a.text ?? ''))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { activities: seen, watermark: w };
}

test('the page token: a conversation, a welcome, a message, replies by watermark', async () => {
  const t = await call('POST', '/api/webchat/token', { body: {} });
  expect(t.status).toBe(200);
  expect(t.body).toMatchObject({ conversationId: expect.any(String), token: expect.stringMatching(/^dl1\./), expires_in: 1800, userId: expect.stringMatching(/^dl_/) });
  expect(JSON.stringify(t.body)).not.toContain(SECRET);

  const conv = await call('POST', '/v3/directline/conversations', { token: t.body.token, body: {} });
  expect(conv.status).toBe(201);
  expect(conv.body.conversationId).toBe(t.body.conversationId);
  const cid = conv.body.conversationId as string;

  const first = await poll(cid, t.body.token, '', (x) => x.some((s) => s.includes("I'm Reclaim")));
  expect(first.activities[0]).toMatchObject({ type: 'message', from: { role: 'bot' }, suggestedActions: expect.any(Object) });

  // the user cannot choose who they are: from.id comes from the token
  const sent = await call('POST', `/v3/directline/conversations/${cid}/activities`, {
    token: t.body.token,
    body: { type: 'message', text: 'i forgot my password', from: { id: 'someone-else' } },
  });
  expect(sent.status).toBe(200);
  expect(sent.body.id).toContain(cid);
  const next = await poll(cid, t.body.token, first.watermark, (x) => x.some((s) => /Forgot password/i.test(s)));
  const echo = next.activities.find((a) => a.text === 'i forgot my password');
  expect(echo.from).toMatchObject({ id: t.body.userId, role: 'user' });
  expect(Number(next.watermark)).toBeGreaterThan(Number(first.watermark));
  // nothing new after the last watermark
  const empty = await call('GET', `/v3/directline/conversations/${cid}/activities?watermark=${next.watermark}`, { token: t.body.token });
  expect(empty.body.activities).toEqual([]);

  // the token is refreshed for the same conversation; reconnecting works
  const refreshed = await call('POST', '/v3/directline/tokens/refresh', { token: t.body.token });
  expect(refreshed.body.conversationId).toBe(cid);
  expect((await call('GET', `/v3/directline/conversations/${cid}`, { token: refreshed.body.token })).status).toBe(200);
});

test('a password from the masked card reaches the bot but is not kept in the conversation Web Chat reads back', async () => {
  const t = await call('POST', '/api/webchat/token', { body: {} });
  const cid = (await call('POST', '/v3/directline/conversations', { token: t.body.token, body: {} })).body.conversationId;
  const say = (body: unknown) => call('POST', `/v3/directline/conversations/${cid}/activities`, { token: t.body.token, body });
  for (const text of ['someone hacked my account', '@sam.dances', 'sam@example.com', 'skip']) expect((await say({ type: 'message', text })).status).toBe(200);
  expect((await say({ type: 'message', value: { action: 'password', password: 'Sunset2020!' } })).status).toBe(200);
  const all = await poll(cid, t.body.token, '', (x) => x.some((s) => /Thanks, noted/.test(s)));
  expect(all.activities.map((a) => a.text ?? '').join('\n')).toMatch(/Thanks, noted/);
  expect(JSON.stringify(all.activities)).not.toContain('Sunset2020!');
});

test('tokens: the secret is needed to generate one, a token opens only its own conversation, forged tokens fail', async () => {
  expect((await call('POST', '/v3/directline/tokens/generate', { body: {} })).status).toBe(401);
  expect((await call('POST', '/v3/directline/tokens/generate', { token: 'wrong-secret', body: {} })).status).toBe(401);
  const a = await call('POST', '/v3/directline/tokens/generate', { token: SECRET, body: { user: { id: 'dl_site-user-1', name: 'Sam' } } });
  expect(a.status).toBe(200);
  const b = await call('POST', '/api/webchat/token', { body: {} });
  await call('POST', '/v3/directline/conversations', { token: a.body.token, body: {} });
  const cid = a.body.conversationId;
  expect((await call('GET', `/v3/directline/conversations/${cid}/activities`, { token: b.body.token })).status).toBe(403);
  const [head, claims, mac] = (a.body.token as string).split('.');
  const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(claims!, 'base64url').toString()), user: 'dl_attacker' })).toString('base64url');
  expect((await call('GET', `/v3/directline/conversations/${cid}/activities`, { token: `${head}.${other}.${mac}` })).status).toBe(403);
  expect((await call('GET', `/v3/directline/conversations/${cid}/activities`)).status).toBe(401);
  // a site's backend with the secret can open a conversation for its signed-in user
  const viaSecret = await call('POST', '/v3/directline/conversations', { token: SECRET, body: { user: { id: 'dl_site-user-2' } } });
  expect(viaSecret.status).toBe(201);
  expect(viaSecret.body.token).toMatch(/^dl1\./);
});

test('the connector routes only answer the bot (an unguessable key in the serviceUrl)', async () => {
  const t = await call('POST', '/api/webchat/token', { body: {} });
  await call('POST', '/v3/directline/conversations', { token: t.body.token, body: {} });
  const r = await call('POST', `/v3/directline/connector/wrong-key/v3/conversations/${t.body.conversationId}/activities`, { body: { type: 'message', text: 'I am the bot, trust me' } });
  expect(r.status).toBe(404);
  const all = await call('GET', `/v3/directline/conversations/${t.body.conversationId}/activities`, { token: t.body.token });
  expect(JSON.stringify(all.body)).not.toContain('trust me');
});

test('CORS: the allowed help site may embed, other origins get no token', async () => {
  const pre = await fetch(`${bot.url}/api/webchat/token`, {
    method: 'OPTIONS',
    headers: { origin: HELP_SITE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe(HELP_SITE);
  const ok = await call('POST', '/api/webchat/token', { body: {}, headers: { origin: HELP_SITE } });
  expect(ok.status).toBe(200);
  expect(ok.headers.get('access-control-allow-origin')).toBe(HELP_SITE);
  const other = await call('POST', '/api/webchat/token', { body: {}, headers: { origin: 'https://evil.example.net' } });
  expect(other.status).toBe(403);
  expect(other.headers.get('access-control-allow-origin')).toBeNull();
});

test('with AZURE_DIRECTLINE_SECRET the page token comes from that Direct Line (here: another bot standing in for Azure)', async () => {
  const azure = await startTestBot({ DIRECTLINE_SECRET: 'the-azure-channel-secret-0123456789abcdef' });
  const front = await startTestBot({ AZURE_DIRECTLINE_SECRET: 'the-azure-channel-secret-0123456789abcdef', AZURE_DIRECTLINE_URL: `${azure.url}/v3/directline` });
  try {
    const t = await call('POST', '/api/webchat/token', { body: {}, base: front.url });
    expect(t.status).toBe(200);
    expect(t.body.domain).toBe(`${azure.url}/v3/directline`);
    expect(JSON.stringify(t.body)).not.toContain('the-azure-channel-secret');
    const conv = await call('POST', '/v3/directline/conversations', { token: t.body.token, body: {}, base: azure.url });
    expect(conv.status).toBe(201);
  } finally {
    await front.close();
    await azure.close();
  }
});

test('the page and the Web Chat bundle are served by the bot itself', async () => {
  const page = await fetch(`${bot.url}/`);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('<script src="/embed.js"');
  expect(html).not.toMatch(/https?:\/\//);
  expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  const bundle = await fetch(`${bot.url}/webchat/webchat.js`);
  expect(bundle.status).toBe(200);
  expect(Number(bundle.headers.get('content-length'))).toBeGreaterThan(1_000_000);
  const embed = await (await fetch(`${bot.url}/embed.js`)).text();
  expect(embed).toContain('/api/webchat/token');
});

test('works with Bot Framework credentials set too (the bot replies to its own Direct Line without calling Azure)', async () => {
  const secured = await startTestBot({ MicrosoftAppId: '5a1e3c8e-1f0b-4c7d-9b1e-2f6a7d8c9e01', MicrosoftAppPassword: 'not-a-real-secret' });
  try {
    const t = await call('POST', '/api/webchat/token', { body: {}, base: secured.url });
    const conv = await call('POST', '/v3/directline/conversations', { token: t.body.token, body: {}, base: secured.url });
    expect(conv.status).toBe(201);
    const cid = conv.body.conversationId;
    const r = await call('GET', `/v3/directline/conversations/${cid}/activities`, { token: t.body.token, base: secured.url });
    expect(JSON.stringify(r.body.activities)).toContain("I'm Reclaim");
    expect(JSON.stringify(r.body.activities)).not.toContain('/connector/');
    // a case to a ticket, then the agent's answer (sent proactively) reaches the local conversation without calling Azure
    const say = (body: unknown) => call('POST', `/v3/directline/conversations/${cid}/activities`, { token: t.body.token, body, base: secured.url });
    for (const text of ['someone hacked my account', '@sam.dances', 'sam@example.com', 'skip']) expect((await say({ type: 'message', text })).status).toBe(200);
    expect((await say({ type: 'message', value: { action: 'skip' } })).status).toBe(200);
    expect((await say({ type: 'message', text: 'They took it over last night.' })).status).toBe(200);
    expect((await say({ type: 'message', text: 'Yes, open the ticket' })).status).toBe(200);
    const all = await call('GET', `/v3/directline/conversations/${cid}/activities`, { token: t.body.token, base: secured.url });
    const ref = /RC-[A-Z0-9]{6}/.exec(JSON.stringify(all.body.activities))?.[0];
    expect(ref).toBeDefined();
    const agent = await fetch(`${secured.url}/api/tickets/${ref}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${AGENT_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'An agent here.' }),
    });
    expect(agent.status).toBeLessThan(300);
    const after = await call('GET', `/v3/directline/conversations/${cid}/activities?watermark=${all.body.watermark}`, { token: t.body.token, base: secured.url });
    expect(JSON.stringify(after.body.activities)).toContain('An agent here.');
    // /api/messages itself still refuses unauthenticated callers
    expect((await secured.post({ type: 'message', text: 'hi', channelId: 'directline', conversation: { id: 'x' }, from: { id: 'u' }, serviceUrl: 'http://127.0.0.1:9' })).status).toBe(401);
  } finally {
    await secured.close();
  }
});
