import { performance } from 'node:perf_hooks';
import type { Logger } from './logger';

/**
 * Gives memory back after a burst of traffic.
 *
 * Under load V8 lets the old generation fill with garbage up to a few times
 * the live heap before it collects, and when the traffic stops it keeps that
 * size: a bot that served a peak stays at its peak resident size (300 MB
 * after the load benchmark, for 50 MB of live heap). When the process has
 * been quiet for a while (8 s with the event loop almost idle) and its resident size
 * grew since the last collection, this runs a full collection, and another a
 * second later, which hand the freed pages back (about 155 MB again). It costs
 * two pauses of a few tens of milliseconds while nobody is waiting.
 *
 * It needs the collector exposed (`node --expose-gc`, as `npm start` runs the
 * bot); without it, it does nothing.
 */
export interface IdleCollectorOptions {
  /** how often the event loop is looked at */
  checkMs?: number;
  /** quiet checks in a row before collecting */
  quietChecks?: number;
  /** event-loop utilisation under which a check counts as quiet */
  quietUtilisation?: number;
  /**
   * collect only when the resident size grew at least this much since the last collection (0: whenever
   * quiet). The resident size, not the heap in use: right after a minor collection the heap in use is
   * small while the pages V8 took under load are all still held.
   */
  minGrowthBytes?: number;
  /** delay of the second pass after the first */
  secondPassMs?: number;
}

export function startIdleCollector(logger: Logger, o: IdleCollectorOptions = {}): { stop(): void; collected(): number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  let collections = 0;
  if (typeof gc !== 'function') return { stop: () => {}, collected: () => 0 };
  const checkMs = o.checkMs ?? 4_000;
  const quietChecks = o.quietChecks ?? 2;
  const quietUtilisation = o.quietUtilisation ?? 0.02;
  const minGrowth = o.minGrowthBytes ?? 32 * 1024 * 1024;
  const secondPassMs = o.secondPassMs ?? 1000;
  let secondPass: NodeJS.Timeout | undefined;
  let last = performance.eventLoopUtilization();
  let quiet = 0;
  let baseline = process.memoryUsage.rss();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const utilisation = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    quiet = utilisation < quietUtilisation ? quiet + 1 : 0;
    const before = process.memoryUsage.rss();
    if (quiet < quietChecks || (minGrowth > 0 && before - baseline < minGrowth)) return;
    const t0 = performance.now();
    gc();
    collections++;
    baseline = process.memoryUsage.rss();
    quiet = 0;
    const ms = Math.round(performance.now() - t0);
    // a second pass a moment later, once the first one's sweeping is done, returns the emptied pages
    clearTimeout(secondPass);
    secondPass = setTimeout(() => {
      gc();
      baseline = process.memoryUsage.rss();
      logger.debug({ ms, rssBefore: before, rssAfter: baseline }, 'quiet after a burst: memory given back');
    }, secondPassMs);
    secondPass.unref();
  }, checkMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      clearTimeout(secondPass);
    },
    collected: () => collections,
  };
}
