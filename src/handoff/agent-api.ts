import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import { z } from 'zod';
import type { Logger } from '../logger';
import { FINAL_STATUSES, PRIORITY_ORDER, TicketNotFoundError, TicketTransitionError, type Ticket, type TicketStatus, type TicketStore } from '../tickets';
import type { AgentAction, Handoff } from './service';
import { ROOT } from '../paths';

export interface AgentApiDeps {
  tickets: TicketStore;
  handoff: Handoff;
  /** token → agent name; empty: the agent API is off */
  agents: Map<string, string>;
  logger: Logger;
}

const sha = (s: string) => createHash('sha256').update(s).digest();
const STATUSES: TicketStatus[] = ['open', 'in_progress', 'awaiting_user', ...FINAL_STATUSES];
const text = z.string().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters');
const bodies = {
  claim: z.object({}).passthrough(),
  notes: z.object({ text }),
  messages: z.object({ text }),
  'request-info': z.object({ text }),
  resolve: z.object({ message: text }),
  reject: z.object({ message: text }),
} as const;
type Verb = keyof typeof bodies;

function toAction(verb: Verb, body: Record<string, string>): AgentAction {
  switch (verb) {
    case 'claim':
      return { type: 'claimed' };
    case 'notes':
      return { type: 'note', text: body.text! };
    case 'messages':
      return { type: 'agent_message', text: body.text! };
    case 'request-info':
      return { type: 'info_requested', text: body.text! };
    case 'resolve':
      return { type: 'resolved', message: body.message! };
    case 'reject':
      return { type: 'rejected', message: body.message! };
  }
}

/** A ticket as agents see it: it never held a password; the raw conversation reference stays inside. */
export function agentView(t: Ticket) {
  const { conversationRef, ...rest } = t;
  return { ...rest, channel: { id: conversationRef.channelId, conversationId: conversationRef.conversation.id, user: conversationRef.user } };
}

/** The agent API (JSON, bearer token per agent) and the agent console page at /agent. */
export function mountAgentApi(server: Server, deps: AgentApiDeps): void {
  const { tickets, handoff, agents, logger } = deps;
  const tokens = [...agents.entries()].map(([token, name]) => ({ digest: sha(token), name }));

  /** The agent behind the bearer token, or an answer saying why not. */
  const agentOf = (req: Request, res: Response): string | null => {
    if (tokens.length === 0) {
      res.send(503, { error: 'agent_api_off', message: 'the agent API is off: set AGENT_API_TOKEN or AGENT_TOKENS to turn it on' });
      return null;
    }
    const m = /^Bearer\s+(.+)$/i.exec(req.header('authorization') ?? '');
    const digest = m ? sha(m[1]!.trim()) : null;
    // compare with every token, always: no timing hint of which part matched
    let found: string | null = null;
    for (const t of tokens) if (digest && timingSafeEqual(digest, t.digest)) found = t.name;
    if (!found) {
      res.header('WWW-Authenticate', 'Bearer realm="reclaim-agents"');
      res.send(401, { error: 'unauthorized', message: 'a valid "Authorization: Bearer <token>" header is required' });
    }
    return found;
  };

  server.get('/api/tickets', async (req: Request, res: Response) => {
    if (!agentOf(req, res)) return;
    const q = z
      .object({
        status: z.enum(STATUSES as [TicketStatus, ...TicketStatus[]]).optional(),
        category: z.string().max(40).optional(),
        priority: z.enum(PRIORITY_ORDER as [string, ...string[]]).optional(),
      })
      .safeParse(req.query ?? {});
    if (!q.success) {
      res.send(400, { error: 'bad_request', message: q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    const list = await tickets.list(q.data as never);
    // the queue: no transcripts, they are for the ticket view
    res.send(200, { tickets: list.map((t) => ({ ...agentView(t), transcript: undefined })) });
  });

  server.get('/api/tickets/:ref', async (req: Request, res: Response) => {
    if (!agentOf(req, res)) return;
    const ticket = await tickets.get(String(req.params.ref));
    if (!ticket) {
      res.send(404, { error: 'not_found', message: `no ticket ${String(req.params.ref)}` });
      return;
    }
    res.send(200, { ...agentView(ticket), events: await tickets.events(ticket.ref) });
  });

  for (const verb of Object.keys(bodies) as Verb[]) {
    server.post(`/api/tickets/:ref/${verb}`, async (req: Request, res: Response) => {
      const agent = agentOf(req, res);
      if (!agent) return;
      const body = bodies[verb].safeParse(req.body ?? {});
      if (!body.success) {
        res.send(400, { error: 'bad_request', message: body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ') });
        return;
      }
      try {
        const { ticket, delivered } = await handoff.act(String(req.params.ref), agent, toAction(verb, body.data as Record<string, string>));
        res.send(200, { ticket: agentView(ticket), delivered });
      } catch (err) {
        if (err instanceof TicketNotFoundError) res.send(404, { error: 'not_found', message: err.message });
        else if (err instanceof TicketTransitionError) res.send(409, { error: 'conflict', message: err.message, status: err.status });
        else {
          logger.error({ err, ref: req.params.ref, verb, agent }, 'agent action failed');
          res.send(500, { error: 'internal', message: 'the action could not be completed; nothing was sent to the user' });
        }
      }
    });
  }

  const page = fs.readFileSync(path.join(ROOT, 'src/handoff/console.html'), 'utf8');
  server.get('/agent', (_req: Request, res: Response, next: () => void) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.setHeader('content-security-policy', "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'");
    res.sendRaw(200, page);
    next();
  });
}
