import restify, { type Request, type Response, type Server } from 'restify';
import type { Logger } from './logger';
import type { ReclaimBot } from './channels/botframework/bot';
import type { ReclaimAdapter } from './channels/botframework/adapter';
import type { Metrics } from './metrics';
import { activityProblem } from './limits/input';

export interface ServerDeps {
  adapter: ReclaimAdapter;
  bot: ReclaimBot;
  logger: Logger;
  maxBodyBytes: number;
  /** GET /metrics when given */
  metrics?: Metrics;
  health: () => Promise<Record<string, unknown>>;
}

/** The HTTP surface: the Bot Framework endpoint and health; the other route groups mount themselves (agent API, channels). */
export function createServer(deps: ServerDeps): Server {
  const { adapter, bot, logger } = deps;
  const server = restify.createServer({ name: 'reclaim', handleUncaughtExceptions: false });
  server.use(restify.plugins.queryParser({ mapParams: false }));
  server.use(restify.plugins.bodyParser({ maxBodySize: deps.maxBodyBytes, mapParams: false, rejectUnknown: true }));

  server.on('restifyError', (req: Request, res: Response, err: Error & { statusCode?: number }, cb: () => void) => {
    if ((err.statusCode ?? 500) >= 500) logger.error({ err, path: req.path() }, 'request failed');
    else logger.warn({ path: req.path(), status: err.statusCode, reason: err.message }, 'bad request');
    return cb();
  });

  server.post('/api/messages', async (req: Request, res: Response) => {
    const problem = activityProblem(req.body as unknown);
    if (problem) {
      res.send(400, { error: 'bad_request', message: problem });
      return;
    }
    await adapter.processRequest(req, res, (context) => bot.run(context));
  });

  if (deps.metrics) {
    const metrics = deps.metrics;
    server.get('/metrics', async (_req: Request, res: Response) => {
      const { contentType, body } = await metrics.render();
      res.setHeader('content-type', contentType);
      res.sendRaw(200, body);
    });
  }

  server.get('/healthz', async (_req: Request, res: Response) => {
    try {
      res.send(200, { status: 'ok', ...(await deps.health()) });
    } catch (err) {
      logger.error({ err }, 'health check failed');
      res.send(503, { status: 'unavailable', reason: (err as Error).message });
    }
  });

  return server;
}
