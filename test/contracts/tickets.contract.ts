import type { Db } from '../../src/storage/db';
import { REF_PATTERN, type NewTicket, type TicketStore } from '../../src/tickets';
import { SqlTicketStore } from '../../src/tickets/sql';

export function newTicket(over: Partial<NewTicket> = {}): NewTicket {
  return {
    caseKey: `case-${Math.random().toString(36).slice(2)}`,
    category: 'account_hacked',
    priority: 'high',
    channelId: 'test',
    userId: 'user-1',
    conversationId: 'conv-1',
    evidence: {
      username: { value: 'sam.dances', check: 'matched' },
      email: { value: 'sam@example.com', check: 'matched' },
      phone: null,
      previousPasswords: [{ outcome: 'not_matched' }],
    },
    description: 'They changed my email',
    transcript: [{ at: '2026-11-25T10:00:00.000Z', role: 'user', text: 'i got hacked' }],
    conversationRef: {
      channelId: 'test',
      serviceUrl: 'http://127.0.0.1:9',
      conversation: { id: 'conv-1' },
      user: { id: 'user-1' },
      bot: { id: 'bot' },
    },
    ...over,
  };
}

/** The ticket store contract. Run against every implementation. */
export function ticketStoreContract(name: string, make: () => Promise<{ store: TicketStore; close(): Promise<void> }>) {
  describe(`TicketStore contract: ${name}`, () => {
    let store: TicketStore;
    let close: () => Promise<void>;
    beforeEach(async () => {
      ({ store, close } = await make());
    });
    afterEach(async () => close());

    test('opens a ticket with a readable reference, status open, and everything it was given', async () => {
      const input = newTicket();
      const { ticket, created } = await store.open(input);
      expect(created).toBe(true);
      expect(ticket.ref).toMatch(REF_PATTERN);
      expect(ticket.status).toBe('open');
      expect(ticket).toMatchObject(input);
      expect(await store.get(ticket.ref)).toEqual(ticket);
      expect(await store.get(ticket.ref.toLowerCase())).toEqual(ticket);
      expect((await store.events(ticket.ref)).map((e) => e.type)).toEqual(['opened']);
    });

    test('opening the same case twice gives the same ticket, even concurrently', async () => {
      const input = newTicket();
      const results = await Promise.all([store.open(input), store.open(input), store.open(input)]);
      expect(new Set(results.map((r) => r.ticket.ref)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await store.list()).toHaveLength(1);
    });

    test('lists by priority then age, and filters', async () => {
      await store.open(newTicket({ category: 'login_error', priority: 'low' }));
      await store.open(newTicket({ category: 'account_hacked', priority: 'high' }));
      await store.open(newTicket({ category: 'account_banned', priority: 'normal' }));
      expect((await store.list()).map((t) => t.priority)).toEqual(['high', 'normal', 'low']);
      expect((await store.list({ category: 'account_banned' })).map((t) => t.category)).toEqual(['account_banned']);
      expect(await store.list({ status: 'resolved' })).toEqual([]);
    });

    test("a user's tickets are theirs only: matched on channel and user id", async () => {
      const mine = (await store.open(newTicket({ userId: 'me' }))).ticket;
      await store.open(newTicket({ userId: 'someone-else' }));
      await store.open(newTicket({ userId: 'me', channelId: 'other-channel' }));
      expect((await store.listForUser('test', 'me')).map((t) => t.ref)).toEqual([mine.ref]);
    });

    test('an unknown reference is simply not found', async () => {
      expect(await store.get('RC-ZZZZZZ')).toBeUndefined();
    });
  });
}

/** The SQL ticket store with the helpdesk outbox on: what opening a ticket writes, on every engine. */
export function sqlTicketOutboxContract(name: string, make: () => Promise<{ db: Db; close(): Promise<void> }>) {
  describe(`SqlTicketStore with the outbox: ${name}`, () => {
    let db: Db;
    let close: () => Promise<void>;
    beforeEach(async () => ({ db, close } = await make()));
    afterEach(async () => close());

    test('a new ticket writes the ticket, its opened event and one outbox entry; the same case again (even concurrently) writes nothing', async () => {
      const store = new SqlTicketStore(db, { outbox: true });
      const input = newTicket();
      const results = await Promise.all([store.open(input), store.open(input), store.open(input)]);
      const { ref } = results[0]!.ticket;
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(await store.open(input)).toMatchObject({ created: false, ticket: { ref } });
      expect(await store.get(ref)).toMatchObject(input);
      const events = await db.selectFrom('ticket_events').selectAll().execute();
      expect(events.map((e) => [e.ref, e.type, e.actor])).toEqual([[ref, 'opened', 'bot']]);
      expect(JSON.parse(events[0]!.data)).toEqual({ evidence: input.evidence, description: input.description });
      const outbox = await db.selectFrom('outbox').selectAll().execute();
      expect(outbox).toHaveLength(1);
      expect(outbox[0]).toMatchObject({ ref, type: 'opened', attempts: 0, delivered_at: null, locked_until: null });
      const payload = JSON.parse(outbox[0]!.payload);
      expect(payload).toMatchObject({ id: outbox[0]!.idempotency_key, type: 'opened', actor: 'bot', ticket: { ref, status: 'open', category: input.category, priority: input.priority } });
      expect(payload.at).toBe(events[0]!.at);
    });

    test('without the outbox, opening writes no outbox entry', async () => {
      await new SqlTicketStore(db).open(newTicket());
      expect(await db.selectFrom('outbox').selectAll().execute()).toEqual([]);
      expect(await db.selectFrom('ticket_events').select('type').execute()).toEqual([{ type: 'opened' }]);
    });
  });
}
