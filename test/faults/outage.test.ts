import { describePg, freshSchema, PG_URL, type PgSchema } from '../support/pg';
import { activity, CuttableProxy, hackedScript, REF_RE, request, send, spawnBot, tmpDir, type BotProcess } from './support';

/**
 * The database goes away in the middle of a handoff. The machine's PostgreSQL
 * server is shared, so it is not stopped: the bot reaches it through a TCP
 * proxy on 127.0.0.1 that the test cuts (every connection broken, new ones
 * refused) and restores.
 */
describePg('the database stops during a handoff', () => {
  let db: PgSchema;
  let proxy: CuttableProxy;
  let bot: BotProcess;

  beforeAll(async () => {
    db = await freshSchema('o');
    const target = new URL(PG_URL);
    proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const port = await proxy.start();
    const viaProxy = new URL(PG_URL);
    viaProxy.host = `127.0.0.1:${port}`;
    bot = await spawnBot({ DATABASE_URL: viaProxy.toString(), DATABASE_SCHEMA: db.schema, DATABASE_POOL_SIZE: '3', DATA_DIR: tmpDir('outage') }, 'outage');
  }, 60_000);

  afterAll(async () => {
    await bot?.stop();
    await proxy?.close();
    await db?.drop();
  });

  test('the user is told plainly; once it is back the ticket exists exactly once', async () => {
    const conv = 'outage-1';
    const script = hackedScript(4000, { password: false });
    for (const m of script.slice(0, -1)) await send(bot.url, activity(conv, m.text, m.value));

    await proxy.cut();
    const yes = activity(conv, 'Yes, open the ticket');
    const during = await send(bot.url, yes);
    expect(during.join(' ')).toMatch(/on our side/i);
    expect(during.join(' ')).toMatch(/nothing you told me is lost|kept everything/i);
    const health = await request(bot.url, { method: 'GET', path: '/healthz' });
    expect(health.status).toBe(503);
    expect(bot.alive()).toBe(true);

    await proxy.restore();
    // the channel (or the user) sends it again: now it goes through
    const after = await send(bot.url, yes);
    const ref = REF_RE.exec(after.join(' '))?.[0];
    expect(ref).toBeDefined();
    // and a second press changes nothing
    await send(bot.url, activity(conv, 'Yes, open the ticket'));
    const t = await db.query('select ref, username, email, phone, description from tickets where conversation_id = $1', [conv]);
    expect(t.rows).toEqual([
      {
        ref,
        username: 'kite.runner4000',
        email: 'user4000@example.com',
        phone: '+447911123456',
        description: 'They changed the email on account number 4000 last night.',
      },
    ]);
    expect((await request(bot.url, { method: 'GET', path: '/healthz' })).status).toBe(200);
  }, 60_000);

  test('connections broken between turns (terminated backends): the next turns work', async () => {
    const conv = 'outage-2';
    const script = hackedScript(4001, { password: false });
    for (const [i, m] of script.entries()) {
      if (i === 2 || i === 5) {
        // only this bot's backends: the ones behind the proxy's own upstream sockets
        const ports = proxy.upstreamPorts();
        const killed = await db.query('select pg_terminate_backend(pid) from pg_stat_activity where client_port = any($1::int[])', [ports]);
        expect(killed.rowCount).toBeGreaterThan(0);
      }
      let replies = await send(bot.url, activity(conv, m.text, m.value));
      // a turn that met a broken connection says so; sending again goes through
      if (replies.join(' ').match(/on our side/)) replies = await send(bot.url, activity(conv, m.text, m.value));
      if (i === script.length - 1) expect(replies.join(' ')).toMatch(REF_RE);
    }
    const t = await db.query('select count(*)::int as n from tickets where conversation_id = $1', [conv]);
    expect(t.rows[0].n).toBe(1);
    expect(bot.alive()).toBe(true);
  }, 60_000);
});
