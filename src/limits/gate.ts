/**
 * At most `limit` holders at once; the others wait their turn, first come first
 * served. The Bot Framework endpoint takes a place for the part of a turn that
 * is this process's own work (authenticate, load, understand, step, save) and
 * gives it back before the replies go out.
 *
 * Why: under load, a process that starts every request it is sent runs them all
 * side by side, each a little at a time between the others' database round
 * trips. Every turn then takes as long as the slowest, and what each one holds
 * lives long enough to be promoted to V8's old generation, which costs the
 * collector more. With a bound, a request waits before any of its work starts,
 * holding only its parsed body; the turns let in finish sooner. (PostgreSQL
 * pair, 200 conversations, a bound of 48: 7-13 % less CPU per turn, p99 23-30 %
 * lower; no change on SQLite. docs/operations.md, "How many turns at once".)
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /** `limit` 0: no bound (every holder enters at once) */
  constructor(readonly limit: number) {}

  /** Waits for a place; resolves with the function that gives it back (calling it again does nothing). */
  async enter(): Promise<() => void> {
    if (this.limit === 0 || this.running < this.limit) this.running++;
    // else the place is handed over by the one leaving, still counted in running
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }

  /** holders now inside */
  get inside(): number {
    return this.running;
  }

  /** holders waiting for a place */
  get queued(): number {
    return this.waiting.length;
  }
}
