import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { Activity } from 'botbuilder';
import { createApp, type App } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';

export const AGENT_TOKEN = 'test-agent-token-0123456789';

/** A real bot: the real app on an ephemeral port, its own data folder, logs captured to a file. */
export interface TestBot {
  app: App;
  url: string;
  config: Config;
  dataDir: string;
  logFile: string;
  /** POSTs an activity with deliveryMode expectReplies; resolves with the bot's replies */
  send(activity: Partial<Activity>): Promise<Partial<Activity>[]>;
  post(body: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  get(pathname: string, token?: string): Promise<{ status: number; body: any }>;
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function startTestBot(env: Record<string, string> = {}, root?: string): Promise<TestBot> {
  const base = root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-test-'));
  const dataDir = path.join(base, 'data');
  const logFile = path.join(base, 'bot.log');
  const config = loadConfig({ DATA_DIR: dataDir, KNOWLEDGE_DIR: path.resolve(__dirname, '../../knowledge'), AGENT_API_TOKEN: AGENT_TOKEN, LOG_LEVEL: 'debug', ...env });
  const boot = async () => {
    const logger = createLogger('debug', pino.destination({ dest: logFile, sync: true, append: true }));
    const app = await createApp(config, { logger });
    const url = await app.listen(0, '127.0.0.1');
    return { app, url };
  };
  let { app, url } = await boot();
  const bot: TestBot = {
    get app() {
      return app;
    },
    get url() {
      return url;
    },
    config,
    dataDir,
    logFile,
    async post(body, headers = {}) {
      const res = await fetch(`${url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? safeJson(text) : undefined };
    },
    async send(activity) {
      const body = {
        type: 'message',
        serviceUrl: 'http://127.0.0.1:9/never-called',
        recipient: { id: 'reclaim-bot', name: 'Reclaim', role: 'bot' },
        ...activity,
        deliveryMode: 'expectReplies',
      };
      const res = await bot.post(body);
      if (res.status !== 200) throw new Error(`bot answered HTTP ${res.status}: ${JSON.stringify(res.body)}`);
      return (res.body?.activities ?? []) as Partial<Activity>[];
    },
    async get(pathname, token) {
      const res = await fetch(`${url}${pathname}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      const text = await res.text();
      return { status: res.status, body: text ? safeJson(text) : undefined };
    },
    async restart() {
      await app.close();
      ({ app, url } = await boot());
    },
    async close() {
      await app.close();
    },
  };
  return bot;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

let seq = 0;
/** A user message activity, as a channel would send it. */
export function userMessage(conversationId: string, text: string | undefined, extra: Partial<Activity> = {}): Partial<Activity> {
  seq += 1;
  return {
    type: 'message',
    id: `act-${Date.now()}-${seq}`,
    channelId: 'test',
    from: { id: `user-${conversationId}`, name: 'Sam', role: 'user' },
    conversation: { id: conversationId } as Activity['conversation'],
    locale: 'en-US',
    timestamp: new Date(),
    ...(text !== undefined ? { text } : {}),
    ...extra,
  } as Partial<Activity>;
}

/** Every file the bot wrote under a folder, as text (binary files included, read as latin1). */
export function everythingWritten(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(fs.readFileSync(p).toString('latin1'));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.join('\n');
}
