import { and, assign, emit, enqueueActions, fromPromise, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import {
  normaliseDescription,
  normaliseEmail,
  normalisePhone,
  normaliseUsername,
  maskPhone,
  type Check,
} from '../src/evidence/validate';
import type { Secret } from '../src/evidence/secret';
import {
  RECOVERY_INTENTS,
  type Category,
  type Choice,
  type DialogEvent,
  type Evidence,
  type Field,
  type PasswordOutcome,
  type RecoveryIntent,
  type Reply,
  type TicketRequest,
  type TicketSummary,
  type UserEvent,
} from './types';

/**
 * The conversation, as a statechart. Pure: it knows intents, evidence and
 * replies as data. The three effects it needs (check a password, open a
 * ticket, look up the user's tickets) are actors the engine supplies with
 * `machine.provide({ actors })`.
 */

export const MAX_PASSWORDS = 3;
/** re-prompts for one field before it is skipped */
export const MAX_REASKS = 2;
/** consecutive misunderstandings before a person is offered */
export const MAX_MISSES = 2;

export interface DialogInput {
  conversationId: string;
  /** the channel can show a masked password input (Adaptive Cards) */
  canMask: boolean;
  defaultRegion: string;
}

export interface DialogContext extends DialogInput {
  caseNo: number;
  category: Category | null;
  evidence: Evidence;
  /** fields given or skipped in this case */
  done: Field[];
  field: Field | null;
  reasks: number;
  misses: number;
  distressed: boolean;
  topic: RecoveryIntent | null;
  lastAsk: Reply | null;
  lastTicketRef: string | null;
  /** the open ticket the user's next messages are added to */
  followTicket: string | null;
  /** the agent's question waiting for the user's answer */
  agentAsk: { ref: string; text: string } | null;
}

const TOPICS: Choice[] = [
  { label: 'topic.forgot_password', value: 'forgot_password' },
  { label: 'topic.reset_not_received', value: 'reset_not_received' },
  { label: 'topic.account_hacked', value: 'account_hacked' },
  { label: 'topic.account_deleted', value: 'account_deleted' },
  { label: 'topic.account_banned', value: 'account_banned' },
  { label: 'topic.phone_changed', value: 'phone_changed' },
  { label: 'topic.login_error', value: 'login_error' },
  { label: 'topic.talk_to_human', value: 'talk_to_human' },
];
const SKIP: Choice = { label: 'choice.skip', value: 'skip' };
const YES_NO_HELPED: Choice[] = [
  { label: 'choice.yes_helped', value: 'affirm' },
  { label: 'choice.no_still_locked', value: 'deny' },
];

const FOLLOW_UP: Record<RecoveryIntent, { key: string; choices: Choice[] } | null> = {
  forgot_password: { key: 'guide.did_it_help', choices: YES_NO_HELPED },
  reset_not_received: { key: 'guide.did_it_help', choices: YES_NO_HELPED },
  login_error: { key: 'guide.did_it_help', choices: YES_NO_HELPED },
  phone_changed: { key: 'guide.did_it_help', choices: YES_NO_HELPED },
  account_deleted: {
    key: 'guide.deleted_follow_up',
    choices: [
      { label: 'choice.yes_back_in', value: 'affirm' },
      { label: 'choice.no_cant_log_in', value: 'deny' },
    ],
  },
  account_banned: {
    key: 'guide.banned_follow_up',
    choices: [
      { label: 'choice.yes_appeal', value: 'affirm' },
      { label: 'choice.no_thanks', value: 'deny' },
    ],
  },
  // a hacked account goes straight to a person: there is nothing to try first
  account_hacked: null,
};

const GLOBAL_INTENTS = ['cancel', 'help', 'talk_to_human'];
/** while a ticket is open, anything but these is added to it */
const NOT_ABOUT_CASE = ['greeting', 'goodbye', 'thanks', 'affirm', 'deny', 'cancel', 'help', 'ticket_status', 'new_case'];
const CORRECTION_CUE = /\b(actually|sorry|i meant|correction|wrong|typo|instead|not\s+\S+\s+but|my (?:e-?mail|phone|number|user\s?name|handle) is)\b/i;

const isRecovery = (intent: string): intent is RecoveryIntent => (RECOVERY_INTENTS as readonly string[]).includes(intent);
const userEvent = (e: DialogEvent): UserEvent | null => (e.type === 'USER' ? e : null);
const intentOf = (e: DialogEvent) => userEvent(e)?.intent;
/** below this, a guess at cancel/help/human does not interrupt an answer */
const GLOBAL_CONFIDENCE = 0.5;
/** an answer shaped like evidence (an email, a number, a handle, one token with @ . _ or digits) is never a command */
const looksLikeEvidence = (u: UserEvent) =>
  Boolean(u.entities.email || u.entities.phone || u.entities.username) || /^\S*[@._\d]\S*$/.test(u.text.trim());
const isGlobal = (e: DialogEvent) => {
  const u = userEvent(e);
  if (!u || !GLOBAL_INTENTS.includes(u.intent)) return false;
  if (u.choice) return true;
  return u.confidence >= GLOBAL_CONFIDENCE && !looksLikeEvidence(u);
};

/** Reads the value for a field out of a message. */
function parseField(field: Field, e: UserEvent, ctx: DialogContext): Check {
  switch (field) {
    case 'username':
      return normaliseUsername(e.entities.username ?? e.text);
    case 'email':
      return normaliseEmail(e.entities.email ?? e.text);
    case 'phone':
      return e.entities.phone ? { ok: true, value: e.entities.phone } : normalisePhone(e.text, ctx.defaultRegion);
    case 'description':
      return normaliseDescription(e.text);
    case 'passwords':
      return { ok: false, reason: 'password.use_card' };
  }
}

/** A message that corrects another field than the one asked ("actually my email is …"). */
function correction(e: DialogEvent, ctx: DialogContext): { field: Field; value: string } | null {
  const u = userEvent(e);
  if (!u) return null;
  const cued = CORRECTION_CUE.test(u.text) || ctx.field === null || ctx.field === 'passwords';
  const found: [Field, string | undefined][] = [
    ['email', u.entities.email],
    ['username', u.entities.username],
    ['phone', u.entities.phone],
  ];
  for (const [field, value] of found) {
    if (value && field !== ctx.field && (cued || field === 'username')) return { field, value };
  }
  return null;
}

function fieldFromText(e: UserEvent, canMask: boolean): Field | null {
  const fromChoice = e.choice?.startsWith('field:') ? (e.choice.slice(6) as Field) : null;
  if (fromChoice) return fromChoice;
  const t = e.text.toLowerCase();
  // "the email" or "change my phone" names a field; a sentence about what happened does not
  if (t.split(/\s+/).length > 4) return null;
  if (/user\s?name|handle/.test(t)) return 'username';
  if (/e-?mail/.test(t)) return 'email';
  if (/phone|number/.test(t)) return 'phone';
  if (canMask && /pass\s?word/.test(t)) return 'passwords';
  if (/descri|what happened|story|details/.test(t)) return 'description';
  return null;
}

function nextField(ctx: DialogContext): Field | null {
  const order: Field[] = ['username', 'email', 'phone', 'passwords', 'description'];
  for (const f of order) {
    if (f === 'passwords' && !ctx.evidence.username) continue;
    if (!ctx.done.includes(f)) return f;
  }
  return null;
}

function askFor(field: Field, ctx: DialogContext): Reply {
  if (field === 'passwords') {
    const count = ctx.evidence.passwords.length;
    return count === 0
      ? { key: 'ask.passwords', input: 'password', choices: [SKIP] }
      : { key: 'ask.passwords_more', params: { count, max: MAX_PASSWORDS }, input: 'password', choices: [{ label: 'choice.no_more', value: 'skip' }] };
  }
  const key = ctx.category === 'account_banned' && field === 'description' ? 'ask.appeal_statement' : `ask.${field}`;
  return { key, choices: [SKIP] };
}

export function summaryParams(ctx: DialogContext): Record<string, string | number | null> {
  const e = ctx.evidence;
  return {
    category: ctx.category ?? 'other',
    username: e.username ? `@${e.username}` : null,
    email: e.email ?? null,
    phone: e.phone ? maskPhone(e.phone) : null,
    passwords: e.passwords.length > 0 ? e.passwords.length : null,
    description: e.description ? (e.description.length > 140 ? `${e.description.slice(0, 137)}…` : e.description) : null,
  };
}

const freshCase = (ctx: DialogContext): Partial<DialogContext> => ({
  caseNo: ctx.caseNo + 1,
  category: null,
  evidence: { passwords: [] },
  done: [],
  field: null,
  reasks: 0,
  distressed: false,
  lastAsk: null,
});

export const dialogMachine = setup({
  types: {
    context: {} as DialogContext,
    events: {} as DialogEvent,
    input: {} as DialogInput,
    emitted: {} as { type: 'reply'; reply: Reply },
  },
  actors: {
    /** checks a previous password against the account's history; the Secret is dropped after */
    verifyPassword: fromPromise<PasswordOutcome, { username: string | undefined; secret: Secret }>(async () => 'not_checked'),
    /** opens the ticket (idempotent per caseKey) and returns its reference */
    openTicket: fromPromise<{ ref: string }, TicketRequest>(async () => {
      throw new Error('openTicket not provided');
    }),
    /** the tickets of the user of this conversation (never anyone else's) */
    listTickets: fromPromise<{ tickets: TicketSummary[]; ref?: string }, { ref?: string }>(async ({ input }) => ({ tickets: [], ref: input.ref })),
    /** adds the user's message (or answer to the agent's question) to their open ticket */
    attachToTicket: fromPromise<void, { ref: string; text: string; kind: 'message' | 'answer' }>(async () => {
      throw new Error('attachToTicket not provided');
    }),
    /** a one-time link to a secure form for previous passwords, for channels without masked input */
    createSecureLink: fromPromise<{ url: string }, { username: string | undefined }>(async () => {
      throw new Error('createSecureLink not provided');
    }),
  },
  guards: {
    intentIs: ({ event }, p: { intents: string[] }) => p.intents.includes(intentOf(event) ?? ''),
    isRecoveryIntent: ({ event }) => isRecovery(intentOf(event) ?? ''),
    // only topics can be offered as buttons: "did you mean help or yes?" helps nobody
    isAmbiguous: ({ event }) => {
      const pair = userEvent(event)?.ambiguous;
      return Boolean(pair && pair.every((i) => TOPICS.some((t) => t.value === i)));
    },
    tooManyMisses: ({ context }) => context.misses + 1 >= MAX_MISSES,
    isSkip: ({ event }) => {
      const u = userEvent(event);
      return Boolean(u && (u.entities.skip || u.choice === 'skip'));
    },
    isGlobal: ({ event }) => isGlobal(event),
    isCorrection: ({ context, event }) => correction(event, context) !== null,
    validForField: ({ context, event }) => {
      const u = userEvent(event);
      return Boolean(u && context.field && !isGlobal(event) && parseField(context.field, u, context).ok);
    },
    canReask: ({ context, event }) => !isGlobal(event) && context.reasks < MAX_REASKS,
    notGlobal: ({ event }) => !isGlobal(event),
    topicHandsOffOnYes: ({ context }) => context.topic === 'account_banned',
    hasCategory: ({ context }) => context.category !== null,
    hasNextField: ({ context }) => nextField(context) !== null,
    choseField: ({ context, event }) => {
      const u = userEvent(event);
      return Boolean(u && fieldFromText(u, context.canMask));
    },
    canTakeMorePasswords: ({ context }) => context.evidence.passwords.length < MAX_PASSWORDS,
    hasPasswords: ({ context }) => context.evidence.passwords.length > 0,
    canMask: ({ context }) => context.canMask,
    followsTicket: ({ context }) => context.followTicket !== null,
    /** a message about the case (not a pleasantry, a command or a status question) */
    isAboutCase: ({ event }) => {
      const u = userEvent(event);
      // a pleasantry or a command only when the NLU is sure of it; anything else is news for the team
      return Boolean(u && !u.choice && !(NOT_ABOUT_CASE.includes(u.intent) && u.confidence >= 0.6));
    },
    isFollowedTicket: ({ context, event }) => 'ref' in event && event.ref === context.followTicket,
  },
  actions: {
    say: emit((_, reply: Reply) => ({ type: 'reply' as const, reply })),
    sayTopics: emit((_, p: { key: string }) => ({ type: 'reply' as const, reply: { key: p.key, choices: TOPICS } })),
    sayGuide: emit(({ context }) => ({ type: 'reply' as const, reply: { key: `guide.${context.topic}` } })),
    askFollowUp: assign(({ context }) => {
      const f = context.topic ? FOLLOW_UP[context.topic] : null;
      return { lastAsk: f ? { key: f.key, choices: f.choices } : { key: 'guide.did_it_help', choices: YES_NO_HELPED } };
    }),
    sayClarify: emit(({ event }) => {
      const [a, b] = userEvent(event)?.ambiguous ?? ['help', 'help'];
      return {
        type: 'reply' as const,
        reply: { key: 'clarify.which', choices: [{ label: `topic.${a}`, value: a }, { label: `topic.${b}`, value: b }] },
      };
    }),
    repeatLastAsk: emit(({ context }) => ({ type: 'reply' as const, reply: context.lastAsk ?? { key: 'idle.what_can_i_do', choices: TOPICS } })),
    forgetLastAsk: assign({ lastAsk: null }),
    /** asks a question: says it, and remembers it to repeat after help, a warning or an interruption */
    ask: enqueueActions(({ enqueue }, reply: Reply) => {
      enqueue.assign({ lastAsk: reply });
      enqueue.emit({ type: 'reply' as const, reply });
    }),
    askField: assign(({ context }) => {
      const field = nextField(context)!;
      return { field, reasks: 0, lastAsk: askFor(field, context) };
    }),
    askAgain: assign(({ context }) => ({ lastAsk: context.field ? askFor(context.field, context) : context.lastAsk })),
    sayReason: emit(({ context, event }) => {
      const u = userEvent(event)!;
      const check = parseField(context.field!, u, context);
      return { type: 'reply' as const, reply: { key: check.ok ? 'collect.not_understood' : check.reason } };
    }),
    countReask: assign(({ context }) => ({ reasks: context.reasks + 1 })),
    acceptField: assign(({ context, event }) => {
      const field = context.field!;
      const check = parseField(field, userEvent(event)!, context);
      if (!check.ok) return {};
      return {
        evidence: { ...context.evidence, [field]: check.value },
        done: [...context.done.filter((f) => f !== field), field],
      };
    }),
    skipField: assign(({ context }) => ({ done: [...context.done.filter((f) => f !== context.field), context.field!] })),
    applyCorrection: assign(({ context, event }) => {
      const c = correction(event, context)!;
      const check = parseField(c.field, { ...(userEvent(event) as UserEvent), text: c.value, entities: {} }, context);
      if (!check.ok) return {};
      return { evidence: { ...context.evidence, [c.field]: check.value }, done: [...context.done.filter((f) => f !== c.field), c.field] };
    }),
    sayCorrected: emit(({ context, event }) => ({
      type: 'reply' as const,
      reply: { key: 'collect.corrected', params: { field: correction(event, context)?.field ?? '' } },
    })),
    noteMood: assign(({ context, event }) => ({ distressed: context.distressed || Boolean(userEvent(event)?.entities.distressed) })),
    setTopicFromIntent: assign(({ event }) => ({ topic: intentOf(event) as RecoveryIntent })),
    setCategoryFromTopic: assign(({ context }) => ({ category: context.topic })),
    setCategoryFromIntent: assign(({ context, event }) => {
      const intent = intentOf(event) ?? '';
      return { category: isRecovery(intent) ? intent : (context.category ?? null) };
    }),
    triageFromMessage: assign(({ context, event }) => {
      const u = userEvent(event)!;
      const d = normaliseDescription(u.text);
      return {
        category: isRecovery(u.intent) ? u.intent : 'other',
        evidence: d.ok && !u.entities.skip ? { ...context.evidence, description: d.value } : context.evidence,
        done: d.ok && !u.entities.skip ? [...context.done, 'description' as Field] : context.done,
      };
    }),
    countMiss: assign(({ context }) => ({ misses: context.misses + 1 })),
    resetMisses: assign({ misses: 0 }),
    newCase: assign(({ context }) => freshCase(context)),
    reopenChosenField: assign(({ context, event }) => {
      const field = fieldFromText(userEvent(event)!, context.canMask)!;
      const evidence = { ...context.evidence };
      if (field === 'passwords') evidence.passwords = [];
      else delete evidence[field];
      return { evidence, done: context.done.filter((f) => f !== field) };
    }),
    recordPassword: assign(({ context }, p: { outcome: PasswordOutcome }) => ({
      evidence: { ...context.evidence, passwords: [...context.evidence.passwords, p.outcome] },
    })),
    finishPasswords: assign(({ context }) => ({ done: [...context.done.filter((f) => f !== 'passwords'), 'passwords' as Field] })),
    rememberTicket: assign((_, p: { ref: string }) => ({ lastTicketRef: p.ref, followTicket: p.ref })),
    stopFollowing: assign({ followTicket: null }),
    sayAgentMessage: emit(({ event }) => {
      const e = event as Extract<DialogEvent, { type: 'AGENT_MESSAGE' }>;
      return { type: 'reply' as const, reply: { key: 'agent.message', params: { ref: e.ref, text: e.text } } };
    }),
    sayTicketClosed: emit(({ event }) => {
      const e = event as Extract<DialogEvent, { type: 'TICKET_CLOSED' }>;
      return { type: 'reply' as const, reply: { key: `agent.${e.status}`, params: { ref: e.ref, text: e.message } } };
    }),
    takeAgentQuestion: assign(({ event }) => {
      const e = event as Extract<DialogEvent, { type: 'AGENT_REQUEST_INFO' }>;
      return { agentAsk: { ref: e.ref, text: e.text } };
    }),
    askAgentQuestion: emit(({ context }) => ({
      type: 'reply' as const,
      reply: { key: 'agent.request_info', params: { ref: context.agentAsk?.ref ?? '', text: context.agentAsk?.text ?? '' } },
    })),
    recordCheckedPasswords: assign(({ context, event }) => {
      const e = event as Extract<DialogEvent, { type: 'PASSWORDS_CHECKED' }>;
      return { evidence: { ...context.evidence, passwords: [...context.evidence.passwords, ...e.outcomes].slice(0, MAX_PASSWORDS) } };
    }),
    // the password question is asked by the password states themselves (card or link)
    sayAskUnlessPasswords: enqueueActions(({ context, enqueue }) => {
      if (context.field !== 'passwords' && context.lastAsk) enqueue.emit({ type: 'reply' as const, reply: context.lastAsk });
    }),
    sayUsePasswordInput: emit(({ context }) => ({ type: 'reply' as const, reply: { key: context.canMask ? 'password.use_card' : 'password.use_link' } })),
  },
}).createMachine({
  id: 'reclaim',
  context: ({ input }) => ({
    ...input,
    caseNo: 1,
    category: null,
    evidence: { passwords: [] },
    done: [],
    field: null,
    reasks: 0,
    misses: 0,
    distressed: false,
    topic: null,
    lastAsk: null,
    lastTicketRef: null,
    followTicket: null,
    agentAsk: null,
  }),
  initial: 'main',
  on: {
    // from the support team, at any time: said, and the conversation goes on where it was
    AGENT_MESSAGE: { actions: 'sayAgentMessage' },
    TICKET_CLOSED: { actions: ['sayTicketClosed', 'stopFollowing'] },
    AGENT_REQUEST_INFO: { target: '.awaitingAnswer', actions: 'takeAgentQuestion' },
  },
  states: {
    main: {
      initial: 'idle',
      on: {
        // Reached when the current state did not handle the message itself:
        // global commands first, then messages about an open ticket, then routing by intent.
        USER: [
          { guard: { type: 'intentIs', params: { intents: ['cancel'] } }, target: '.idle', actions: { type: 'sayTopics', params: { key: 'cancel.nothing' } } },
          { guard: { type: 'intentIs', params: { intents: ['help'] } }, target: '.idle', actions: [{ type: 'sayTopics', params: { key: 'help.general' } }, 'resetMisses'] },
          { guard: and(['followsTicket', 'isAboutCase']), target: '.attaching' },
          { guard: { type: 'intentIs', params: { intents: ['new_case'] } }, target: '.idle', actions: ['stopFollowing', { type: 'sayTopics', params: { key: 'ticket.new_case' } }] },
          { guard: { type: 'intentIs', params: { intents: ['talk_to_human'] } }, target: '.collect', actions: ['resetMisses', 'noteMood', { type: 'say', params: { key: 'human.intro' } }] },
          { guard: 'isAmbiguous', target: '.idle', actions: 'sayClarify' },
          { guard: { type: 'intentIs', params: { intents: ['account_hacked'] } }, target: '.collect', actions: ['resetMisses', 'noteMood', 'setTopicFromIntent', 'setCategoryFromTopic', 'sayGuide'] },
          { guard: 'isRecoveryIntent', target: '.guide', actions: ['resetMisses', 'noteMood', 'setTopicFromIntent'] },
          { guard: { type: 'intentIs', params: { intents: ['ticket_status'] } }, target: '.status', actions: 'resetMisses' },
          { guard: { type: 'intentIs', params: { intents: ['greeting'] } }, target: '.idle', actions: [{ type: 'sayTopics', params: { key: 'greeting' } }, 'resetMisses'] },
          { guard: { type: 'intentIs', params: { intents: ['thanks'] } }, target: '.idle', actions: [{ type: 'say', params: { key: 'thanks' } }, 'resetMisses'] },
          { guard: { type: 'intentIs', params: { intents: ['goodbye', 'deny'] } }, target: '.idle', actions: [{ type: 'say', params: { key: 'goodbye' } }, 'resetMisses'] },
          { guard: { type: 'intentIs', params: { intents: ['affirm'] } }, target: '.idle', actions: { type: 'sayTopics', params: { key: 'idle.what_can_i_do' } } },
          { guard: 'tooManyMisses', target: '.offerHuman', actions: 'countMiss' },
          { target: '.idle', actions: ['countMiss', { type: 'sayTopics', params: { key: 'fallback' } }] },
        ],
        PASSWORD: { actions: { type: 'say', params: { key: 'password.not_asked' } } },
        // a message that was only a password: it was removed; warn and ask the last question again
        PASSWORD_IN_CHAT: { actions: [{ type: 'say', params: { key: 'password.in_chat' } }, 'repeatLastAsk'] },
      },
      states: {
        /** where the conversation was when the agent's question came: resumed after the answer */
        resume: { type: 'history', history: 'deep' },

        idle: {
          entry: 'forgetLastAsk',
          on: {
            WELCOME: { actions: { type: 'sayTopics', params: { key: 'welcome' } } },
          },
        },

        offerHuman: {
          entry: {
            type: 'ask',
            params: {
              key: 'fallback.offer_human',
              choices: [
                { label: 'topic.talk_to_human', value: 'talk_to_human' },
                { label: 'choice.show_topics', value: 'help' },
              ],
            },
          },
          on: {
            USER: [
              { guard: { type: 'intentIs', params: { intents: ['affirm'] } }, target: 'collect', actions: ['resetMisses', { type: 'say', params: { key: 'human.intro' } }] },
              { guard: { type: 'intentIs', params: { intents: ['deny'] } }, target: 'idle', actions: ['resetMisses', { type: 'sayTopics', params: { key: 'idle.what_can_i_do' } }] },
            ],
          },
        },

        guide: {
          entry: ['sayGuide', 'askFollowUp', 'repeatLastAsk'],
          on: {
            USER: [
              {
                guard: and([{ type: 'intentIs', params: { intents: ['affirm', 'thanks'] } }, 'topicHandsOffOnYes']),
                target: 'collect',
                actions: ['setCategoryFromTopic', { type: 'say', params: { key: 'guide.appeal_intro' } }],
              },
              { guard: { type: 'intentIs', params: { intents: ['affirm', 'thanks'] } }, target: 'idle', actions: { type: 'say', params: { key: 'guide.glad' } } },
              {
                guard: and([{ type: 'intentIs', params: { intents: ['deny'] } }, 'topicHandsOffOnYes']),
                target: 'idle',
                actions: { type: 'say', params: { key: 'guide.no_appeal' } },
              },
              { guard: { type: 'intentIs', params: { intents: ['deny'] } }, target: 'collect', actions: ['setCategoryFromTopic', { type: 'say', params: { key: 'guide.handoff_intro' } }] },
            ],
          },
        },

        status: {
          invoke: {
            src: 'listTickets',
            input: ({ event }) => ({ ref: userEvent(event)?.entities.ticketRef }),
            onDone: { target: 'idle', actions: emit(({ event }) => ({ type: 'reply' as const, reply: statusReply(event.output) })) },
            onError: { target: 'idle', actions: { type: 'say', params: { key: 'error.status' } } },
          },
        },

        /** a message while a ticket is open goes to that ticket, not into a new case */
        attaching: {
          invoke: {
            src: 'attachToTicket',
            input: ({ context, event }) => ({ ref: context.followTicket!, text: userEvent(event)?.text ?? '', kind: 'message' as const }),
            onDone: {
              target: 'idle',
              actions: emit(({ context }) => ({
                type: 'reply' as const,
                reply: { key: 'ticket.attached', params: { ref: context.followTicket }, choices: [{ label: 'choice.new_case', value: 'new_case' }] },
              })),
            },
            onError: { target: 'idle', actions: { type: 'say', params: { key: 'error.attach' } } },
          },
        },

        collect: {
          initial: 'start',
          on: {
            // Global commands while collecting: the collected evidence is kept unless the user cancels.
            USER: [
              { guard: { type: 'intentIs', params: { intents: ['cancel'] } }, target: 'idle', actions: [{ type: 'sayTopics', params: { key: 'cancel.done' } }, 'newCase'] },
              { guard: { type: 'intentIs', params: { intents: ['help'] } }, actions: [{ type: 'say', params: { key: 'help.collect' } }, 'repeatLastAsk'] },
              { guard: { type: 'intentIs', params: { intents: ['talk_to_human'] } }, actions: [{ type: 'say', params: { key: 'human.already' } }, 'repeatLastAsk'] },
              { actions: [{ type: 'say', params: { key: 'collect.not_understood' } }, 'repeatLastAsk'] },
            ],
          },
          states: {
            start: {
              always: [{ guard: 'hasCategory', target: 'next' }, { target: 'triage' }],
            },
            triage: {
              entry: [assign({ field: null }), { type: 'ask', params: { key: 'ask.what_happened', choices: [SKIP] } }],
              on: {
                USER: [{ guard: 'notGlobal', target: 'next', actions: ['noteMood', 'triageFromMessage'] }],
              },
            },
            next: {
              // the first field not yet given or skipped; when none is left, the summary
              always: [{ guard: 'hasNextField', target: 'field' }, { target: 'confirm' }],
            },
            field: {
              entry: ['askField', 'sayAskUnlessPasswords'],
              always: { guard: ({ context }) => context.field === 'passwords', target: 'passwords' },
              on: {
                USER: [
                  { guard: 'isSkip', target: 'next', actions: ['skipField', { type: 'say', params: { key: 'collect.skipped' } }] },
                  { guard: 'isCorrection', actions: ['applyCorrection', 'sayCorrected', 'repeatLastAsk'] },
                  { guard: 'validForField', target: 'next', actions: ['noteMood', 'acceptField'] },
                  { guard: 'canReask', actions: ['countReask', 'sayReason', 'repeatLastAsk'] },
                  { guard: 'notGlobal', target: 'next', actions: ['sayReason', 'skipField', { type: 'say', params: { key: 'collect.giving_up' } }] },
                ],
              },
            },
            passwords: {
              initial: 'route',
              on: {
                USER: [
                  { guard: and(['isSkip', 'hasPasswords']), target: 'next', actions: 'finishPasswords' },
                  { guard: and([{ type: 'intentIs', params: { intents: ['deny'] } }, 'hasPasswords']), target: 'next', actions: 'finishPasswords' },
                  { guard: 'isSkip', target: 'next', actions: [{ type: 'say', params: { key: 'collect.skipped' } }, 'finishPasswords'] },
                  { guard: { type: 'intentIs', params: { intents: ['deny'] } }, target: 'next', actions: [{ type: 'say', params: { key: 'collect.skipped' } }, 'finishPasswords'] },
                  { guard: 'isCorrection', actions: ['applyCorrection', 'sayCorrected', 'repeatLastAsk'] },
                  { guard: 'notGlobal', actions: ['sayUsePasswordInput', 'repeatLastAsk'] },
                ],
              },
              states: {
                route: {
                  always: [{ guard: 'canMask', target: 'asking' }, { target: 'linking' }],
                },
                asking: {
                  tags: ['secret'],
                  entry: ['askAgain', 'repeatLastAsk'],
                  on: {
                    PASSWORD: 'checking',
                    PASSWORD_IN_CHAT: { actions: [{ type: 'say', params: { key: 'password.in_chat' } }, 'repeatLastAsk'] },
                  },
                },
                checking: {
                  invoke: {
                    src: 'verifyPassword',
                    input: ({ context, event }) => ({
                      username: context.evidence.username,
                      secret: (event as Extract<DialogEvent, { type: 'PASSWORD' }>).secret,
                    }),
                    onDone: { target: 'checked', actions: { type: 'recordPassword', params: ({ event }) => ({ outcome: event.output }) } },
                    // a directory outage must not lose the case: note that it was not checked
                    onError: { target: 'checked', actions: { type: 'recordPassword', params: { outcome: 'not_checked' } } },
                  },
                },
                checked: {
                  // the same words whatever the outcome: the bot is no password oracle
                  entry: { type: 'say', params: { key: 'password.received' } },
                  always: [{ guard: 'canTakeMorePasswords', target: 'asking' }, { target: '#reclaim.main.collect.next', actions: 'finishPasswords' }],
                },
                /** no masked input on this channel: a one-time link to a secure form instead */
                linking: {
                  invoke: {
                    src: 'createSecureLink',
                    input: ({ context }) => ({ username: context.evidence.username }),
                    onDone: {
                      target: 'waitingForForm',
                      actions: { type: 'ask', params: ({ event }) => ({ key: 'ask.passwords_link', params: { url: event.output.url }, choices: [SKIP] }) },
                    },
                    onError: { target: '#reclaim.main.collect.next', actions: 'finishPasswords' },
                  },
                },
                waitingForForm: {
                  on: {
                    PASSWORDS_CHECKED: {
                      target: '#reclaim.main.collect.next',
                      actions: ['recordCheckedPasswords', { type: 'say', params: { key: 'password.received_form' } }, 'finishPasswords'],
                    },
                  },
                },
              },
            },
            confirm: {
              entry: [
                assign({ field: null }),
                {
                  type: 'ask',
                  params: ({ context }) => ({
                    key: 'confirm.summary',
                    params: summaryParams(context),
                    choices: [
                      { label: 'choice.yes_open_ticket', value: 'affirm' },
                      { label: 'choice.no_change', value: 'deny' },
                    ],
                  }),
                },
              ],
              on: {
                USER: [
                  { guard: 'isCorrection', target: 'confirm', reenter: true, actions: ['applyCorrection', 'sayCorrected'] },
                  { guard: { type: 'intentIs', params: { intents: ['affirm'] } }, target: 'opening' },
                  { guard: 'choseField', target: 'next', actions: 'reopenChosenField' },
                  { guard: { type: 'intentIs', params: { intents: ['deny'] } }, target: 'chooseField' },
                ],
              },
            },
            chooseField: {
              entry: {
                type: 'ask',
                params: ({ context }) => ({
                  key: 'confirm.which_field',
                  choices: [
                    { label: 'field.username', value: 'field:username' },
                    { label: 'field.email', value: 'field:email' },
                    { label: 'field.phone', value: 'field:phone' },
                    ...(context.evidence.username ? [{ label: 'field.passwords', value: 'field:passwords' }] : []),
                    { label: 'field.description', value: 'field:description' },
                  ],
                }),
              },
              on: {
                USER: [
                  { guard: 'choseField', target: 'next', actions: 'reopenChosenField' },
                  { guard: { type: 'intentIs', params: { intents: ['deny', 'affirm'] } }, target: 'confirm' },
                ],
              },
            },
            opening: {
              invoke: {
                src: 'openTicket',
                input: ({ context }) => ({
                  caseKey: `${context.conversationId}#${context.caseNo}`,
                  category: context.category ?? 'other',
                  distressed: context.distressed,
                  evidence: context.evidence,
                }),
                onDone: {
                  target: '#reclaim.main.idle',
                  actions: [
                    emit(({ context, event }) => ({
                      type: 'reply' as const,
                      reply: { key: context.category === 'account_hacked' ? 'ticket.opened_urgent' : 'ticket.opened', params: { ref: event.output.ref } },
                    })),
                    { type: 'rememberTicket', params: ({ event }) => ({ ref: event.output.ref }) },
                    'newCase',
                  ],
                },
                onError: { target: 'failed' },
              },
            },
            failed: {
              entry: {
                type: 'ask',
                params: {
                  key: 'ticket.failed',
                  choices: [
                    { label: 'choice.try_again', value: 'affirm' },
                    { label: 'choice.cancel', value: 'cancel' },
                  ],
                },
              },
              on: {
                USER: [{ guard: { type: 'intentIs', params: { intents: ['affirm'] } }, target: 'opening' }],
              },
            },
          },
        },
      },
    },

    /** the support team asked a question: the user's next message is the answer, then back to where they were */
    awaitingAnswer: {
      entry: 'askAgentQuestion',
      on: {
        USER: [
          { guard: { type: 'intentIs', params: { intents: ['help'] } }, actions: [{ type: 'say', params: { key: 'help.answering' } }, 'askAgentQuestion'] },
          { guard: { type: 'intentIs', params: { intents: ['cancel'] } }, target: 'main.resume', actions: [{ type: 'say', params: { key: 'agent.answer_cancelled' } }, assign({ agentAsk: null })] },
          { target: 'answering' },
        ],
        PASSWORD_IN_CHAT: { actions: [{ type: 'say', params: { key: 'password.in_chat' } }, 'askAgentQuestion'] },
        PASSWORD: { actions: { type: 'say', params: { key: 'password.not_asked' } } },
        TICKET_CLOSED: { target: 'main.resume', actions: ['sayTicketClosed', 'stopFollowing', assign({ agentAsk: null })] },
      },
    },
    answering: {
      invoke: {
        src: 'attachToTicket',
        input: ({ context, event }) => ({ ref: context.agentAsk!.ref, text: userEvent(event)?.text ?? '', kind: 'answer' as const }),
        onDone: {
          target: 'main.resume',
          actions: [emit(({ context }) => ({ type: 'reply' as const, reply: { key: 'ticket.answer_received', params: { ref: context.agentAsk?.ref ?? '' } } })), assign({ agentAsk: null })],
        },
        // not saved: ask again, the user's words are not lost silently
        onError: { target: 'awaitingAnswer', actions: { type: 'say', params: { key: 'error.attach' } } },
      },
    },
  },
});

function statusReply({ tickets, ref }: { tickets: TicketSummary[]; ref?: string }): Reply {
  const items = tickets.slice(0, 5).map((t) => ({ ref: t.ref, status: t.status, category: t.category, updated: t.updatedAt.slice(0, 10) }));
  if (ref && !tickets.some((t) => t.ref === ref)) {
    // the same answer whether the reference exists for someone else or not at all
    return { key: items.length ? 'status.not_found_but' : 'status.not_found', params: { ref }, items };
  }
  if (items.length === 0) return { key: 'status.none' };
  return { key: 'status.list', params: { count: tickets.length }, items };
}

export type DialogMachine = typeof dialogMachine;
export type DialogActor = ActorRefFrom<DialogMachine>;
export type DialogSnapshot = SnapshotFrom<DialogMachine>;
