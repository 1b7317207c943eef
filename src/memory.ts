import { performance } from 'node:perf_hooks';
import type { Logger } from './logger';

/**
 * Gives memory back after a burst of traffic.
 *
 * Under load V8 lets the old generation fill with garbage up to a few times
 * the live heap before it collects, and when the traffic stops it keeps that
 * size: a bot that served a peak stays at its peak resident size (300 MB
 * after the load benchmark, for 50 MB of live heap). When the process has
 * been quiet for a while (two checks 4 s apart with the event loop almost
 * idle) and its resident size grew by 32 MB or more since the last
 * collection, this runs a full collection, and a second one at the next check
 * if the process is still quiet; together they hand the freed pages back
 * (about 155 MB again). Each is a pause of up to about 150 ms,
 * taken only when nobody has been waiting (and nobody started to in the last
 * 100 ms); if traffic is back by the second
 * check, the second pass is dropped rather than run under load.
 *
 * It needs the collector exposed (`node --expose-gc`, as `npm start` runs the
 * bot); without it, it does nothing.
 */
export interface IdleCollectorOptions {
  /** how often the event loop is looked at */
  checkMs?: number;
  /** quiet checks in a row before collecting */
  quietChecks?: number;
  /** event-loop utilisation under which a check counts as quiet (the collections' own time not counted) */
  quietUtilisation?: number;
  /**
   * collect only when the resident size grew at least this much since the last collection (0: whenever
   * quiet). The resident size, not the heap in use: right after a minor collection the heap in use is
   * small while the pages V8 took under load are all still held.
   */
  minGrowthBytes?: number;
}

const CONFIRM_MS = 100;
/** over CONFIRM_MS: 10 ms of work, a handful of turns */
const CONFIRM_UTILISATION = 0.1;

export function startIdleCollector(logger: Logger, o: IdleCollectorOptions = {}): { stop(): void; collected(): number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  let collections = 0;
  if (typeof gc !== 'function') return { stop: () => {}, collected: () => 0 };
  const checkMs = o.checkMs ?? 4_000;
  const quietChecks = o.quietChecks ?? 2;
  const quietUtilisation = o.quietUtilisation ?? 0.02;
  const minGrowth = o.minGrowthBytes ?? 32 * 1024 * 1024;
  let last = performance.eventLoopUtilization();
  let quiet = 0;
  let baseline = process.memoryUsage.rss();
  /** the first pass's figures while the second one is due */
  let pending: { rssBefore: number; ms: number } | undefined;
  let confirm: NodeJS.Timeout | undefined;
  /** time spent in our own collections since the last check: not load */
  let own = 0;
  const collect = (): number => {
    const t0 = performance.now();
    gc();
    const ms = performance.now() - t0;
    own += ms;
    return ms;
  };
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const d = performance.eventLoopUtilization(now, last);
    last = now;
    const span = d.idle + d.active;
    const utilisation = span > 0 ? Math.max(0, d.active - own) / span : 0;
    own = 0;
    const isQuiet = utilisation < quietUtilisation;
    quiet = isQuiet ? quiet + 1 : 0;
    if (pending) {
      const first = pending;
      pending = undefined;
      if (!isQuiet) return; // traffic is back: no pause now; the next quiet spell collects again
      const ms = collect();
      baseline = process.memoryUsage.rss();
      logger.debug({ ms: Math.round(first.ms + ms), rssBefore: first.rssBefore, rssAfter: baseline }, 'quiet after a burst: memory given back');
      return;
    }
    const rss = process.memoryUsage.rss();
    if (quiet < quietChecks || (minGrowth > 0 && rss - baseline < minGrowth)) return;
    // a last look over a short span: traffic that came back in the last moments of a quiet check
    // barely moves its utilisation, but fills this one (the first turns after a quiet spell are the
    // ones a pause would hit)
    const mark = performance.eventLoopUtilization();
    confirm = setTimeout(() => {
      if (performance.eventLoopUtilization(performance.eventLoopUtilization(), mark).utilization >= CONFIRM_UTILISATION) return;
      const ms = collect();
      collections++;
      baseline = process.memoryUsage.rss();
      quiet = 0;
      // a second pass at the next check, once the first one's sweeping is done, returns the emptied pages
      pending = { rssBefore: rss, ms };
    }, CONFIRM_MS);
    confirm.unref();
  }, checkMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      clearTimeout(confirm);
    },
    collected: () => collections,
  };
}
