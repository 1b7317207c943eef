import restify from 'restify';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';

/**
 * The floor: a minimal echo bot on the same restify + botbuilder stack as
 * Reclaim (same body parser, same adapter, expectReplies), and nothing else.
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

const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
const bot = new EchoBot();
const server = restify.createServer({ name: 'echo', handleUncaughtExceptions: false });
server.use(restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false, rejectUnknown: true }));
server.post('/api/messages', async (req, res) => {
  await adapter.process(req as never, res as never, (context) => bot.run(context));
});
server.get('/healthz', async (_req, res) => {
  res.send(200, { status: 'ok' });
});
server.listen(Number(process.argv[2] ?? 3979), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
