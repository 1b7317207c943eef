import { createActor, fromPromise, waitFor, type Snapshot } from 'xstate';
import { dialogMachine, type DialogSnapshot } from '../../dialogs/machine';
import type { DialogEvent, PasswordOutcome, Reply, TicketRequest, TicketSummary, UserEvent } from '../../dialogs/types';
import { Secret } from '../../src/evidence/secret';

/** Sample user messages, as the NLU would hand them to the machine. */
export const u = (text: string, intent = 'out_of_scope', entities: UserEvent['entities'] = {}, extra: Partial<UserEvent> = {}): UserEvent => ({
  type: 'USER',
  text,
  intent,
  confidence: intent === 'out_of_scope' ? 0.2 : 0.9,
  entities,
  ...extra,
});

export const SAMPLE_PASSWORD = 'walk-Secret-42';

/** The alphabet of the exhaustive walk: one event of each kind the machine distinguishes. */
export const ALPHABET: Record<string, DialogEvent> = {
  welcome: { type: 'WELCOME' },
  greeting: u('hi', 'greeting'),
  thanks: u('thanks', 'thanks'),
  goodbye: u('bye', 'goodbye'),
  affirm: u('yes', 'affirm'),
  deny: u('no', 'deny'),
  cancel: u('cancel', 'cancel'),
  help: u('help', 'help'),
  human: u('talk to a person', 'talk_to_human'),
  status: u('status of RC-ABCDEF', 'ticket_status', { ticketRef: 'RC-ABCDEF' }),
  forgot: u('i forgot my password', 'forgot_password'),
  notReceived: u('the code never came', 'reset_not_received'),
  hacked: u('i got hacked!!!', 'account_hacked', { distressed: true }),
  deleted: u('i deleted my account', 'account_deleted'),
  banned: u('my account was banned', 'account_banned'),
  phone: u('i changed my number', 'phone_changed'),
  loginError: u('error when logging in', 'login_error'),
  ambiguous: u('cant get in', 'forgot_password', {}, { ambiguous: ['forgot_password', 'login_error'] }),
  nonsense: u('what is the weather'),
  // not between two topics: no buttons to offer, handled as its top intent
  ambiguousControls: u('@sam.dances', 'help', { username: 'sam.dances' }, { ambiguous: ['help', 'affirm'] }),
  skip: u("i don't remember", 'out_of_scope', { skip: true }),
  username: u('@sam.dances', 'out_of_scope', { username: 'sam.dances' }),
  email: u('sam@example.com', 'out_of_scope', { email: 'sam@example.com' }),
  phoneNumber: u('+1 415 555 0134', 'out_of_scope', { phone: '+14155550134' }),
  correction: u('actually my email is other@example.com', 'out_of_scope', { email: 'other@example.com' }),
  story: u('Someone changed my email and phone last night'),
  // the fake ticket service fails for this description: walks the "could not open the ticket" path
  storyThatFails: u('This case makes the ticket service fail'),
  chooseEmail: u('Email', 'out_of_scope', {}, { choice: 'field:email' }),
  password: { type: 'PASSWORD', secret: new Secret(SAMPLE_PASSWORD) },
  passwordInChat: { type: 'PASSWORD_IN_CHAT' },
  formChecked: { type: 'PASSWORDS_CHECKED', outcomes: ['matched', 'not_matched'] },
  newCase: u('Start a new case', 'new_case', {}, { choice: 'new_case' }),
  agentMessage: { type: 'AGENT_MESSAGE', ref: 'RC-WALK22', text: 'We are looking at it.' },
  agentQuestion: { type: 'AGENT_REQUEST_INFO', ref: 'RC-WALK22', text: 'When did you last log in?' },
  ticketResolved: { type: 'TICKET_CLOSED', ref: 'RC-WALK22', status: 'resolved', message: 'You are back in.' },
};

export interface Effects {
  openTicket?: (input: unknown) => Promise<{ ref: string }>;
}

/** The real machine with fake effects (the services have their own contract tests). */
export function machineWithEffects(effects: Effects = {}) {
  return dialogMachine.provide({
    actors: {
      verifyPassword: fromPromise(
        async ({ input }: { input: { username: string | undefined; secret: Secret } }): Promise<PasswordOutcome> =>
          input.secret.reveal() === SAMPLE_PASSWORD ? 'matched' : 'not_matched',
      ),
      openTicket: fromPromise(async ({ input }: { input: TicketRequest }): Promise<{ ref: string }> => {
        if (effects.openTicket) return effects.openTicket(input);
        if (input.evidence.description?.includes('ticket service fail')) throw new Error('ticket service down');
        return { ref: 'RC-WALK22' };
      }),
      attachToTicket: fromPromise(async ({ input }: { input: { ref: string; text: string; kind: 'message' | 'answer' } }): Promise<void> => {
        if (input.text.includes('ticket service fail')) throw new Error('ticket service down');
      }),
      createSecureLink: fromPromise(async (): Promise<{ url: string }> => ({ url: 'http://127.0.0.1/secure/walk-token' })),
      listTickets: fromPromise(async ({ input }: { input: { ref?: string } }): Promise<{ ref?: string; tickets: TicketSummary[] }> => ({
        ref: input.ref,
        tickets: [{ ref: 'RC-MINE22', status: 'open', category: 'account_hacked', updatedAt: '2026-11-25T10:00:00Z' }],
      })),
    },
  });
}

export interface Step {
  snapshot: DialogSnapshot;
  persisted: Snapshot<unknown>;
  replies: Reply[];
}

/** Sends one event to a machine restored from `from`, lets its effects settle, returns what it said. */
const NO_EFFECTS: Effects = {};
const machines = new WeakMap<Effects, ReturnType<typeof machineWithEffects>>();

export async function step(from: Snapshot<unknown> | undefined, event: DialogEvent, effects: Effects = NO_EFFECTS, canMask = true): Promise<Step> {
  if (!machines.has(effects)) machines.set(effects, machineWithEffects(effects));
  const actor = createActor(machines.get(effects)!, {
    input: { conversationId: 'walk', canMask, defaultRegion: 'US' },
    ...(from ? { snapshot: from } : {}),
  });
  const replies: Reply[] = [];
  actor.on('reply', (e) => replies.push(e.reply));
  actor.start();
  actor.send(event);
  const snapshot = (await waitFor(actor, (s) => Object.keys(s.children).length === 0, { timeout: 2000 })) as DialogSnapshot;
  const persisted = actor.getPersistedSnapshot() as Snapshot<unknown>;
  actor.stop();
  return { snapshot, persisted, replies };
}

/** Runs a script of events from a fresh conversation. */
export async function run(events: DialogEvent[], effects: Effects = NO_EFFECTS, canMask = true): Promise<Step & { all: Reply[][] }> {
  let persisted: Snapshot<unknown> | undefined;
  let last: Step | undefined;
  const all: Reply[][] = [];
  for (const e of events) {
    last = await step(persisted, e, effects, canMask);
    persisted = last.persisted;
    all.push(last.replies);
  }
  return { ...last!, all };
}

/** The states a conversation can rest in between turns, as a readable path. */
export const stateOf = (s: DialogSnapshot): string =>
  JSON.stringify(s.value).replace(/[{}"]/g, '').replace(/:/g, '.').replace(/^main\./, '');

/** Every atomic state of the machine, e.g. `collect.passwords.asking`. */
export function atomicStates(): string[] {
  const out: string[] = [];
  const visit = (node: { path: string[]; type: string; states: Record<string, unknown> }) => {
    const children = Object.values(node.states) as (typeof node)[];
    if (node.type === 'history') return;
    if (children.length === 0) out.push(node.path.join('.').replace(/^main\./, ''));
    children.forEach(visit);
  };
  visit(dialogMachine.root as never);
  return out;
}
