import fs from 'node:fs';
import path from 'node:path';
import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import type { Server } from 'restify';
import { sql } from 'kysely';
import type { CountryCode } from 'libphonenumber-js';
import type { Config } from './config';
import { createLogger, type Logger } from './logger';
import { loadKnowledge } from './knowledge';
import { trainNlu } from './nlu';
import { openSqlite } from './storage/db';
import { SqlStorage } from './storage/state';
import { TranscriptLog } from './storage/transcript';
import { SqlDirectory } from './directory/sql';
import { SqlTicketStore } from './tickets/sql';
import { Engine } from './engine/turn';
import { Wording } from './engine/wording';
import { ReclaimBot } from './channels/botframework/bot';
import { createServer } from './server';

export interface App {
  server: Server;
  engine: Engine;
  adapter: CloudAdapter;
  tickets: SqlTicketStore;
  directory: SqlDirectory;
  logger: Logger;
  dbFile: string;
  startupMs: number;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** The composition root: config in, every service built here and nowhere else. */
export async function createApp(config: Config, opts: { logger?: Logger } = {}): Promise<App> {
  const t0 = performance.now();
  const logger = opts.logger ?? createLogger(config.logLevel);
  const knowledge = loadKnowledge(config.knowledgeDir);
  const nlu = trainNlu(knowledge.nlu, { defaultRegion: config.defaultPhoneRegion as CountryCode });
  const { db, file } = await openSqlite(config.dataDir);
  const directory = new SqlDirectory(db);
  if (config.demoDirectory) {
    const seeded = await directory.seedDemo();
    if (seeded) logger.info({ accounts: seeded }, 'demo account directory seeded');
  }
  const tickets = new SqlTicketStore(db);
  const wording = new Wording(knowledge, { platform: config.platformName, eta: config.expectedResponseTime });
  const engine = new Engine({
    nlu,
    wording,
    storage: new SqlStorage(db),
    tickets,
    directory,
    transcript: new TranscriptLog(db),
    logger,
    defaultRegion: config.defaultPhoneRegion,
  });
  const bot = new ReclaimBot(engine);

  const auth = new ConfigurationBotFrameworkAuthentication({ ...config.botFramework });
  const adapter = new CloudAdapter(auth);
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
    tickets,
    logger,
    agentApiToken: config.agentApiToken,
    maxBodyBytes: config.maxBodyBytes,
    health: async () => {
      await sql`select 1`.execute(db);
      return { uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), intents: nlu.intents.length, knowledge: knowledge.hash.slice(0, 12) };
    },
  });
  const startupMs = Math.round(performance.now() - t0);

  return {
    server,
    engine,
    adapter,
    tickets,
    directory,
    logger,
    dbFile: file,
    startupMs,
    listen: (port = config.port, host = config.host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server.url.replace('[::]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1')));
      }),
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.destroy();
    },
  };
}

/** Loads `.env` from the working directory if there is one (optional; the defaults need none). */
export function loadDotEnv(dir = process.cwd()): void {
  const file = path.join(dir, '.env');
  if (fs.existsSync(file)) process.loadEnvFile(file);
}
