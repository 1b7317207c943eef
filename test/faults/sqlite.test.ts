import Database from 'better-sqlite3';
import path from 'node:path';
import { activity, hackedScript, REF_RE, send, spawnBot, tmpDir, type BotProcess } from './support';

/** The embedded default under the same faults: kill -9 mid-conversation, and repeated deliveries. */
describe('one bot process on SQLite', () => {
  const dataDir = path.join(tmpDir('sqlite-faults'), 'data');
  let bot: BotProcess;
  const tickets = (conv: string) => {
    const db = new Database(path.join(dataDir, 'reclaim.sqlite'), { readonly: true });
    try {
      return db.prepare('select ref, username, email, phone, evidence from tickets where conversation_id = ?').all(conv) as any[];
    } finally {
      db.close();
    }
  };

  beforeAll(async () => {
    bot = await spawnBot({ DATA_DIR: dataDir }, 'sqlite');
  }, 60_000);
  afterAll(async () => bot?.stop());

  test('kill -9 mid-conversation, restart: it resumes where it was, nothing collected is lost', async () => {
    const conv = 'crash-sqlite';
    const script = hackedScript(5000);
    for (const m of script.slice(0, 4)) await send(bot.url, activity(conv, m.text, m.value));
    const inFlight = activity(conv, undefined, script[4]!.value);
    const dying = send(bot.url, inFlight).catch(() => 'lost');
    await new Promise((r) => setTimeout(r, 5));
    await bot.kill9();
    await dying;
    bot = await spawnBot({ DATA_DIR: dataDir }, 'sqlite-2');
    await send(bot.url, inFlight); // the channel's retry of the turn that was in flight
    for (const m of script.slice(5, -1)) await send(bot.url, activity(conv, m.text, m.value));
    expect((await send(bot.url, activity(conv, 'Yes, open the ticket'))).join(' ')).toMatch(REF_RE);
    const t = tickets(conv);
    expect(t).toHaveLength(1);
    expect(t[0]).toMatchObject({ username: 'kite.runner5000', email: 'user5000@example.com', phone: '+447911123456' });
    expect(JSON.parse(t[0].evidence).previousPasswords).toHaveLength(1);
  }, 60_000);

  test('the same activity twice and "yes" pressed twice at once: one ticket', async () => {
    const conv = 'dup-sqlite';
    const script = hackedScript(5001, { password: false });
    for (const m of script.slice(0, -1)) await send(bot.url, activity(conv, m.text, m.value));
    const yes = activity(conv, 'Yes, open the ticket');
    const replies = await Promise.all([send(bot.url, yes), send(bot.url, yes), send(bot.url, activity(conv, 'Yes, open the ticket'))]);
    expect(new Set(replies.flat().map((t) => REF_RE.exec(t)?.[0]).filter(Boolean)).size).toBe(1);
    expect(tickets(conv)).toHaveLength(1);
  }, 30_000);
});
