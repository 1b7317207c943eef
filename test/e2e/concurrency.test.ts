import { startFakeConnector, type FakeConnector } from '../support/connector';
import { startTestBot, userMessage, type TestBot } from '../support/app';

/**
 * MAX_CONCURRENT_TURNS through the real HTTP endpoint: turns beyond the bound
 * wait their turn and are all answered, and a channel connector that is slow
 * to take the replies does not hold a place.
 */
describe('turns at once (MAX_CONCURRENT_TURNS)', () => {
  let bot: TestBot;
  let connector: FakeConnector;
  beforeAll(async () => {
    connector = await startFakeConnector({ hold: true });
    bot = await startTestBot({ MAX_CONCURRENT_TURNS: '1' });
  });
  afterAll(async () => {
    connector.release();
    await bot.close();
    await connector.close();
  });

  /** polls until `ok` (the bot's replies reach the connector on their own time) */
  const until = async (ok: () => boolean, what: string) => {
    for (const end = Date.now() + 5000; !ok(); await new Promise((r) => setTimeout(r, 10))) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    }
  };

  test('forty conversations at once through one place: every one answered, with its own reply', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => bot.send(userMessage(`at-once-${i}`, 'i forgot my password'))));
    for (const replies of answers) expect(replies.map((r) => r.text).join(' ')).toMatch(/Forgot password/);
    const metrics = await (await fetch(`${bot.url}/metrics`)).text();
    expect(metrics).toMatch(/^reclaim_turns_in_progress\{state="waiting"\} 0$/m);
    expect(metrics).toMatch(/^reclaim_turns_in_progress\{state="running"\} 0$/m);
  });

  test('a connector slow to take the replies holds no place: the next conversation is answered meanwhile', async () => {
    // normal delivery (as Azure Bot Service sends Teams and Web Chat): the replies go to the channel's serviceUrl
    const viaConnector = (conv: string) => bot.post({ ...userMessage(conv, 'i forgot my password'), serviceUrl: connector.url });
    const first = viaConnector('slow-1');
    await until(() => connector.textsFor('slow-1').length > 0, "the first conversation's reply at the connector");
    const second = viaConnector('slow-2');
    await until(() => connector.textsFor('slow-2').length > 0, "the second conversation's reply at the connector, while the first is still held");
    connector.release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    expect(connector.textsFor('slow-2').join(' ')).toMatch(/Forgot password/);
  });
});
