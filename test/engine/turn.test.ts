import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Engine, type TurnInput } from '../../src/engine/turn';
import { Wording } from '../../src/engine/wording';
import { loadKnowledge } from '../../src/knowledge';
import { trainNlu } from '../../src/nlu';
import { openSqlite, type Db } from '../../src/storage/db';
import { SqlStorage, type ConversationStore, type TurnWrite } from '../../src/storage/state';
import { TranscriptLog } from '../../src/storage/transcript';
import { SqlDirectory } from '../../src/directory/sql';
import { SqlTicketStore } from '../../src/tickets/sql';
import { SecureLinks } from '../../src/evidence/secure-link';
import { Limits } from '../../src/limits';

/** The turn engine with the real NLU, machine and SQLite stores; storage wrapped only to inject timing and faults. */
const knowledge = loadKnowledge(path.resolve(__dirname, '../../knowledge'));
const nlu = trainNlu(knowledge.nlu, { defaultRegion: 'US' });
const wording = new Wording(knowledge, { platform: 'TikTok', eta: 'within a few days' });

class Gate implements ConversationStore {
  beforeWrite: (() => Promise<void>) | null = null;
  failNextWrite = false;
  constructor(private readonly inner: ConversationStore) {}
  read(keys: string[]) {
    return this.inner.read(keys);
  }
  peekETag(key: string) {
    return this.inner.peekETag?.(key);
  }
  async saveTurn(write: TurnWrite) {
    const hook = this.beforeWrite;
    this.beforeWrite = null;
    if (hook) await hook();
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw new Error('disk full');
    }
    return this.inner.saveTurn(write);
  }
}

/** The real stores, whose lookups for a ticket fail while `failing` is set (their database gone, say). */
class FlakyDirectory extends SqlDirectory {
  failing = false;
  override async checkEvidence(e: Parameters<SqlDirectory['checkEvidence']>[0]) {
    if (this.failing) throw new Error('directory unreachable');
    return super.checkEvidence(e);
  }
}
class FlakyTickets extends SqlTicketStore {
  failing = false;
  override async listForUser(channelId: string, userId: string) {
    if (this.failing) throw new Error('tickets unreachable');
    return super.listForUser(channelId, userId);
  }
}

let db: Db;
let storage: Gate;
let directory: FlakyDirectory;
let tickets: FlakyTickets;
let deps: ConstructorParameters<typeof Engine>[0];
let engine: Engine;
/** a second engine on the same database: another process behind the load balancer */
let other: Engine;
let transcript: TranscriptLog;
const logs: string[] = [];

beforeEach(async () => {
  logs.length = 0;
  ({ db } = await openSqlite(fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-engine-'))));
  storage = new Gate(new SqlStorage(db));
  transcript = new TranscriptLog(db);
  const logger = pino({ level: 'debug' }, { write: (l: string) => logs.push(l) } as never);
  const secureLinks = new SecureLinks(db, 'http://127.0.0.1:9');
  directory = new FlakyDirectory(db);
  tickets = new FlakyTickets(db);
  deps = { nlu, wording, storage, tickets, directory, transcript, secureLinks, logger, defaultRegion: 'US' };
  engine = new Engine(deps);
  other = new Engine(deps);
});
afterEach(async () => db.destroy());

let n = 0;
const turn = (conversationId: string, text: string): TurnInput => ({
  kind: 'message',
  channelId: 'test',
  conversationId,
  userId: 'u1',
  activityId: `a${++n}`,
  text,
  canMask: true,
  conversationRef: { channelId: 'test', serviceUrl: '', conversation: { id: conversationId }, user: { id: 'u1' }, bot: { id: 'b' } },
});

/** A hacked-account case asked for its email: the email, no phone, no password, what happened; the summary it gets. */
async function summaryAfterEmail(e: Engine, id: string): Promise<string> {
  await e.handle(turn(id, 'sam@example.com'));
  await e.handle(turn(id, 'skip'));
  await e.handle({ ...turn(id, ''), text: undefined, value: { action: 'skip' } });
  return (await e.handle(turn(id, 'they took it over last night'))).messages[0]!.text;
}

test('two turns racing on one conversation in two processes: the loser retries on the new state, no update is lost', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  storage.beforeWrite = () => held; // the first turn to write waits...
  const first = engine.handle(turn('race', 'what is the weather like in paris'));
  await new Promise((r) => setTimeout(r, 20));
  const second = await other.handle(turn('race', 'tell me a joke about cats')); // ...while the other process's turn commits
  release();
  const firstOut = await first;
  const keys = [...firstOut.messages, ...second.messages].map((m) => m.key).sort();
  // one saw the first miss, the other the second miss: the second miss offers a person
  expect(keys).toEqual(['fallback', 'fallback.offer_human']);
  expect(logs.join('')).toMatch(/retrying/);
  expect((await transcript.recent(Engine.stateKey('test', 'race'))).filter((l) => l.role === 'user')).toHaveLength(2);
});

test('when saving fails, the user is told plainly and the evidence collected so far is kept', async () => {
  await engine.handle(turn('fault', 'someone hacked my account'));
  await engine.handle(turn('fault', '@sam.dances'));
  storage.failNextWrite = true;
  const failed = await engine.handle(turn('fault', 'sam@example.com'));
  expect(failed.messages.map((m) => m.key)).toEqual(['error.turn']);
  expect(logs.join('')).toMatch(/turn failed/);
  // the user sends it again, as told: the conversation is where it was, username kept
  const summary = await summaryAfterEmail(engine, 'fault');
  expect(summary).toContain('@sam.dances');
  expect(summary).toContain('sam@example.com');
});

describe('the machine kept running between turns', () => {
  const key = (id: string) => Engine.stateKey('test', id);
  const password = (id: string, secret: string): TurnInput => ({ ...turn(id, ''), text: undefined, value: { password: secret } });
  const script = (id: string): TurnInput[] => [
    turn(id, 'someone hacked my account'),
    turn(id, '@sam.dances'),
    turn(id, 'actually my username is @sam.dancing'),
    turn(id, 'sam@example.com'),
    turn(id, 'skip'),
    password(id, 'hunter2-old'),
    { ...turn(id, ''), text: undefined, value: { action: 'skip' } },
    turn(id, 'they took it over last night'),
    turn(id, 'yes'),
    turn(id, 'what is the status of my ticket'),
  ];

  test('says and stores exactly what a machine revived from the stored snapshot every turn does', async () => {
    const revived = new Engine({ ...deps, liveConversations: 0 });
    const ref = (text: string) => text.replace(/RC-[A-Z0-9]{6}/g, 'RC-…');
    // what each turn said, and the state stored after it
    const run = async (e: Engine, id: string) => {
      const out: string[] = [];
      // each its own user: the last step lists the user's tickets
      for (const t of script(id)) {
        out.push(...(await e.handle({ ...t, userId: id })).messages.map((m) => ref(m.text)));
        out.push(ref(JSON.stringify(((await storage.read([key(id)]))[key(id)] as { snapshot: unknown }).snapshot).replaceAll(key(id), 'KEY')));
      }
      return out;
    };
    const [kept, fresh] = [await run(engine, 'live'), await run(revived, 'revived')];
    expect(kept).toEqual(fresh);
    expect(kept.join('\n')).toMatch(/ticket is open: RC-…/);
    expect(kept.join('\n')).toContain('"username":"sam.dancing"');
    expect(engine.isLive('test', 'live')).toBe(true);
    expect(revived.isLive('test', 'revived')).toBe(false);
  });

  test("is not used once another process has saved a turn of the conversation: this one goes on from the stored state, nothing lost", async () => {
    await engine.handle(turn('handover', 'someone hacked my account'));
    expect(engine.isLive('test', 'handover')).toBe(true);
    await other.handle(turn('handover', '@sam.dances')); // the load balancer sent this one elsewhere
    const summary = await summaryAfterEmail(engine, 'handover');
    // the username the other process took is in the summary: the machine kept here (still asking for it) was not used
    expect(summary).toContain('@sam.dances');
    expect(summary).toContain('sam@example.com');
    expect(logs.join('')).not.toMatch(/retrying/);
  });

  test('is not kept after a turn that carried a password, nor after a turn that failed', async () => {
    for (const t of script('pw-live').slice(0, 5)) await engine.handle(t);
    expect(engine.isLive('test', 'pw-live')).toBe(true);
    await engine.handle(password('pw-live', 'hunter2-old'));
    expect(engine.isLive('test', 'pw-live')).toBe(false);
    await engine.handle({ ...turn('pw-live', ''), text: undefined, value: { action: 'skip' } });
    expect(engine.isLive('test', 'pw-live')).toBe(true);
    storage.failNextWrite = true;
    expect((await engine.handle(turn('pw-live', 'they took it over last night'))).failed).toBe(true);
    expect(engine.isLive('test', 'pw-live')).toBe(false);
    // and the conversation goes on from what was stored
    const summary = await engine.handle(turn('pw-live', 'they took it over last night'));
    expect(summary.messages[0]!.text).toContain('@sam.dancing');
  });

  test('is kept for a bounded number of conversations, the least recently used dropped first', async () => {
    const small = new Engine({ ...deps, liveConversations: 2 });
    for (const id of ['lru-a', 'lru-b', 'lru-c']) await small.handle(turn(id, 'someone hacked my account'));
    expect(['lru-a', 'lru-b', 'lru-c'].map((id) => small.isLive('test', id))).toEqual([false, true, true]);
    const keys = async (id: string) => (await small.handle(turn(id, '@sam.dances'))).messages.map((m) => m.key);
    const kept = await keys('lru-b');
    // lru-a is revived from the stored state, and the least recently used, lru-c, is dropped
    expect(await keys('lru-a')).toEqual(kept);
    expect(['lru-a', 'lru-b', 'lru-c'].map((id) => small.isLive('test', id))).toEqual([true, true, false]);
    expect(await keys('lru-c')).toEqual(kept);
  });
});

test.each([
  ['the evidence check', 'directory unreachable', () => (directory.failing = true)],
  ["the user's tickets, for the daily limit", 'tickets unreachable', () => (tickets.failing = true)],
])("when a lookup for the ticket fails (%s), the user is told, the operator's log names the cause, and trying again opens it with the evidence kept", async (_what, cause, fail) => {
  // with the abuse limits on, so the user's tickets are looked up too
  const limited = new Engine({ ...deps, limits: new Limits(db, { ticketsPerUserPerDay: 5, passwordChecksPerConversation: 5, messagesPerMinute: 30 }) });
  for (const text of ['someone hacked my account', '@sam.dances', 'sam@example.com', 'skip']) await limited.handle(turn('lookup', text));
  await limited.handle({ ...turn('lookup', ''), text: undefined, value: { action: 'skip' } });
  await limited.handle(turn('lookup', 'they took it over last night'));
  fail();
  const failed = await limited.handle(turn('lookup', 'yes'));
  expect(failed.messages.map((m) => m.key)).toContain('ticket.failed');
  expect(failed.handoff).toBeUndefined();
  const logged = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'could not open the ticket');
  expect(logged).toMatchObject({ conversation: 'lookup', err: { message: cause } });
  directory.failing = tickets.failing = false;
  const opened = await limited.handle(turn('lookup', 'yes'));
  expect(opened.handoff?.ref).toMatch(/^RC-/);
  const ticket = await tickets.get(opened.handoff!.ref);
  expect(ticket?.evidence.username).toMatchObject({ value: 'sam.dances' });
  expect(ticket?.evidence.email).toMatchObject({ value: 'sam@example.com' });
  expect(ticket?.description).toContain('took it over');
});

test('a retried delivery of the last activity is not handled again, but gets the same answer (the first may have been lost)', async () => {
  const t = turn('dup', 'hi');
  const first = await engine.handle(t);
  expect(first.messages.length).toBeGreaterThan(0);
  expect(await engine.handle(t)).toEqual({ messages: first.messages, duplicate: true });
  await engine.handle(turn('dup', 'i forgot my password'));
  // an older activity: nothing to repeat, nothing done
  expect(await engine.handle(t)).toEqual({ messages: [], duplicate: true });
});

test('a password typed in chat is kept out of the transcript and the state', async () => {
  await engine.handle(turn('pw', 'i forgot my password, my old one was Tr0ub4dor&3'));
  await engine.handle(turn('pw', 'my password is correct-horse-battery'));
  const lines = JSON.stringify(await transcript.recent(Engine.stateKey('test', 'pw')));
  const state = JSON.stringify(await storage.read([Engine.stateKey('test', 'pw')]));
  for (const secret of ['Tr0ub4dor&3', 'correct-horse-battery']) {
    expect(lines).not.toContain(secret);
    expect(state).not.toContain(secret);
  }
  expect(lines).toContain('[removed]');
});

test('in one process, a burst of messages on one conversation is handled in order, one at a time: no retries, nothing lost', async () => {
  const texts = ['someone hacked my account', '@sam.dances', 'sam@example.com', 'skip', 'skip', 'they changed my email last night'];
  const outs = await Promise.all(texts.map((t) => engine.handle(turn('burst', t))));
  expect(outs.some((o) => o.failed)).toBe(false);
  expect(logs.join('')).not.toMatch(/retrying/);
  const said = (await transcript.recent(Engine.stateKey('test', 'burst'))).filter((l) => l.role === 'user').map((l) => l.text);
  expect(said).toEqual(texts);
  expect(outs.at(-1)!.messages.at(-1)!.text).toContain('@sam.dances');
});

test('messages per minute are counted in the conversation state, exactly, even when two processes race', async () => {
  let now = Date.parse('2026-11-25T10:00:05Z');
  const limits = new Limits(db, { ticketsPerUserPerDay: 0, passwordChecksPerConversation: 0, messagesPerMinute: 6 }, () => now);
  const limited = new Engine({ nlu, wording, storage, tickets: new SqlTicketStore(db), directory: new SqlDirectory(db), transcript, secureLinks: new SecureLinks(db, 'http://127.0.0.1:9'), logger: pino({ level: 'silent' }), defaultRegion: 'US', limits });
  const limitedOther = new Engine({ nlu, wording, storage, tickets: new SqlTicketStore(db), directory: new SqlDirectory(db), transcript, secureLinks: new SecureLinks(db, 'http://127.0.0.1:9'), logger: pino({ level: 'silent' }), defaultRegion: 'US', limits });
  // ten messages at once on one conversation, through two processes: six are handled, four get the polite refusal
  const outs = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? limited : limitedOther).handle(turn('rate', `hello ${i}`))));
  expect(outs.filter((o) => o.limited)).toHaveLength(4);
  expect(outs.filter((o) => o.limited).every((o) => o.messages[0]!.key === 'limit.messages')).toBe(true);
  expect(outs.some((o) => o.failed)).toBe(false);
  // refused messages are not in the transcript (nothing was changed), the handled ones are
  expect((await transcript.recent(Engine.stateKey('test', 'rate'))).filter((l) => l.role === 'user')).toHaveLength(6);
  // the next minute, the conversation goes on; another conversation was never affected
  expect((await limited.handle(turn('rate-other', 'hello'))).limited).toBeUndefined();
  now += 60_000;
  expect((await limited.handle(turn('rate', 'i forgot my password'))).limited).toBeUndefined();
});

test('two processes taking turns on one conversation: each sees what the other saved (no stale copy is used)', async () => {
  // each engine with its own storage object, as two processes on one database would be
  const mk = () => new Engine({ nlu, wording, storage: new SqlStorage(db), tickets: new SqlTicketStore(db), directory: new SqlDirectory(db), transcript, secureLinks: new SecureLinks(db, 'http://127.0.0.1:9'), logger: pino({ level: 'silent' }), defaultRegion: 'US' });
  const [a, b] = [mk(), mk()];
  const texts = ['someone hacked my account', '@sam.dances', 'sam@example.com', 'skip', 'skip', 'they changed my email last night'];
  const outs = [];
  for (const [i, t] of texts.entries()) outs.push(await (i % 2 ? b : a).handle(turn('alternate', t)));
  expect(outs.some((o) => o.failed)).toBe(false);
  const summary = outs.at(-1)!.messages.map((m) => m.text).join('\n');
  expect(summary).toContain('@sam.dances');
  expect(summary).toContain('sam@example.com');
  const said = (await transcript.recent(Engine.stateKey('test', 'alternate'))).filter((l) => l.role === 'user').map((l) => l.text);
  expect(said).toEqual(texts);
});

test('the daily ticket limit holds when one user confirms cases in several conversations at the same moment (one process)', async () => {
  const limited = new Engine({ ...deps, limits: new Limits(db, { ticketsPerUserPerDay: 1, passwordChecksPerConversation: 5, messagesPerMinute: 30 }) });
  const convs = ['burst-a', 'burst-b', 'burst-c'];
  for (const c of convs) {
    for (const text of ['someone hacked my account', '@sam.dances', 'sam@example.com', 'skip']) await limited.handle(turn(c, text));
    await limited.handle({ ...turn(c, ''), text: undefined, value: { action: 'skip' } });
    await limited.handle(turn(c, 'they took it over last night'));
  }
  const outs = await Promise.all(convs.map((c) => limited.handle(turn(c, 'yes'))));
  expect(outs.filter((o) => o.handoff).length).toBe(1);
  expect(outs.filter((o) => o.messages.some((m) => m.key === 'limit.tickets')).length).toBe(2);
  expect(await tickets.listForUser('test', 'u1')).toHaveLength(1);
  // a refusal is not a fault
  expect(logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'could not open the ticket')).toEqual([]);
});
