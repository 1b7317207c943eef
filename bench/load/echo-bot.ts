import restify from 'restify';
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import { ClientCachingAuthentication } from '../../src/channels/botframework/auth';
import { ReclaimAdapter } from '../../src/channels/botframework/adapter';
import { openDatabase } from '../../src/storage/db';
import { NEW_ITEM_ETAG, SqlStorage } from '../../src/storage/state';

/**
 * The floor: a minimal echo bot on the same restify + botbuilder stack as
 * Reclaim (same body parser, same adapter, expectReplies), and nothing else.
 *
 * `node echo-bot.js PORT` is stock botbuilder (CloudAdapter.process).
 * `node echo-bot.js PORT lean` enters botbuilder the way Reclaim does
 * (cached Bot Framework clients, ReclaimAdapter.processRequest): the floor of
 * Reclaim's own stack.
 * `node echo-bot.js PORT store` is the lean one that also reads and saves its
 * conversation's state each turn through Reclaim's own conversation store
 * (a record the size of Reclaim's, two transcript lines; DATABASE_URL and
 * DATABASE_SCHEMA for PostgreSQL, else SQLite under DATA_DIR): the floor of
 * a bot that keeps its state in the database, with no NLU and no dialog.
 */
class EchoBot extends ActivityHandler {
  constructor(turn: (context: TurnContext) => Promise<string>) {
    super();
    this.onMessage(async (context, next) => {
      await context.sendActivity(await turn(context));
      await next();
    });
  }
}

/** about the size of a stored Reclaim conversation (1 KB) */
const PADDING = 'x'.repeat(900);

async function main() {
  const mode = process.argv[3] ?? 'stock';
  let turn = async (context: TurnContext) => `echo: ${context.activity.text ?? ''}`;
  if (mode === 'store') {
    const { db } = await openDatabase({ dataDir: process.env.DATA_DIR ?? 'data', databaseUrl: process.env.DATABASE_URL, schema: process.env.DATABASE_SCHEMA });
    const storage = new SqlStorage(db);
    turn = async (context) => {
      const a = context.activity;
      const key = `conversation/${a.channelId}/${a.conversation.id}`;
      const text = `echo: ${a.text ?? ''}`;
      // as the engine does: the kept row when the store can tell it is still the stored one, else a read; then compare-and-swap
      const peeked = storage.peekETag(key);
      const stored = peeked ? { eTag: peeked } : ((await storage.read([key]))[key] as { eTag?: string; turns?: number } | undefined);
      const at = new Date().toISOString();
      await storage.saveTurn({
        key,
        item: { v: 1, padding: PADDING, last: a.id },
        eTag: stored?.eTag ?? NEW_ITEM_ETAG,
        lines: [
          { at, role: 'user', text: a.text ?? '' },
          { at, role: 'bot', text },
        ],
      });
      return text;
    };
  }
  const auth = new ConfigurationBotFrameworkAuthentication({});
  const bot = new EchoBot(turn);
  const server = restify.createServer({ name: 'echo', handleUncaughtExceptions: false });
  server.use(restify.plugins.bodyParser({ maxBodySize: 256 * 1024, mapParams: false, rejectUnknown: true }));
  if (mode === 'stock') {
    const adapter = new CloudAdapter(auth);
    server.post('/api/messages', async (req, res) => {
      await adapter.process(req as never, res as never, (context) => bot.run(context));
    });
  } else {
    const adapter = new ReclaimAdapter(new ClientCachingAuthentication(auth));
    server.post('/api/messages', async (req, res) => {
      await adapter.processRequest(req, res, (context) => bot.run(context));
    });
  }
  server.get('/healthz', async (_req, res) => {
    res.send(200, { status: 'ok' });
  });
  server.listen(Number(process.argv[2] ?? 3979), '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

void main();
