import type { Selectable } from 'kysely';
import type { Db, TicketTable, TransactionSteps as Steps } from '../storage/db';
import type pg from 'pg';
import { nowIso, postgresPool, run, transactionally } from '../storage/db';
import { randomUUID } from 'node:crypto';
import {
  PRIORITY_ORDER,
  TicketNotFoundError,
  newTicketRef,
  nextStatus,
  type TicketAction,
  type NewTicket,
  type Ticket,
  type TicketEvent,
  type TicketFilter,
  type TicketStore,
} from './index';

const fromRow = (r: Selectable<TicketTable>): Ticket => ({
  ref: r.ref,
  caseKey: r.case_key,
  category: r.category as Ticket['category'],
  priority: r.priority as Ticket['priority'],
  status: r.status as Ticket['status'],
  channelId: r.channel_id,
  userId: r.user_id,
  conversationId: r.conversation_id,
  evidence: JSON.parse(r.evidence),
  description: r.description,
  transcript: JSON.parse(r.transcript),
  conversationRef: JSON.parse(r.conversation_ref),
  assignee: r.assignee ?? null,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

type TicketHead = { ref: string; status: string; category: string; priority: string };

/** The row of a new ticket. */
const ticketRow = (t: NewTicket, ref: string, now: string) => ({
  ref,
  case_key: t.caseKey,
  category: t.category,
  priority: t.priority,
  status: 'open',
  channel_id: t.channelId,
  user_id: t.userId,
  conversation_id: t.conversationId,
  username: t.evidence.username?.value ?? null,
  email: t.evidence.email?.value ?? null,
  phone: t.evidence.phone?.value ?? null,
  evidence: JSON.stringify(t.evidence),
  description: t.description,
  transcript: JSON.stringify(t.transcript),
  conversation_ref: JSON.stringify(t.conversationRef),
  created_at: now,
  updated_at: now,
});

const openedData = (t: NewTicket) => ({ evidence: t.evidence, description: t.description });

const isUniqueViolation = (e: unknown) => /UNIQUE|unique constraint|duplicate key/i.test(String((e as Error)?.message));

export interface TicketStoreOptions {
  /** write every event to the outbox too, for the helpdesk webhook */
  outbox?: boolean;
}

export class SqlTicketStore implements TicketStore {
  constructor(
    private readonly db: Db,
    private readonly options: TicketStoreOptions = {},
  ) {}

  /** Records an event, and queues it for the helpdesk when the outbox is on. Never given a secret. */
  private *record(tx: Db, ticket: TicketHead, at: string, actor: string, type: string, data: Record<string, unknown>): Steps {
    for (const [table, row] of this.eventRows(ticket, at, actor, type, data)) yield tx.insertInto(table).values(row as never).compile();
  }

  /** The rows an event writes: the event, and its outbox entry when the outbox is on. */
  private eventRows(ticket: TicketHead, at: string, actor: string, type: string, data: Record<string, unknown>): [table: 'ticket_events' | 'outbox', row: Record<string, unknown>][] {
    const rows: [table: 'ticket_events' | 'outbox', row: Record<string, unknown>][] = [['ticket_events', { ref: ticket.ref, at, actor, type, data: JSON.stringify(data) }]];
    if (this.options.outbox) {
      const key = randomUUID();
      const payload = { id: key, type, at, actor, ticket: { ref: ticket.ref, status: ticket.status, category: ticket.category, priority: ticket.priority }, data };
      rows.push(['outbox', { idempotency_key: key, ref: ticket.ref, type, payload: JSON.stringify(payload), next_attempt_at: at, created_at: at, locked_until: null, delivered_at: null, last_error: null }]);
    }
    return rows;
  }

  async open(t: NewTicket): Promise<{ ticket: Ticket; created: boolean }> {
    const pool = postgresPool(this.db);
    for (let attempt = 0; attempt < 5; attempt++) {
      const now = nowIso();
      const ref = newTicketRef();
      let existing: Selectable<TicketTable> | undefined;
      if (pool) {
        const { inserted, existingRef } = await this.openedOnPostgres(pool, t, ref, now);
        if (!inserted) {
          // the case's ticket, or (committed by another process after this statement began, or a reference collision) look again
          existing = existingRef ? await this.db.selectFrom('tickets').selectAll().where('ref', '=', existingRef).executeTakeFirst() : undefined;
          if (!existing) continue;
        }
      } else {
        try {
          existing = await transactionally(this.db, (tx) => this.inserted(tx, t, ref, now));
        } catch (e) {
          // same case opened concurrently (case_key) or a reference collision: look again
          if (isUniqueViolation(e)) continue;
          throw e;
        }
      }
      if (existing) return { ticket: fromRow(existing), created: false };
      // what was just written: no need to read the row back
      return { ticket: { ...t, ref, status: 'open', assignee: null, createdAt: now, updatedAt: now }, created: true };
    }
    throw new Error('could not allocate a ticket reference');
  }

  async act(ref: string, actor: string, action: TicketAction): Promise<Ticket> {
    const key = ref.toUpperCase();
    await transactionally(this.db, (tx) => this.acted(tx, ref, actor, action));
    return (await this.get(key))!;
  }

  /** The new ticket and its first event; or, when this case has one already, that one (and nothing written). */
  private *inserted(tx: Db, t: NewTicket, ref: string, now: string): Steps<Selectable<TicketTable> | undefined> {
    const [existing] = (yield tx.selectFrom('tickets').selectAll().where('case_key', '=', t.caseKey).compile()).rows as Selectable<TicketTable>[];
    if (existing) return existing;
    yield tx.insertInto('tickets').values(ticketRow(t, ref, now)).compile();
    yield* this.record(tx, { ref, status: 'open', category: t.category, priority: t.priority }, now, 'bot', 'opened', openedData(t));
    return undefined;
  }

  /**
   * PostgreSQL: what `inserted` writes, in one statement (atomic on its own, one round trip instead of
   * five): the ticket unless the case has one (or the reference is taken), and its event rows only if
   * the ticket was written. `existingRef`: the case's ticket, as this statement's snapshot sees it.
   */
  private async openedOnPostgres(pool: pg.Pool, t: NewTicket, ref: string, now: string): Promise<{ inserted: boolean; existingRef?: string }> {
    const values: unknown[] = [];
    const params = (row: Record<string, unknown>) => Object.values(row).map((v) => `$${values.push(v)}`).join(', ');
    const columns = (row: Record<string, unknown>) => Object.keys(row).join(', ');
    const ticket = ticketRow(t, ref, now);
    const events = this.eventRows({ ref, status: 'open', category: t.category, priority: t.priority }, now, 'bot', 'opened', openedData(t));
    // the same text for every ticket (column names from the code, values as parameters): parsed once per connection
    const text = [
      `with t as (insert into tickets (${columns(ticket)}) values (${params(ticket)}) on conflict do nothing returning ref)`,
      ...events.map(([table, row], i) => `, e${i} as (insert into ${table} (${columns(row)}) select ${params(row)} from t)`),
      ` select (select ref from t) as inserted, (select ref from tickets where case_key = $${values.push(t.caseKey)}) as existing`,
    ].join('');
    const res = await pool.query<{ inserted: string | null; existing: string | null }>({ name: `reclaim_ticket_open_${events.length}`, text, values });
    const row = res.rows[0]!;
    return { inserted: row.inserted !== null, ...(row.existing ? { existingRef: row.existing } : {}) };
  }

  /** The action checked against the ticket's status, applied and recorded. */
  private *acted(tx: Db, ref: string, actor: string, action: TicketAction): Steps {
    const key = ref.toUpperCase();
    const [row] = (yield tx.selectFrom('tickets').select(['ref', 'status', 'category', 'priority', 'assignee']).where('ref', '=', key).compile())
      .rows as Pick<Selectable<TicketTable>, 'ref' | 'status' | 'category' | 'priority' | 'assignee'>[];
    if (!row) throw new TicketNotFoundError(ref);
    const status = nextStatus(key, row.status as Ticket['status'], action.type);
    const now = nowIso();
    const assignee = action.type === 'claimed' ? actor : row.assignee;
    // the status is checked again in the update: a concurrent action in between makes this one fail, not overwrite
    const res = yield tx
      .updateTable('tickets')
      .set({ status, assignee, updated_at: now })
      .where('ref', '=', key)
      .where('status', '=', row.status)
      .compile();
    if (Number(res.numAffectedRows) !== 1) throw new Error(`ticket ${key} changed during ${action.type}; try again`);
    const { type, ...data } = action;
    yield* this.record(tx, { ...row, status }, now, actor, type, { ...data, status, ...(type === 'claimed' ? { assignee } : {}) });
  }

  async get(ref: string): Promise<Ticket | undefined> {
    const row = await this.db.selectFrom('tickets').selectAll().where('ref', '=', ref.toUpperCase()).executeTakeFirst();
    return row && fromRow(row);
  }

  async list(filter: TicketFilter = {}): Promise<Ticket[]> {
    let q = this.db.selectFrom('tickets').selectAll();
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.category) q = q.where('category', '=', filter.category);
    if (filter.priority) q = q.where('priority', '=', filter.priority);
    const rows = await q.orderBy('created_at', 'asc').execute();
    return rows.map(fromRow).sort((a, b) => PRIORITY_ORDER.indexOf(a.priority) - PRIORITY_ORDER.indexOf(b.priority));
  }

  async listForUser(channelId: string, userId: string): Promise<Ticket[]> {
    const rows = await run(
      this.db,
      this.db.selectFrom('tickets').selectAll().where('channel_id', '=', channelId).where('user_id', '=', userId).orderBy('updated_at', 'desc'),
    );
    return rows.map(fromRow);
  }

  async events(ref: string): Promise<TicketEvent[]> {
    const rows = await this.db.selectFrom('ticket_events').selectAll().where('ref', '=', ref).orderBy('id').execute();
    return rows.map((r) => ({ at: r.at, actor: r.actor, type: r.type, data: JSON.parse(r.data) }));
  }
}
