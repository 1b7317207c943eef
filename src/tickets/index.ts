import { randomInt } from 'node:crypto';
import type { Category } from '../../dialogs/types';
import type { CheckOutcome } from '../directory';

export type TicketStatus = 'open' | 'in_progress' | 'awaiting_user' | 'resolved' | 'rejected';
export type Priority = 'urgent' | 'high' | 'normal' | 'low';
export const PRIORITY_ORDER: Priority[] = ['urgent', 'high', 'normal', 'low'];

export interface CheckedValue {
  value: string;
  check: CheckOutcome;
}

/** Normalised evidence with the directory's check outcomes. Never a password: only outcomes. */
export interface TicketEvidence {
  username: CheckedValue | null;
  email: CheckedValue | null;
  phone: CheckedValue | null;
  previousPasswords: { outcome: CheckOutcome }[];
}

export interface TranscriptLine {
  at: string;
  role: 'user' | 'bot';
  text: string;
}

/** Enough of a Bot Framework ConversationReference to answer the user in the same chat. */
export interface StoredConversationRef {
  channelId: string;
  serviceUrl: string;
  conversation: { id: string; tenantId?: string; isGroup?: boolean; conversationType?: string };
  user: { id: string; name?: string };
  bot: { id: string; name?: string };
  locale?: string;
}

export interface Ticket {
  ref: string;
  caseKey: string;
  category: Category;
  priority: Priority;
  status: TicketStatus;
  channelId: string;
  userId: string;
  conversationId: string;
  evidence: TicketEvidence;
  description: string | null;
  transcript: TranscriptLine[];
  conversationRef: StoredConversationRef;
  /** the agent who claimed it */
  assignee: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TicketEvent {
  at: string;
  actor: string;
  type: string;
  data: Record<string, unknown>;
}

export type NewTicket = Omit<Ticket, 'ref' | 'status' | 'assignee' | 'createdAt' | 'updatedAt'>;

export const FINAL_STATUSES: TicketStatus[] = ['resolved', 'rejected'];

/** What can happen to a ticket after it is opened. Each is an audited event. */
export type TicketAction =
  | { type: 'claimed' }
  | { type: 'note'; text: string }
  | { type: 'agent_message'; text: string }
  | { type: 'info_requested'; text: string }
  | { type: 'user_message'; text: string }
  | { type: 'user_answered'; text: string }
  | { type: 'resolved'; message: string }
  | { type: 'rejected'; message: string };

export class TicketNotFoundError extends Error {
  constructor(readonly ref: string) {
    super(`no ticket ${ref}`);
    this.name = 'TicketNotFoundError';
  }
}

export class TicketTransitionError extends Error {
  constructor(
    readonly ref: string,
    readonly status: TicketStatus,
    readonly action: string,
  ) {
    super(`ticket ${ref} is ${status}: cannot ${action.replace('_', ' ')}`);
    this.name = 'TicketTransitionError';
  }
}

/** The status a ticket moves to on an action, or an error when the action is impossible in its status. */
export function nextStatus(ref: string, status: TicketStatus, action: TicketAction['type']): TicketStatus {
  if (FINAL_STATUSES.includes(status) && action !== 'note') throw new TicketTransitionError(ref, status, action);
  switch (action) {
    case 'claimed':
      return status === 'open' ? 'in_progress' : status;
    case 'info_requested':
      return 'awaiting_user';
    case 'user_answered':
      return status === 'awaiting_user' ? 'in_progress' : status;
    case 'resolved':
    case 'rejected':
      return action;
    default:
      return status;
  }
}

export interface TicketFilter {
  status?: TicketStatus;
  category?: string;
  priority?: Priority;
}

/**
 * Where tickets live. `open` is idempotent per caseKey: the same case twice
 * gives the same ticket. `act` applies one action atomically with its
 * audited event (and its outbox entry for the helpdesk webhook).
 */
export interface TicketStore {
  open(ticket: NewTicket): Promise<{ ticket: Ticket; created: boolean }>;
  act(ref: string, actor: string, action: TicketAction): Promise<Ticket>;
  get(ref: string): Promise<Ticket | undefined>;
  list(filter?: TicketFilter): Promise<Ticket[]>;
  listForUser(channelId: string, userId: string): Promise<Ticket[]>;
  events(ref: string): Promise<TicketEvent[]>;
}

/** Unambiguous alphabet: no 0/O, 1/I/L, no U (avoids words). */
export const REF_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ';
export const REF_PATTERN = new RegExp(`^RC-[${REF_ALPHABET}]{6}$`);

export function newTicketRef(): string {
  let s = 'RC-';
  for (let i = 0; i < 6; i++) s += REF_ALPHABET[randomInt(REF_ALPHABET.length)];
  return s;
}

/** hacked > deleted/banned > the rest; a visibly distressed user goes up one step. */
export function priorityFor(category: Category, distressed: boolean): Priority {
  const base: Priority = category === 'account_hacked' ? 'high' : category === 'account_deleted' || category === 'account_banned' ? 'normal' : 'low';
  return distressed ? PRIORITY_ORDER[Math.max(0, PRIORITY_ORDER.indexOf(base) - 1)]! : base;
}
