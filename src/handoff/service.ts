import type { Engine, ExternalEvent } from '../engine/turn';
import { canMaskInput } from '../channels/capabilities';
import type { Logger } from '../logger';
import type { Ticket, TicketAction, TicketStore } from '../tickets';
import type { Notifier } from './notifier';

/** What an agent can do to a ticket through the API or the console: every action but the user's own. */
export type AgentAction = Exclude<TicketAction, { type: 'user_message' | 'user_answered' }>;

export interface ActionResult {
  ticket: Ticket;
  /** the user's conversation got the message (null when nothing was to be sent) */
  delivered: boolean | null;
}

/**
 * The human side of a case: an agent's action is recorded on the ticket
 * (audited, and queued for the helpdesk webhook), then, when the user must
 * hear of it, stepped through the user's conversation and delivered there.
 */
export class Handoff {
  constructor(
    private readonly tickets: TicketStore,
    private readonly engine: Engine,
    private readonly notifier: Notifier,
    private readonly logger: Logger,
  ) {}

  async act(ref: string, agent: string, action: AgentAction): Promise<ActionResult> {
    const ticket = await this.tickets.act(ref, agent, action);
    const event = toUserEvent(ticket.ref, action);
    if (!event) return { ticket, delivered: null };
    try {
      const target = {
        channelId: ticket.channelId,
        conversationId: ticket.conversationId,
        userId: ticket.userId,
        canMask: canMaskInput(ticket.channelId),
        conversationRef: ticket.conversationRef,
      };
      const words = 'text' in action ? action.text : 'message' in action ? action.message : '';
      const out = await this.engine.notify(target, event, `[support team, ${agent}] ${words}`);
      await this.notifier.deliver(ticket.conversationRef, out.messages);
      return { ticket, delivered: !out.failed };
    } catch (err) {
      // recorded on the ticket either way; the agent sees it was not delivered
      this.logger.error({ err, ticket: ticket.ref, action: action.type }, 'could not deliver the agent action to the user');
      return { ticket, delivered: false };
    }
  }
}

function toUserEvent(ref: string, action: AgentAction): ExternalEvent | null {
  switch (action.type) {
    case 'agent_message':
      return { type: 'AGENT_MESSAGE', ref, text: action.text };
    case 'info_requested':
      return { type: 'AGENT_REQUEST_INFO', ref, text: action.text };
    case 'resolved':
    case 'rejected':
      return { type: 'TICKET_CLOSED', ref, status: action.type, message: action.message };
    default:
      return null;
  }
}
