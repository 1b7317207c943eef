import { ConfigurationBotFrameworkAuthentication, type Activity, type TurnContext } from 'botbuilder';
import type { Request, Response } from 'restify';
import { ReclaimAdapter } from '../../src/channels/botframework/adapter';
import { ClientCachingAuthentication } from '../../src/channels/botframework/auth';
import { Gate } from '../../src/limits/gate';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};
const ticks = () => new Promise((r) => setImmediate(r));

describe('Gate', () => {
  test('lets `limit` holders in at once; the others wait, first come first served', async () => {
    const gate = new Gate(2);
    const order: number[] = [];
    const leaves: (() => void)[] = [];
    const entering = [1, 2, 3, 4, 5].map((n) => gate.enter().then((leave) => (order.push(n), (leaves[n] = leave))));
    await ticks();
    expect(order).toEqual([1, 2]);
    expect([gate.inside, gate.queued]).toEqual([2, 3]);
    leaves[2]!();
    await ticks();
    expect(order).toEqual([1, 2, 3]);
    leaves[1]!();
    leaves[3]!();
    await ticks();
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect([gate.inside, gate.queued]).toEqual([2, 0]);
    leaves[4]!();
    leaves[5]!();
    await Promise.all(entering);
    expect([gate.inside, gate.queued]).toEqual([0, 0]);
  });

  test('leaving twice gives back one place, not two', async () => {
    const gate = new Gate(1);
    const leave = await gate.enter();
    const second = gate.enter();
    const third = gate.enter();
    leave();
    leave();
    await ticks();
    expect([gate.inside, gate.queued]).toEqual([1, 1]); // the second is in, the third still waits
    (await second)();
    (await third)();
    expect(gate.inside).toBe(0);
  });

  test('0 is no bound: everyone enters at once, and is still counted', async () => {
    const gate = new Gate(0);
    const leaves = await Promise.all(Array.from({ length: 100 }, () => gate.enter()));
    expect([gate.inside, gate.queued]).toEqual([100, 0]);
    leaves.forEach((l) => l());
    expect(gate.inside).toBe(0);
  });
});

describe('the Bot Framework endpoint behind a gate (ReclaimAdapter, real botbuilder)', () => {
  const activity = (n: number): Activity =>
    ({
      type: 'message',
      id: `a-${n}`,
      channelId: 'webchat',
      serviceUrl: 'http://127.0.0.1:9/never-called',
      conversation: { id: `gate-${n}` },
      from: { id: `u-${n}` },
      recipient: { id: 'bot' },
      text: 'hello',
      deliveryMode: 'expectReplies',
    }) as Activity;
  /** what the route hands processRequest: restify's parsed request, and a response that records what was sent */
  const request = (n: number) => ({ body: activity(n), headers: {} }) as unknown as Request;
  const response = (sent: { status: number; body: any }[]) => ({ send: (status: number, body: unknown) => sent.push({ status, body }) }) as unknown as Response;
  const adapter = (limit: number) => new ReclaimAdapter(new ClientCachingAuthentication(new ConfigurationBotFrameworkAuthentication({})), new Gate(limit));

  test('runs at most MAX_CONCURRENT_TURNS turns at once, in the order they came, and every request gets its replies', async () => {
    const a = adapter(2);
    const released = [1, 2, 3, 4, 5].map(() => deferred());
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const sent: { status: number; body: any }[] = [];
    const requests = [1, 2, 3, 4, 5].map((n) =>
      a.processRequest(request(n), response(sent), async (context: TurnContext) => {
        started.push(n);
        most = Math.max(most, ++running);
        await released[n - 1]!.promise;
        running--;
        await context.sendActivity(`reply ${n}`);
      }),
    );
    await ticks();
    expect(started).toEqual([1, 2]);
    released[1]!.resolve();
    await ticks();
    expect(started).toEqual([1, 2, 3]);
    released.forEach((d) => d.resolve());
    await Promise.all(requests);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(sent.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    expect(sent.map((s) => s.body.activities[0].text).sort()).toEqual(['reply 1', 'reply 2', 'reply 3', 'reply 4', 'reply 5']);
    expect([a.gate.inside, a.gate.queued]).toEqual([0, 0]);
  });

  test('a turn gives its place back as its first reply goes out, and a turn that throws gives it back too', async () => {
    const a = adapter(1);
    const afterReply = deferred();
    const sent: { status: number; body: any }[] = [];
    const first = a.processRequest(request(1), response(sent), async (context) => {
      await context.sendActivity('first');
      await afterReply.promise; // still in the turn, after its reply
    });
    await ticks();
    let secondRan = false;
    await a.processRequest(request(2), response(sent), async () => {
      secondRan = true;
    });
    expect(secondRan).toBe(true);
    afterReply.resolve();
    await first;

    a.onTurnError = async () => {
      throw new Error('the turn failed');
    };
    await expect(a.processRequest(request(3), response(sent), async () => Promise.reject(new Error('boom')))).rejects.toThrow();
    expect([a.gate.inside, a.gate.queued]).toEqual([0, 0]);
  });
});
