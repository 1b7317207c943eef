import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics, one registry per app (tests run several apps in one
 * process). Labels are intents, categories and outcomes only: never a user,
 * a conversation id or anything the user typed.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly turns: Counter<'outcome'>;
  readonly turnSeconds: Histogram<'kind'>;
  readonly intents: Counter<'intent'>;
  readonly fallbacks: Counter;
  readonly handoffs: Counter<'category' | 'created'>;
  readonly errors: Counter<'kind'>;
  readonly limited: Counter<'limit'>;
  readonly conflicts: Counter;
  readonly machines: Counter<'source'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.turns = new Counter({
      name: 'reclaim_turns_total',
      help: 'Turns handled, by outcome (ok, duplicate, limited, error)',
      labelNames: ['outcome'],
      registers,
    });
    this.turnSeconds = new Histogram({
      name: 'reclaim_turn_duration_seconds',
      help: 'Time to handle one turn, from the activity to the saved state and the replies',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.intents = new Counter({ name: 'reclaim_intents_total', help: 'Intents understood in user messages', labelNames: ['intent'], registers });
    this.fallbacks = new Counter({ name: 'reclaim_fallbacks_total', help: 'Turns answered with the fallback (not understood)', registers });
    this.handoffs = new Counter({
      name: 'reclaim_handoffs_total',
      help: 'Tickets handed to a person, by category; created="false" when an existing case gave the same ticket',
      labelNames: ['category', 'created'],
      registers,
    });
    this.errors = new Counter({ name: 'reclaim_errors_total', help: 'Errors, by kind (turn, ticket, password_check)', labelNames: ['kind'], registers });
    this.limited = new Counter({ name: 'reclaim_limited_total', help: 'Requests refused by an abuse limit', labelNames: ['limit'], registers });
    this.conflicts = new Counter({
      name: 'reclaim_state_conflicts_total',
      help: 'Turns retried because another turn saved the same conversation first',
      registers,
    });
    this.machines = new Counter({
      name: 'reclaim_dialog_machines_total',
      help: "Turns by where their dialog machine came from: kept running from the conversation's last turn in this process, revived from the stored snapshot, or new",
      labelNames: ['source'],
      registers,
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'reclaim_' });
  }

  /** The Bot Framework requests running their turn and waiting for a place (src/limits/gate.ts), read when scraped. */
  watchGate(gate: { inside: number; queued: number }): void {
    new Gauge({
      name: 'reclaim_turns_in_progress',
      help: 'Bot Framework requests in this process: running their turn, or waiting for a place (MAX_CONCURRENT_TURNS)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        this.set({ state: 'running' }, gate.inside);
        this.set({ state: 'waiting' }, gate.queued);
      },
    });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
