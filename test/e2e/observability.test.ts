import { Writable } from 'node:stream';
import fs from 'node:fs';
import { createLogger } from '../../src/logger';
import { startTestBot, userMessage, type TestBot } from '../support/app';
import { describePg, freshSchema, PG_URL } from '../support/pg';

/** GET /metrics, and secrets kept out of the logs. */
describe('/metrics', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(async () => bot.close());

  test('counts turns, latency, intents, fallbacks, handoffs, errors and where each dialog machine came from, with no user data in labels', async () => {
    const conv = 'metrics-conv-7f3a';
    const say = (text?: string, value?: unknown) => bot.send(userMessage(conv, text, value ? { value } : {}));
    await say('qwzx blorp fnarg');
    await say('someone hacked my account');
    await say('@sam.dances');
    await say('sam@example.com');
    await say('skip');
    await say(undefined, { action: 'skip' });
    await say('They changed my email last night');
    await say('Yes, open the ticket');
    const res = await fetch(`${bot.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const body = await res.text();
    expect(body).toMatch(/^reclaim_turns_total\{outcome="ok"\} 8$/m);
    expect(body).toMatch(/^reclaim_turn_duration_seconds_bucket\{le="\+Inf",kind="message"\} 8$/m);
    expect(body).toMatch(/^reclaim_intents_total\{intent="account_hacked"\} [1-9]/m);
    expect(body).toMatch(/^reclaim_fallbacks_total [1-9]/m);
    expect(body).toMatch(/^reclaim_handoffs_total\{category="account_hacked",created="true"\} 1$/m);
    expect(body).toMatch(/^# TYPE reclaim_errors_total counter$/m);
    // one conversation, one process: its first turn's machine is new, and every later turn carries on with it
    expect(body).toMatch(/^reclaim_dialog_machines_total\{source="new"\} 1$/m);
    expect(body).toMatch(/^reclaim_dialog_machines_total\{source="kept"\} 7$/m);
    expect(body).not.toMatch(/^reclaim_dialog_machines_total\{source="revived"\}/m);
    expect(body).toMatch(/^reclaim_process_resident_memory_bytes /m);
    for (const personal of [conv, 'sam.dances', 'sam@example.com', 'blorp', 'user-metrics']) expect(body).not.toContain(personal);
  });
});

describe('log redaction', () => {
  test('secrets in log objects are censored wherever they sit', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = createLogger('debug', sink as never);
    logger.info({ password: 'pw-top-1', token: 'tok-2', authorization: 'Bearer auth-3' }, 'a');
    logger.info({ req: { headers: { authorization: 'Bearer auth-4' } } }, 'b');
    logger.info({ activity: { value: { password: 'pw-card-5' } } }, 'c');
    logger.info({ body: { activity: { value: 'pw-6' } }, form: { password: 'pw-form-7' } }, 'd');
    logger.info({ MicrosoftAppPassword: 'app-8', config: { MicrosoftAppPassword: 'app-9' } }, 'e');
    logger.info({ user: { text: 'my old password was pw-text-10' }, text: 'pw-text-11' }, 'f');
    logger.error({ err: Object.assign(new Error('boom'), { password: 'pw-err-12' }) }, 'g');
    const all = lines.join('');
    expect(lines).toHaveLength(7);
    for (const secret of ['pw-top-1', 'tok-2', 'auth-3', 'auth-4', 'pw-card-5', 'pw-6', 'pw-form-7', 'app-8', 'app-9', 'pw-text-10', 'pw-text-11', 'pw-err-12']) {
      expect(all).not.toContain(secret);
    }
    expect(all).toContain('[redacted]');
  });

  test('a conversation with passwords, an agent token and failed requests leaves none of them in the log', async () => {
    const bot = await startTestBot();
    try {
      const conv = 'log-secrets';
      const say = (text?: string, value?: unknown) => bot.send(userMessage(conv, text, value ? { value } : {}));
      await say('someone hacked my account');
      await say('@sam.dances');
      await say('my old password was Kodak400-secret');
      await say('sam@example.com');
      await say('skip');
      await say(undefined, { action: 'password', password: 'Card-Secret-99' });
      await bot.get('/api/tickets', 'wrong-token-secret-1234567');
      await bot.post('{"type": "message", "text": "broken json with password Broken-Secret-3');
      const log = fs.readFileSync(bot.logFile, 'utf8');
      expect(log.length).toBeGreaterThan(0);
      for (const s of ['Kodak400-secret', 'Card-Secret-99', 'wrong-token-secret-1234567', 'Broken-Secret-3']) expect(log).not.toContain(s);
    } finally {
      await bot.close();
    }
  });
});

describePg('on PostgreSQL: the log, and the dialog machines', () => {
  test('the DATABASE_URL password never reaches the log; no dialog machine is kept between turns', async () => {
    const s = await freshSchema('l');
    const u = new URL(PG_URL);
    u.username = u.username || 'postgres';
    u.password = 'db-Secret-Pass-42'; // the server trusts local connections, so any password works
    let bot: Awaited<ReturnType<typeof startTestBot>> | undefined;
    try {
      bot = await startTestBot({ DATABASE_URL: u.toString(), DATABASE_SCHEMA: s.schema });
      await bot.send(userMessage('pg-log', 'hello'));
      await bot.send(userMessage('pg-log', 'i forgot my password'));
      const log = fs.readFileSync(bot.logFile, 'utf8');
      expect(log).toMatch(/"database":"postgres"/);
      expect(log).not.toContain('db-Secret-Pass-42');
      // on PostgreSQL no machine is kept between turns (the record is read every turn anyway): the second turn revives it
      const metrics = await (await fetch(`${bot.url}/metrics`)).text();
      expect(metrics).toMatch(/^reclaim_dialog_machines_total\{source="revived"\} 1$/m);
      expect(metrics).not.toMatch(/^reclaim_dialog_machines_total\{source="kept"\}/m);
    } finally {
      await bot?.close();
      await s.drop();
    }
  });
});
