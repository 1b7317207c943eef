import pino from 'pino';
import { startIdleCollector } from '../../src/memory';

/** The idle collector: a full collection once the process has been quiet, never while it is busy. */
const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  delete (globalThis as { gc?: unknown }).gc;
});

test('collects (twice) once the event loop has been quiet for the given number of checks', async () => {
  let calls = 0;
  (globalThis as { gc?: () => void }).gc = () => void calls++;
  const c = startIdleCollector(logger, { checkMs: 40, quietChecks: 2, minGrowthBytes: 0 });
  await sleep(1300);
  c.stop();
  // each time: a collection, and a second one a second later
  expect(c.collected()).toBeGreaterThanOrEqual(1);
  expect(calls).toBeGreaterThanOrEqual(c.collected() + 1);
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
