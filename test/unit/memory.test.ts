import pino from 'pino';
import { startIdleCollector } from '../../src/memory';

/** The idle collector: a full collection once the process has been quiet, never while it is busy. */
const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  delete (globalThis as { gc?: unknown }).gc;
});

/** waits for a condition: a loaded machine delays timers, so no fixed sleep decides a test */
async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(50);
}

test('collects once the event loop has been quiet for the given number of checks, then once more a moment later', async () => {
  let calls = 0;
  (globalThis as { gc?: () => void }).gc = () => void calls++;
  // "quiet" is generous here: jest's own work and this test's polling must not count as load
  const c = startIdleCollector(logger, { checkMs: 40, quietChecks: 2, quietUtilisation: 0.5, minGrowthBytes: 0, secondPassMs: 10 });
  await until(() => calls >= 2);
  c.stop();
  expect(c.collected()).toBeGreaterThanOrEqual(1);
  expect(calls).toBeGreaterThanOrEqual(2);
});

test('does not collect again until the heap has grown by the given amount', async () => {
  let calls = 0;
  (globalThis as { gc?: () => void }).gc = () => void calls++;
  const c = startIdleCollector(logger, { checkMs: 10, quietChecks: 1, quietUtilisation: 1, minGrowthBytes: 1024 ** 4, secondPassMs: 10 });
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
    const spin = Date.now() + 30; // busy 30 ms out of every 31
    while (Date.now() < spin);
    await sleep(1);
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
