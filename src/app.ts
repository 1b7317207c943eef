import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import type { Server } from 'restify';
import { sql } from 'kysely';
import type { CountryCode } from 'libphonenumber-js';
import type { Config } from './config';
import { createLogger, type Logger } from './logger';
import { loadKnowledge } from './knowledge';
import { loadOrTrainNlu } from './nlu/cache';
import { openDatabase, type Db, type DbEngine } from './storage/db';
import { Limits } from './limits';
import { Metrics } from './metrics';
import { SqlStorage } from './storage/state';
import { TranscriptLog } from './storage/transcript';
import { SqlDirectory } from './directory/sql';
import { SqlTicketStore } from './tickets/sql';
import { Engine } from './engine/turn';
import { Wording } from './engine/wording';
import { ReclaimBot } from './channels/botframework/bot';
import { ClientCachingAuthentication } from './channels/botframework/auth';
import { ReclaimAdapter } from './channels/botframework/adapter';
import { Gate } from './limits/gate';
import { createServer } from './server';
import { SecureLinks } from './evidence/secure-link';
import { Notifier } from './handoff/notifier';
import { Handoff } from './handoff/service';
import { mountAgentApi } from './handoff/agent-api';
import { mountSecureForm } from './handoff/secure-form';
import { WebhookDispatcher } from './handoff/webhook';
import { mountChannelRoutes } from './channels/routes';

export interface App {
  server: Server;
  engine: Engine;
  adapter: ReclaimAdapter;
  tickets: SqlTicketStore;
  directory: SqlDirectory;
  logger: Logger;
  /** the SQLite file ('' on PostgreSQL) */
  dbFile: string;
  db: Db;
  dbEngine: DbEngine;
  metrics?: Metrics;
  handoff: Handoff;
  notifier: Notifier;
  webhook?: WebhookDispatcher;
  startupMs: number;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** The composition root: config in, every service built here and nowhere else. */
export async function createApp(config: Config, opts: { logger?: Logger; liveConversations?: number } = {}): Promise<App> {
  const t0 = performance.now();
  const logger = opts.logger ?? createLogger(config.logLevel);
  const knowledge = loadKnowledge(config.knowledgeDir);
  // the trained model is cached under DATA_DIR, keyed by the knowledge pack's hash (and the NLU code)
  const nluLoad = loadOrTrainNlu(knowledge.nlu, { defaultRegion: config.defaultPhoneRegion as CountryCode }, {
    dir: path.join(config.dataDir, 'cache'),
    knowledgeHash: knowledge.hash,
  });
  const nlu = nluLoad.nlu;
  logger.info({ nlu: nluLoad.source, nluMs: Math.round(nluLoad.ms), intents: nlu.intents.length }, 'NLU ready');
  if (nluLoad.problem) logger.warn({ problem: nluLoad.problem }, 'NLU model cache');
  const opened = await openDatabase({
    dataDir: config.dataDir,
    databaseUrl: config.database.url,
    schema: config.database.schema,
    poolSize: config.database.poolSize,
    sqliteCacheMb: config.database.sqliteCacheMb,
    onConnectionError: (err) => logger.warn({ err }, 'a database connection broke; the next query opens a new one'),
  });
  const { db } = opened;
  const file = opened.file ?? '';
  logger.info({ database: opened.engine, where: opened.describe }, 'database ready');
  const metrics = config.metrics ? new Metrics() : undefined;
  const directory = new SqlDirectory(db);
  if (config.demoDirectory) {
    const seeded = await directory.seedDemo();
    if (seeded) logger.info({ accounts: seeded }, 'demo account directory seeded');
  }
  const tickets = new SqlTicketStore(db, { outbox: Boolean(config.helpdeskWebhook) });
  const secureLinks = new SecureLinks(db, config.publicUrl);
  const limits = new Limits(db, config.limits);
  const wording = new Wording(knowledge, { platform: config.platformName, eta: config.expectedResponseTime });
  const engine = new Engine({
    nlu,
    wording,
    storage: new SqlStorage(db),
    tickets,
    directory,
    transcript: new TranscriptLog(db),
    secureLinks,
    logger,
    defaultRegion: config.defaultPhoneRegion,
    limits,
    metrics,
    // On PostgreSQL a turn reads the stored record anyway (another process may have written it), so a kept machine
    // saves only its revival, and keeping it costs the collector as much: one process, 0.80 ms per turn either way;
    // a pair behind a round-robin balancer, which uses few of them, 7-12 % less CPU without (docs/operations.md)
    liveConversations: opts.liveConversations ?? (opened.engine === 'postgres' ? 0 : undefined),
  });
  const bot = new ReclaimBot(engine);

  const auth = new ClientCachingAuthentication(new ConfigurationBotFrameworkAuthentication({ ...config.botFramework }));
  const adapter = new ReclaimAdapter(auth, new Gate(config.maxConcurrentTurns));
  metrics?.watchGate(adapter.gate);
  // Our faults: logged with context, the user told plainly; the conversation state is kept (never deleted).
  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    logger.error({ err: error, conversation: context.activity.conversation?.id, channel: context.activity.channelId }, 'unhandled turn error');
    try {
      await context.sendActivity(wording.text('error.turn'));
    } catch (sendErr) {
      logger.error({ err: sendErr }, 'could not tell the user about the error');
    }
  };

  const startedAt = Date.now();
  const server = createServer({
    adapter,
    bot,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    metrics,
    health: async () => {
      await sql`select 1`.execute(db);
      return { uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), intents: nlu.intents.length, knowledge: knowledge.hash.slice(0, 12) };
    },
  });
  const channels = mountChannelRoutes(server, { adapter, bot, engine, config, logger });
  // the human side: agents act on tickets, and their answers reach the user's own conversation
  const notifier = new Notifier(adapter, config.botFramework.MicrosoftAppId ?? '');
  for (const [channelId, deliver] of Object.entries(channels.deliverers)) notifier.register(channelId, deliver);
  const handoff = new Handoff(tickets, engine, notifier, logger);
  mountAgentApi(server, { tickets, handoff, agents: config.agents, logger });
  mountSecureForm(server, {
    links: secureLinks,
    directory,
    engine,
    notifier,
    logger,
    platformName: config.platformName,
    allowPasswordCheck: async (key) => (await limits.passwordCheck(key)).allowed,
  });
  const webhook = config.helpdeskWebhook ? new WebhookDispatcher(db, config.helpdeskWebhook, logger) : undefined;
  webhook?.start();
  const startupMs = Math.round(performance.now() - t0);

  return {
    server,
    engine,
    adapter,
    tickets,
    directory,
    logger,
    dbFile: file,
    db,
    dbEngine: opened.engine,
    metrics,
    handoff,
    notifier,
    webhook,
    startupMs,
    listen: (port = config.port, host = config.host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server.url.replace('[::]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1')));
      }),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await webhook?.stop();
      await db.destroy();
    },
  };
}

/** Loads `.env` from the working directory if there is one (optional; the defaults need none). */
export function loadDotEnv(dir = process.cwd()): void {
  const file = path.join(dir, '.env');
  if (fs.existsSync(file)) process.loadEnvFile(file);
}
