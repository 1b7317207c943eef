import { timingSafeEqual, createHash } from 'node:crypto';
import restify, { type Request, type Response, type Server } from 'restify';
import type { CloudAdapter } from 'botbuilder';
import type { Logger } from './logger';
import type { ReclaimBot } from './channels/botframework/bot';
import type { Ticket, TicketStore } from './tickets';

export interface ServerDeps {
  adapter: CloudAdapter;
  bot: ReclaimBot;
  tickets: TicketStore;
  logger: Logger;
  agentApiToken?: string;
  maxBodyBytes: number;
  health: () => Promise<Record<string, unknown>>;
}

const sha = (s: string) => createHash('sha256').update(s).digest();

/** The HTTP surface: the Bot Framework endpoint, health, and the agent API. */
export function createServer(deps: ServerDeps): Server {
  const { adapter, bot, tickets, logger } = deps;
  const server = restify.createServer({ name: 'reclaim', handleUncaughtExceptions: false });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(restify.plugins.bodyParser({ maxBodySize: deps.maxBodyBytes, mapParams: false, rejectUnknown: true }));

  server.on('restifyError', (req: Request, res: Response, err: Error & { statusCode?: number }, cb: () => void) => {
    if ((err.statusCode ?? 500) >= 500) logger.error({ err, path: req.path() }, 'request failed');
    else logger.warn({ path: req.path(), status: err.statusCode, reason: err.message }, 'bad request');
    return cb();
  });

  server.post('/api/messages', async (req: Request, res: Response) => {
    const body = req.body as unknown;
    if (!body || typeof body !== 'object' || Array.isArray(body) || typeof (body as { type?: unknown }).type !== 'string') {
      res.send(400, { error: 'bad_request', message: 'the body must be a Bot Framework activity: a JSON object with a "type"' });
      return;
    }
    await adapter.process(req as never, res as never, (context) => bot.run(context));
  });

  server.get('/healthz', async (_req: Request, res: Response) => {
    try {
      res.send(200, { status: 'ok', ...(await deps.health()) });
    } catch (err) {
      logger.error({ err }, 'health check failed');
      res.send(503, { status: 'unavailable', reason: (err as Error).message });
    }
  });

  /** Checks the agent's bearer token; answers for it when it fails. */
  const authorised = (req: Request, res: Response): boolean => {
    if (!deps.agentApiToken) {
      res.send(503, { error: 'agent_api_off', message: 'the agent API is off: set AGENT_API_TOKEN to turn it on' });
      return false;
    }
    const m = /^Bearer\s+(.+)$/i.exec(req.header('authorization') ?? '');
    if (!m || !timingSafeEqual(sha(m[1]!.trim()), sha(deps.agentApiToken))) {
      res.header('WWW-Authenticate', 'Bearer realm="reclaim-agents"');
      res.send(401, { error: 'unauthorized', message: 'a valid "Authorization: Bearer <token>" header is required' });
      return false;
    }
    return true;
  };

  server.get('/api/tickets', async (req: Request, res: Response) => {
    if (!authorised(req, res)) return;
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    const list = await tickets.list({ status: q.status as never, category: q.category, priority: q.priority as never });
    res.send(200, { tickets: list.map(({ transcript: _t, conversationRef: _c, ...summary }) => summary) });
  });

  server.get('/api/tickets/:ref', async (req: Request, res: Response) => {
    if (!authorised(req, res)) return;
    const ticket = await tickets.get(String(req.params.ref));
    if (!ticket) {
      res.send(404, { error: 'not_found', message: `no ticket ${String(req.params.ref)}` });
      return;
    }
    res.send(200, { ...publicTicket(ticket), events: await tickets.events(ticket.ref) });
  });

  return server;
}

/** A ticket as agents see it. It never held a password; the conversation reference stays inside. */
function publicTicket(t: Ticket) {
  const { conversationRef, ...rest } = t;
  return { ...rest, channel: { id: conversationRef.channelId, conversationId: conversationRef.conversation.id, user: conversationRef.user } };
}
