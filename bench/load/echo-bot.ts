import restify from 'restify';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { ClientCachingAuthentication } from '../../src/channels/botframework/auth';
import { ReclaimAdapter } from '../../src/channels/botframework/adapter';

/**
 * The floor: a minimal echo bot on the same restify + botbuilder stack as
 * Reclaim (same body parser, same adapter, expectReplies), and nothing else.
 *
 * `node echo-bot.js PORT` is stock botbuilder (CloudAdapter.process).
 * `node echo-bot.js PORT lean` enters botbuilder the way Reclaim does
 * (cached Bot Framework clients, ReclaimAdapter.processRequest): the floor of
 * Reclaim's own stack.
 */
class EchoBot extends ActivityHandler {
  constructor() {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(`echo: ${context.activity.text ?? ''}`);
      await next();
    });
  }
}

const lean = process.argv[3] === 'lean';
const auth = new ConfigurationBotFrameworkAuthentication({});
const bot = new EchoBot();
const server = restify.createServer({ name: 'echo', handleUncaughtExceptions: false });
server.use(restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false, rejectUnknown: true }));
if (lean) {
  const adapter = new ReclaimAdapter(new ClientCachingAuthentication(auth));
  server.post('/api/messages', async (req, res) => {
    await adapter.processRequest(req, res, (context) => bot.run(context));
  });
} else {
  const adapter = new CloudAdapter(auth);
  server.post('/api/messages', async (req, res) => {
    await adapter.process(req as never, res as never, (context) => bot.run(context));
  });
}
server.get('/healthz', async (_req, res) => {
  res.send(200, { status: 'ok' });
});
server.listen(Number(process.argv[2] ?? 3979), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
