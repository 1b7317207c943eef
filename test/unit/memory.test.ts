import pino from 'pino';
import { startIdleCollector } from '../../src/memory';

/** The idle collector: a full collection once the process has been quiet, never while it is busy. */
const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const spin = (ms: number) => {
  const end = Date.now() + ms;
  while (Date.now() < end);
};

afterEach(() => {
  delete (globalThis as { gc?: unknown }).gc;
});

/** waits for a condition: a loaded machine delays timers, so no fixed sleep decides a test */
async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(10);
}

// "quiet" is generous in these tests (under half the event loop busy): jest's own work and the
// tests' polling must not count as load
const quietUtilisation = 0.5;

test('collects once the event loop has been quiet for the given number of checks, then a second pass at the next quiet check', async () => {
  let calls = 0;
  (globalThis as { gc?: () => void }).gc = () => void calls++;
  const c = startIdleCollector(logger, { checkMs: 40, quietChecks: 2, quietUtilisation, minGrowthBytes: 0 });
  await until(() => calls >= 2);
  c.stop();
  expect(c.collected()).toBeGreaterThanOrEqual(1);
  expect(calls).toBeGreaterThanOrEqual(2);
});

test('the second pass is dropped when traffic is back by then', async () => {
  let calls = 0;
  (globalThis as { gc?: () => void }).gc = () => {
    calls++;
    // the first collection's check is followed by a busy spell covering the whole next check
    if (calls === 1) setImmediate(() => spin(700));
  };
  const c = startIdleCollector(logger, { checkMs: 300, quietChecks: 2, quietUtilisation, minGrowthBytes: 0 });
  await until(() => calls >= 1);
  await sleep(350); // the check after the spin: busy, so no second pass; a new collection needs two more quiet checks
  c.stop();
  expect(c.collected()).toBe(1);
  expect(calls).toBe(1);
});

test('does not collect again until the resident size has grown by the given amount', async () => {
  let calls = 0;
  (globalThis as { gc?: () => void }).gc = () => void calls++;
  const c = startIdleCollector(logger, { checkMs: 10, quietChecks: 1, quietUtilisation: 1, minGrowthBytes: 1024 ** 4 });
  await sleep(200);
  c.stop();
  expect(calls).toBe(0);
});

test('does not collect while the event loop is busy', async () => {
  let calls = 0;
  (globalThis as { gc?: () => void }).gc = () => void calls++;
  const c = startIdleCollector(logger, { checkMs: 40, quietChecks: 2, minGrowthBytes: 0 });
  const end = Date.now() + 300;
  while (Date.now() < end) {
    spin(30); // busy 30 ms out of every 31
    await sleep(1);
  }
  c.stop();
  expect(calls).toBe(0);
});

test('does not collect when, at the moment of collecting, the bot is busy again', async () => {
  let calls = 0;
  (globalThis as { gc?: () => void }).gc = () => void calls++;
  // every check is "quiet" (20 % busy, under the generous 50 %), but every short look before collecting sees work
  const c = startIdleCollector(logger, { checkMs: 100, quietChecks: 1, quietUtilisation, minGrowthBytes: 0 });
  const end = Date.now() + 1_000;
  while (Date.now() < end) {
    spin(20);
    await sleep(80);
  }
  c.stop();
  expect(calls).toBe(0);
});

test('does nothing when the collector is not exposed (node without --expose-gc)', async () => {
  const c = startIdleCollector(logger, { checkMs: 10, quietChecks: 1, minGrowthBytes: 0 });
  await sleep(50);
  c.stop();
  expect(c.collected()).toBe(0);
});
