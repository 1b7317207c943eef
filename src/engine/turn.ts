import { createActor, fromPromise, waitFor, type Actor, type ActorSystem, type Snapshot } from 'xstate';

type AnyActorSystem = ActorSystem<any>;
import { dialogMachine, type DialogSnapshot } from '../../dialogs/machine';
import type { DialogEvent, Reply, TicketRequest, TicketSummary } from '../../dialogs/types';
import type { AccountDirectory } from '../directory';
import { Secret } from '../evidence/secret';
import { REDACTED, redactSecrets } from '../evidence/redact';
import type { Logger } from '../logger';
import type { Limits, MessageWindow } from '../limits';
import type { Metrics } from '../metrics';
import { OUT_OF_SCOPE, type Nlu } from '../nlu';
import { NEW_ITEM_ETAG, StaleWriteError, type ConversationStore } from '../storage/state';
import type { TranscriptLog } from '../storage/transcript';
import { priorityFor, type StoredConversationRef, type TicketStore, type TranscriptLine } from '../tickets';
import type { OutMessage, Wording } from './wording';
import type { SecureLinks } from '../evidence/secure-link';

/** One turn, as the channels hand it over. */
export interface TurnInput {
  kind: 'message' | 'welcome';
  channelId: string;
  conversationId: string;
  userId: string;
  activityId?: string;
  text?: string;
  /** an Adaptive Card submission */
  value?: unknown;
  /** the channel can show a masked password input */
  canMask: boolean;
  conversationRef: StoredConversationRef;
}

/** A ticket just opened: channels that route to an agent hub announce it (Bot Framework handoff.initiate). */
export interface HandoffInfo {
  ref: string;
  category: string;
  priority: string;
  transcript: TranscriptLine[];
}

export interface TurnOutput {
  messages: OutMessage[];
  /** the activity was already handled (a retried delivery) */
  duplicate?: boolean;
  /** the turn failed on our side; the state was left as it was */
  failed?: boolean;
  /** refused by the messages-per-minute limit; nothing was changed */
  limited?: boolean;
  handoff?: HandoffInfo;
}

/** The conversation a proactive event is for, as stored with its ticket or secure link. */
export type ConversationTarget = Omit<TurnInput, 'kind' | 'text' | 'value' | 'activityId'>;

/** Events that come from outside a user's turn: the support team, the secure form. */
export type ExternalEvent = Extract<DialogEvent, { type: 'AGENT_MESSAGE' | 'AGENT_REQUEST_INFO' | 'TICKET_CLOSED' | 'PASSWORDS_CHECKED' }>;

/** What is stored per conversation. */
interface ConversationRecord {
  v: 1;
  snapshot: Snapshot<unknown>;
  /** ids of the last activities handled, to ignore a second delivery */
  seen: string[];
  /** the buttons last offered, so pressing one is understood exactly */
  choices: { title: string; value: string }[];
  /** the replies to the last activity: a retried delivery of it gets them again (the first answer may never have arrived) */
  last?: { activityId: string; messages: OutMessage[] };
  /** the user's messages this minute, for the abuse limit */
  rate?: MessageWindow;
}

export interface EngineDeps {
  nlu: Nlu;
  wording: Wording;
  /** conversation state and its transcript lines, saved together */
  storage: ConversationStore;
  tickets: TicketStore;
  directory: AccountDirectory;
  transcript: TranscriptLog;
  secureLinks: SecureLinks;
  logger: Logger;
  defaultRegion: string;
  /** abuse limits (messages per minute, password checks, tickets per day); none when absent */
  limits?: Limits;
  metrics?: Metrics;
  /** conversations whose machine stays running between turns (default LIVE_KEEP; 0 revives the stored snapshot every turn) */
  liveConversations?: number;
}

/** What a turn's effects noticed, for the replies (abuse limits). */
interface TurnFlags {
  ticketLimited: boolean;
  /** a ticket this turn opened, for the channel's handoff event */
  opened?: HandoffInfo;
}

/** What the effects of one turn need to know, found from the actor system the turn's actor runs in. */
interface TurnScope {
  input: TurnInput;
  key: string;
  pending: TranscriptLine[];
  replies: Reply[];
  flags: TurnFlags;
}
/**
 * Each turn's actor has its own actor system, so the system finds the turn.
 * (Not AsyncLocalStorage: on Node 20 it turns on async hooks for every
 * promise in the process, which cost more than a third of a turn.)
 */
const turnScopes = new WeakMap<AnyActorSystem, TurnScope>();

const SEEN_KEEP = 50;
/** conversations whose machine is kept running after their turn (about 5 KB of heap each), least recently used dropped first */
const LIVE_KEEP = 500;
const MAX_ATTEMPTS = 4;
const EFFECT_TIMEOUT_MS = 20_000;
const CONTROL_INTENTS = new Set(['cancel', 'help', 'talk_to_human', 'deny', 'affirm']);
const CONTROL_CONFIDENCE = 0.6;
const norm = (s: string) => s.toLowerCase().normalize('NFKC').replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

/** Runs the tasks given for one key one after the other, in the order given; different keys run side by side. */
class KeyedQueue {
  /** the last task queued for each key (removed when it is done) */
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key);
    const mine = before ? before.then(task, task) : task();
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return mine;
  }
}

type DialogActor = Actor<ReturnType<Engine['buildMachine']>>;

export class Engine {
  /** the machine with our effects, built once: each turn's details reach the effects through turnScopes */
  private readonly machine: ReturnType<Engine['buildMachine']>;
  /**
   * Each conversation's machine as its last turn here left it, with the record that turn saved and
   * its eTag. The next turn carries on with them while the stored eTag is still that one, instead
   * of reviving the stored snapshot (about a tenth of the engine's CPU per turn) and, where
   * the store can tell without asking the database (SQLite), of parsing the stored record. Any
   * other eTag (another process's turn, a conversation deleted) and the stored record is read and
   * revived, as always. Least recently used first.
   */
  private readonly live = new Map<string, { eTag: string; actor: DialogActor; record: ConversationRecord }>();
  private readonly liveKeep: number;
  /** each conversation's turns, one at a time in this process */
  private readonly conversations = new KeyedQueue();
  /** each user's ticket openings, one at a time in this process, so the daily limit counts the one before */
  private readonly ticketsByUser = new KeyedQueue();

  constructor(private readonly deps: EngineDeps) {
    this.machine = this.buildMachine();
    this.liveKeep = deps.liveConversations ?? LIVE_KEEP;
  }

  static stateKey(channelId: string, conversationId: string): string {
    return `conversation/${channelId}/${conversationId}`;
  }

  /** Runs one turn: load state, understand, step the machine, run its effects, save, and only then reply. */
  async handle(input: TurnInput): Promise<TurnOutput> {
    const { metrics } = this.deps;
    const end = metrics?.turnSeconds.startTimer({ kind: input.kind });
    const out = await this.oneAtATime(input, () =>
      this.withRetry(input, () => this.attempt(input, (snapshot, choices) => this.toEvent(input, snapshot, choices), { counted: input.kind === 'message' })),
    );
    end?.();
    metrics?.turns.inc({ outcome: out.duplicate ? 'duplicate' : out.failed ? 'error' : out.limited ? 'limited' : 'ok' });
    return out;
  }

  /**
   * A proactive turn: an event from outside (an agent's message, the secure
   * form's outcome) stepped through the conversation's machine, with the same
   * load / compare-and-swap / save as a user's turn. Returns what to deliver.
   */
  async notify(target: ConversationTarget, event: ExternalEvent, line?: string): Promise<TurnOutput> {
    const input: TurnInput = { ...target, kind: 'message' };
    return this.oneAtATime(input, () => this.withRetry(input, () => this.attempt(input, () => ({ event, line }), { lineRole: 'bot' })));
  }

  /**
   * Turns on one conversation run one after the other in this process, in the
   * order they arrived: a burst of messages (a double send, a channel's
   * retries, a flood) queues instead of racing to save and retrying. Turns in
   * other processes are kept apart by the compare-and-swap on save.
   */
  private oneAtATime<T>(input: TurnInput, run: () => Promise<T>): Promise<T> {
    return this.conversations.run(Engine.stateKey(input.channelId, input.conversationId), run);
  }

  /** Retries a turn whose save found the state changed under it; our own faults are logged and told plainly. */
  private async withRetry(input: TurnInput, run: () => Promise<TurnOutput>): Promise<TurnOutput> {
    const { metrics } = this.deps;
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        if (err instanceof StaleWriteError && attempt < MAX_ATTEMPTS) {
          metrics?.conflicts.inc();
          this.deps.logger.debug({ conversation: input.conversationId, attempt }, 'state changed under this turn; retrying');
          continue;
        }
        metrics?.errors.inc({ kind: 'turn' });
        this.deps.logger.error(
          { err, conversation: input.conversationId, channel: input.channelId, activityId: input.activityId },
          'turn failed; the conversation state was left as it was',
        );
        return { messages: [this.deps.wording.render({ key: 'error.turn' })], failed: true };
      }
    }
  }

  private async attempt(
    input: TurnInput,
    toEvent: (snapshot: DialogSnapshot, choices: ConversationRecord['choices']) => { event?: DialogEvent; line?: string; warned?: boolean },
    { lineRole = 'user', counted = false }: { lineRole?: TranscriptLine['role']; counted?: boolean },
  ): Promise<TurnOutput> {
    const { storage, wording, limits } = this.deps;
    const key = Engine.stateKey(input.channelId, input.conversationId);
    // the record this process saved last, with its machine still running, when the store can tell it is still the stored one
    // without asking the database (SQLite); otherwise the stored record (a save on a stale one is refused all the same)
    const live = this.live.get(key);
    const stored =
      live && storage.peekETag?.(key) === live.eTag
        ? { ...live.record, eTag: live.eTag }
        : ((await storage.read([key]))[key] as (ConversationRecord & { eTag?: string }) | undefined);
    if (input.activityId && stored?.seen.includes(input.activityId)) {
      return { messages: stored.last?.activityId === input.activityId ? stored.last.messages : [], duplicate: true };
    }
    // the user's messages per minute: past the limit, a polite answer and nothing changed (nothing said is lost: the user says it again)
    const rate = counted && limits ? limits.countMessage(stored?.rate) : undefined;
    if (rate && !rate.allowed) {
      this.deps.metrics?.limited.inc({ limit: 'messages' });
      return { messages: [wording.render({ key: 'limit.messages' })], limited: true };
    }

    const now = new Date().toISOString();
    const lines: TranscriptLine[] = [];
    const replies: Reply[] = [];
    const flags: TurnFlags = { ticketLimited: false };

    const actor = this.actorFor(key, stored, input, { input, key, pending: lines, replies, flags });
    /** what to keep for the next turn here, once this one is saved */
    let keep: { eTag: string; record: ConversationRecord } | undefined;
    try {
      const { event, line, warned } = toEvent(actor.getSnapshot(), stored?.choices ?? []);
      if (line) lines.push({ at: now, role: lineRole, text: line });
      if (warned) replies.push({ key: 'password.in_chat' });
      if (event) actor.send(event);
      // the effects it started (a ticket to open, a password to check) finish before the state is saved
      const idle = (s: DialogSnapshot) => Object.keys(s.children).length === 0;
      const stepped = actor.getSnapshot();
      const settled = idle(stepped) ? stepped : ((await waitFor(actor, idle, { timeout: EFFECT_TIMEOUT_MS })) as DialogSnapshot);
      if (settled.status === 'error') throw settled.error;

      // a refused ticket is not "a fault on our side": say why, politely, and keep the case as it is
      const said = flags.ticketLimited ? replies.map((r) => (r.key === 'ticket.failed' ? { key: 'limit.tickets' } : r)) : replies;
      if (said.some((r) => r.key === 'fallback' || r.key === 'fallback.offer_human')) this.deps.metrics?.fallbacks.inc();
      const messages = said.map((r) => wording.render(r));
      for (const m of messages) lines.push({ at: new Date().toISOString(), role: 'bot', text: m.text });
      const offered = [...messages].reverse().find((m) => m.choices.length > 0)?.choices ?? [];

      // fields this version does not know (written by a newer one during a rolling upgrade) are kept
      const { eTag: _read, ...kept } = stored ?? ({} as Partial<ConversationRecord> & { eTag?: string });
      const record: ConversationRecord = {
        ...kept,
        v: 1,
        snapshot: actor.getPersistedSnapshot() as Snapshot<unknown>,
        seen: input.activityId ? [...(stored?.seen ?? []), input.activityId].slice(-SEEN_KEEP) : (stored?.seen ?? []),
        choices: offered,
        ...(input.activityId ? { last: { activityId: input.activityId, messages } } : {}),
        ...(rate?.window ? { rate: rate.window } : {}),
      };
      // the eTag read (or create-only for a new conversation): a concurrent turn makes this save stale, and the turn is retried;
      // the transcript lines are saved with the state, so a retried turn never writes them twice
      const eTag = await storage.saveTurn({ key, item: record, eTag: stored?.eTag ?? NEW_ITEM_ETAG, lines });
      // a password's Secret must not outlive its turn in anything kept: that machine is not kept
      if (event?.type !== 'PASSWORD' && settled.status === 'active') keep = { eTag, record };
      return { messages, ...(flags.opened ? { handoff: flags.opened } : {}) };
    } finally {
      turnScopes.delete(actor.system);
      if (keep) this.keepLive(key, { ...keep, actor });
      else actor.stop();
    }
  }

  /** The conversation's machine: the one kept from its last turn here if the stored state is still that turn's, else revived from the stored snapshot. */
  private actorFor(key: string, stored: { snapshot: Snapshot<unknown>; eTag?: string } | undefined, input: TurnInput, scope: TurnScope): DialogActor {
    const kept = this.live.get(key);
    if (kept) {
      this.live.delete(key);
      if (stored?.eTag === kept.eTag) {
        this.deps.metrics?.machines.inc({ source: 'kept' });
        turnScopes.set(kept.actor.system, scope);
        return kept.actor;
      }
      kept.actor.stop();
    }
    this.deps.metrics?.machines.inc({ source: stored ? 'revived' : 'new' });
    const actor = createActor(this.machine, {
      input: { conversationId: key, canMask: input.canMask, defaultRegion: this.deps.defaultRegion },
      ...(stored ? { snapshot: stored.snapshot } : {}),
    });
    actor.on('reply', (e) => turnScopes.get(actor.system)?.replies.push(e.reply));
    turnScopes.set(actor.system, scope);
    actor.start();
    return actor;
  }

  private keepLive(key: string, kept: { eTag: string; actor: DialogActor; record: ConversationRecord }): void {
    if (this.liveKeep <= 0) return void kept.actor.stop();
    this.live.set(key, kept);
    if (this.live.size <= this.liveKeep) return;
    const [oldestKey, oldest] = this.live.entries().next().value!;
    this.live.delete(oldestKey);
    oldest.actor.stop();
  }

  /** Whether a conversation's machine is kept running in this process between turns (for tests and diagnostics). */
  isLive(channelId: string, conversationId: string): boolean {
    return this.live.has(Engine.stateKey(channelId, conversationId));
  }

  /** Turns a channel's message into a machine event, removing any password first. */
  private toEvent(
    input: TurnInput,
    snapshot: DialogSnapshot,
    choices: ConversationRecord['choices'],
  ): { event?: DialogEvent; line?: string; warned?: boolean } {
    if (input.kind === 'welcome') return { event: { type: 'WELCOME' } };
    const value = input.value && typeof input.value === 'object' ? (input.value as Record<string, unknown>) : undefined;
    if (value && (!input.text || !input.text.trim())) {
      if (typeof value.password === 'string' && value.password.length > 0 && value.action !== 'skip') {
        // a masked card field: wrapped at once, checked by the directory, then dropped
        return { event: { type: 'PASSWORD', secret: new Secret(value.password) }, line: '[a previous password was given through the hidden field]' };
      }
      const choice = typeof value.choice === 'string' ? value.choice : value.action === 'skip' || 'password' in value ? 'skip' : undefined;
      if (choice) return { event: this.userEvent(choice === 'skip' ? 'skip' : choice, choices, choice), line: `[pressed: ${choice}]` };
      return { event: this.userEvent('', choices), line: '[a card was submitted]' };
    }
    const raw = (input.text ?? '').slice(0, 4000).replace(/\u0000/g, ''); // NUL: PostgreSQL text cannot store it
    const { text, found, onlySecret } = redactSecrets(raw);
    // nothing but a password: it is removed, and the machine warns and asks its question again
    if (onlySecret) return { event: { type: 'PASSWORD_IN_CHAT' }, line: text };
    const event = this.userEvent(text, choices);
    // Waiting for a password: anything typed is treated as one, unless it is clearly a command,
    // or a sentence carrying other evidence ("actually my email is …"), which a password is not.
    if (snapshot.hasTag('secret') && !event.choice && !event.entities.skip) {
      const control = CONTROL_INTENTS.has(event.intent) && event.confidence >= CONTROL_CONFIDENCE;
      const e = event.entities;
      const evidence = Boolean(e.email || e.phone || e.username) && text.trim().split(/\s+/).length >= 3;
      if (!control && !evidence) return { event: { type: 'PASSWORD_IN_CHAT' }, line: `[message removed: it may have contained a password] ${REDACTED}` };
    }
    return { event, line: text, warned: found };
  }

  private userEvent(text: string, choices: ConversationRecord['choices'], forcedChoice?: string): Extract<DialogEvent, { type: 'USER' }> {
    const pressed = forcedChoice ?? choices.find((c) => norm(c.title) === norm(text))?.value;
    if (pressed) {
      // a button means exactly its value: nothing to classify. A topic or a command is that intent;
      // "skip" and a field to change carry no intent (a stale one pressed later is not taken for a topic)
      const command = pressed !== 'skip' && !pressed.startsWith('field:');
      if (command) this.deps.metrics?.intents.inc({ intent: pressed });
      return {
        type: 'USER',
        text,
        intent: command ? pressed : OUT_OF_SCOPE,
        confidence: command ? 1 : 0,
        choice: pressed,
        entities: pressed === 'skip' ? { skip: true } : {},
      };
    }
    const parsed = this.deps.nlu.parse(text);
    this.deps.metrics?.intents.inc({ intent: parsed.intent });
    return {
      type: 'USER',
      text,
      intent: parsed.intent,
      confidence: parsed.confidence,
      ...(parsed.ambiguous ? { ambiguous: parsed.ambiguous } : {}),
      entities: { ...parsed.entities },
    };
  }

  /** The machine with this turn's effects plugged in. */
  private buildMachine() {
    const { directory, tickets, transcript, secureLinks, logger, limits, metrics } = this.deps;
    const scope = (system: AnyActorSystem): TurnScope => {
      const s = turnScopes.get(system);
      if (!s) throw new Error('a dialog effect ran outside a turn');
      return s;
    };
    /** Opens the ticket for a case: the evidence checked, the transcript so far, and the daily limit. */
    const openTicket = async (req: TicketRequest, { input, key, pending, flags }: TurnScope) => {
      const e = req.evidence;
      try {
        // what the ticket needs, and the user's tickets for the daily limit, looked up side by side (one wait, not two)
        const [checks, recent, mine] = await Promise.all([
          directory.checkEvidence(e),
          transcript.recent(key),
          limits ? tickets.listForUser(input.channelId, input.userId) : [],
        ]);
        const verdict = limits?.ticketAllowed(mine, req.caseKey);
        if (verdict && !verdict.allowed) {
          flags.ticketLimited = true;
          metrics?.limited.inc({ limit: 'tickets' });
          logger.warn({ conversation: input.conversationId, tickets: verdict.count, limit: verdict.limit }, 'ticket refused: daily limit reached');
          throw new Error('ticket limit reached');
        }
        const { ticket, created } = await tickets.open({
          caseKey: req.caseKey,
          category: req.category,
          priority: priorityFor(req.category, req.distressed),
          channelId: input.channelId,
          userId: input.userId,
          conversationId: input.conversationId,
          evidence: {
            username: e.username ? { value: e.username, check: checks.username } : null,
            email: e.email ? { value: e.email, check: checks.email } : null,
            phone: e.phone ? { value: e.phone, check: checks.phone } : null,
            previousPasswords: e.passwords.map((outcome) => ({ outcome })),
          },
          description: e.description ?? null,
          transcript: [...recent, ...pending],
          conversationRef: input.conversationRef,
        });
        logger.info({ ticket: ticket.ref, category: ticket.category, priority: ticket.priority, created }, 'ticket opened');
        if (created) flags.opened = { ref: ticket.ref, category: ticket.category, priority: ticket.priority, transcript: ticket.transcript };
        metrics?.handoffs.inc({ category: ticket.category, created: String(created) });
        return { ref: ticket.ref };
      } catch (err) {
        // a refusal by the limit is not a fault (said above); for anything else the machine keeps
        // the evidence and offers to try again, and the operator needs the cause
        if (!flags.ticketLimited) {
          metrics?.errors.inc({ kind: 'ticket' });
          logger.error({ err, conversation: input.conversationId, caseKey: req.caseKey }, 'could not open the ticket');
        }
        throw err;
      }
    };
    return dialogMachine.provide({
      actors: {
        attachToTicket: fromPromise(async ({ input: i, system }: { system: AnyActorSystem; input: { ref: string; text: string; kind: 'message' | 'answer' } }): Promise<void> => {
          const { input } = scope(system);
          await tickets.act(i.ref, `user:${input.userId}`, { type: i.kind === 'answer' ? 'user_answered' : 'user_message', text: i.text });
        }),
        createSecureLink: fromPromise(async ({ input: i, system }: { system: AnyActorSystem; input: { username: string | undefined } }) => {
          const { input, key } = scope(system);
          return { url: await secureLinks.create({ conversationKey: key, username: i.username ?? null, conversationRef: input.conversationRef }) };
        }),
        verifyPassword: fromPromise(async ({ input: i, system }: { system: AnyActorSystem; input: { username: string | undefined; secret: Secret } }) => {
          const { key, replies } = scope(system);
          // counted before the directory is asked, whatever the account: the same answer either way
          if (limits && !(await limits.passwordCheck(key)).allowed) {
            metrics?.limited.inc({ limit: 'password_checks' });
            replies.push({ key: 'limit.passwords' });
            return 'not_checked' as const;
          }
          try {
            return await directory.verifyPreviousPassword(i.username, i.secret);
          } catch (err) {
            metrics?.errors.inc({ kind: 'password_check' });
            throw err;
          }
        }),
        openTicket: fromPromise(async ({ input: req, system }: { system: AnyActorSystem; input: TicketRequest }) => {
          const s = scope(system);
          // with the daily limit on, one user's openings in this process queue: several conversations confirming
          // at once would otherwise all count the same tickets and all pass. Other users' run side by side.
          return limits ? this.ticketsByUser.run(`${s.input.channelId}\u0000${s.input.userId}`, () => openTicket(req, s)) : openTicket(req, s);
        }),
        listTickets: fromPromise(async ({ input: i, system }: { system: AnyActorSystem; input: { ref?: string } }): Promise<{ tickets: TicketSummary[]; ref?: string }> => {
          const { input } = scope(system);
          const mine = await tickets.listForUser(input.channelId, input.userId);
          return {
            ref: i.ref,
            tickets: mine.map((t) => ({ ref: t.ref, status: t.status, category: t.category, updatedAt: t.updatedAt })),
          };
        }),
      },
    });
  }
}
