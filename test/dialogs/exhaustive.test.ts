import type { Snapshot } from 'xstate';
import { REQUIRED_WORDING, loadKnowledge } from '../../src/knowledge';
import type { Reply } from '../../dialogs/types';
import { ALPHABET, SAMPLE_PASSWORD, atomicStates, stateOf, step } from './walk';
import path from 'node:path';

/**
 * An exhaustive walk: from the start, every event of the alphabet in every
 * state reached (breadth-first, states told apart by their value and the
 * collection progress), checking the machine's invariants at every step.
 */
const TRANSIENT = new Set([
  'collect.start', 'collect.next', 'collect.passwords.route', 'collect.passwords.checking', 'collect.passwords.checked',
  'collect.passwords.linking', 'collect.opening', 'status', 'attaching', 'answering',
]);
const knowledge = loadKnowledge(path.resolve(__dirname, '../../knowledge'));
const wordingKeys = new Set<string>([...REQUIRED_WORDING, ...Object.keys(knowledge.guides).map((g) => `guide.${g}`)]);

interface Visit {
  canMask: boolean;
  from: string;
  event: string;
  to: string;
  replies: Reply[];
  persisted: Snapshot<unknown>;
  context: any;
}

let visits: Visit[] = [];

async function walk(canMask: boolean) {
  const seen = new Map<string, Snapshot<unknown> | undefined>([['(new)', undefined]]);
  const queue: [string, Snapshot<unknown> | undefined][] = [['(new)', undefined]];
  while (queue.length) {
    const [name, snap] = queue.shift()!;
    for (const [eventName, event] of Object.entries(ALPHABET)) {
      const r = await step(snap, event, {}, canMask);
      const c = r.snapshot.context;
      const to = stateOf(r.snapshot);
      visits.push({ canMask, from: name, event: eventName, to, replies: r.replies, persisted: r.persisted, context: c });
      // a state is its value plus how far the collection got (coarsely: enough to reach every branch)
      const failing = Boolean(c.evidence.description?.includes('fail'));
      const key = `${to}|${c.field}|${c.done.length}|${c.evidence.passwords.length}|${c.reasks}|${Math.min(c.misses, 2)}|${c.category === null}|${failing}|${c.followTicket !== null}|${c.agentAsk !== null}`;
      // once a ticket is open, the evidence form is the same as before it: explore only what changes
      const redundant = c.followTicket !== null && to.startsWith('collect');
      if (!seen.has(key) && !redundant) {
        seen.set(key, r.persisted);
        queue.push([key, r.persisted]);
      }
    }
  }
  return seen.size;
}

beforeAll(async () => {
  const withCards = await walk(true);
  const withoutCards = await walk(false);
  console.log(`walked ${visits.length} transitions over ${withCards} + ${withoutCards} distinct states (channels with and without masked input)`);
}, 240_000);

test('the walk reaches every state the conversation can rest in', () => {
  const reached = new Set(visits.map((v) => v.to));
  const restable = atomicStates().filter((s) => !TRANSIENT.has(s));
  expect(restable.filter((s) => !reached.has(s))).toEqual([]);
  expect(visits.length).toBeGreaterThan(1000);
});

test('no event in any state crashes the machine', () => {
  expect(visits.filter((v) => v.to === '' || v.to === 'undefined')).toEqual([]);
});

test('the bot always answers a message: no event except the welcome-in-a-conversation leaves it silent', () => {
  const silent = visits.filter((v) => v.replies.length === 0 && v.event !== 'welcome' && v.event !== 'formChecked');
  expect(silent.map((v) => `${v.from} --${v.event}--> ${v.to}`)).toEqual([]);
});

test('every reply and button the machine can say has wording in the knowledge pack', () => {
  const used = new Set<string>();
  for (const v of visits) for (const r of v.replies) {
    used.add(r.key);
    for (const c of r.choices ?? []) used.add(c.label);
  }
  expect([...used].filter((k) => !wordingKeys.has(k))).toEqual([]);
  for (const k of used) expect(knowledge.wording[k] ?? knowledge.guides[k.replace(/^guide\./, '')]).toBeDefined();
});

test('cancel during evidence collection always returns to idle with the case thrown away', () => {
  const cancels = visits.filter((v) => v.event === 'cancel' && v.from.startsWith('collect'));
  expect(cancels.length).toBeGreaterThan(10);
  for (const v of cancels) {
    expect(v.to).toBe('idle');
    expect(v.context.evidence).toEqual({ passwords: [] });
    expect(v.context.done).toEqual([]);
  }
});

test('help is answered in every state, and never loses collected evidence', () => {
  for (const v of visits.filter((x) => x.event === 'help')) {
    expect(v.replies.length).toBeGreaterThan(0);
    if (v.from.startsWith('collect') && !v.from.startsWith('collect.opening')) expect(v.to.startsWith('collect')).toBe(true);
  }
});

test('"talk to a person" leads to evidence collection from every state, unless a ticket is open or an agent awaits an answer', () => {
  const human = visits.filter((x) => x.event === 'human');
  for (const v of human.filter((x) => !x.context.followTicket && !x.from.startsWith('awaitingAnswer'))) expect(v.to.startsWith('collect')).toBe(true);
  // with an open ticket, it is added to that ticket: the team already has the case
  expect(human.filter((x) => x.context.followTicket && x.from.startsWith('idle')).every((x) => x.replies[0]?.key === 'ticket.attached')).toBe(true);
});

test("an agent's question is answered, then the conversation resumes exactly where it was", () => {
  const answered = visits.filter((v) => v.from.startsWith('awaitingAnswer') && v.event === 'story');
  expect(answered.length).toBeGreaterThan(0);
  for (const v of answered) expect(v.replies[0]!.key).toBe('ticket.answer_received');
  const interrupted = visits.filter((v) => v.event === 'agentQuestion' && v.from.startsWith('collect.field'));
  expect(interrupted.length).toBeGreaterThan(0);
  for (const v of interrupted) expect(v.to).toBe('awaitingAnswer');
});

test('a password never reaches the persisted state, and the reply is the same whether it matched or not', () => {
  for (const v of visits) expect(JSON.stringify(v.persisted)).not.toContain(SAMPLE_PASSWORD);
  const afterPassword = visits.filter((v) => v.event === 'password' && v.from.startsWith('collect.passwords.asking'));
  expect(afterPassword.length).toBeGreaterThan(0);
  for (const v of afterPassword) expect(v.replies[0]!.key).toBe('password.received');
});

test('invalid answers are re-asked at most twice, then the field is skipped', () => {
  const reasks = visits.map((v) => v.context.reasks as number);
  expect(Math.max(...reasks)).toBe(2);
});
