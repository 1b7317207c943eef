import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Real bot processes for the fault tests: `node --require tsx/cjs src/index.ts`
 * with its own environment, on 127.0.0.1 and a port of its own, logs to a file.
 */
export const ROOT = path.resolve(__dirname, '../..');

export interface BotProcess {
  url: string;
  pid: number;
  child: ChildProcess;
  logFile: string;
  alive(): boolean;
  /** SIGKILL: no shutdown, no flush, like a crashed container */
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `reclaim-${label}-`));
}

export async function spawnBot(env: Record<string, string>, label = 'bot', timeoutMs = 45_000): Promise<BotProcess> {
  const port = await freePort();
  const logDir = tmpDir(`log-${label}`);
  const logFile = path.join(logDir, 'bot.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--disable-warning=DEP0111', '--require', 'tsx/cjs', 'src/index.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? os.tmpdir(),
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      KNOWLEDGE_DIR: path.join(ROOT, 'knowledge'),
      ...env,
    },
    stdio: ['ignore', out, out],
  });
  fs.closeSync(out);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((exited = true), resolve())));
  const t0 = Date.now();
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (exited) throw new Error(`bot ${label} exited during start-up:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    if (Date.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`bot ${label} not ready after ${timeoutMs} ms:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    }
    const ok = await request(url, { method: 'GET', path: '/healthz', timeoutMs: 2000 }).then((r) => r.status === 200, () => false);
    if (ok) break;
    await sleep(100);
  }
  return {
    url,
    pid: child.pid!,
    child,
    logFile,
    alive: () => !exited,
    async kill9() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(t);
    },
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One HTTP request to 127.0.0.1, raw body allowed; never throws on a status. */
export function request(
  url: string,
  opts: { method?: string; path?: string; body?: string | Buffer; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<{ status: number; text: string; json?: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(opts.path ?? '/api/messages', url);
    const req = http.request(
      u,
      {
        method: opts.method ?? 'POST',
        agent,
        headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // the server closed an idle keep-alive socket just as it was reused: send again on a new one
      // (safe: a Bot Framework activity carries its id, and a second delivery is ignored)
      if (req.reusedSocket && err.code === 'ECONNRESET') request(url, opts).then(resolve, reject);
      else reject(err);
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

let seq = 0;
export interface Activity {
  type: string;
  id: string;
  channelId: string;
  conversation: { id: string };
  from: { id: string; name?: string };
  recipient: { id: string; name?: string };
  serviceUrl: string;
  text?: string;
  value?: unknown;
  deliveryMode: 'expectReplies';
  locale: string;
}

export function activity(conversationId: string, text?: string, value?: unknown, id?: string): Activity {
  return {
    type: 'message',
    id: id ?? `fa-${process.pid}-${Date.now().toString(36)}-${++seq}`,
    channelId: 'test',
    conversation: { id: conversationId },
    from: { id: `user-${conversationId}`, name: 'Sam' },
    recipient: { id: 'reclaim-bot', name: 'Reclaim' },
    serviceUrl: 'http://127.0.0.1:9/never-called',
    ...(text !== undefined ? { text } : {}),
    ...(value !== undefined ? { value } : {}),
    deliveryMode: 'expectReplies',
    locale: 'en-US',
  };
}

/** Sends one activity with expectReplies; the replies' texts. Throws on a non-200. */
export async function send(url: string, a: Activity): Promise<string[]> {
  const res = await request(url, { body: JSON.stringify(a) });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text.slice(0, 300)}`);
  return ((res.json?.activities ?? []) as { text?: string }[]).map((x) => x.text ?? '');
}

/** The hacked-account conversation, step by step: what the user sends at each turn. */
export function hackedScript(i: number, o: { password?: boolean } = {}): { text?: string; value?: unknown }[] {
  return [
    { text: 'someone hacked my account' },
    { text: `@kite.runner${i}` },
    { text: `user${i}@example.com` },
    { text: '+44 7911 123456' },
    // a password check costs three scrypt hashes (by design): the load tests leave it out
    ...(o.password === false
      ? [{ value: { action: 'skip' } }]
      : [{ value: { action: 'password', password: `old-password-${i}` } }, { value: { action: 'skip' } }]),
    { text: `They changed the email on account number ${i} last night.` },
    { text: 'Yes, open the ticket' },
  ];
}

export const REF_RE = /RC-[23456789ABCDEFGHJKMNPQRSTVWXYZ]{6}/;

/** Runs `fn` over items with at most `n` at a time. */
export async function pool<T, R>(items: T[], n: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** A TCP proxy on 127.0.0.1 that the test can cut and restore: the database "stops" for the bot only. */
export class CuttableProxy {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  private upstreams = new Set<net.Socket>();
  port = 0;

  /** local ports of the connections to the database (its pg_stat_activity.client_port) */
  upstreamPorts(): number[] {
    return [...this.upstreams].map((s) => s.localPort).filter((p): p is number => typeof p === 'number');
  }

  constructor(private readonly target: { host: string; port: number }) {}

  async start(port = 0): Promise<number> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      this.upstreams.add(upstream);
      upstream.on('close', () => this.upstreams.delete(upstream));
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Stops accepting and breaks every open connection. */
  async cut(): Promise<void> {
    const closed = new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
    this.server = undefined;
  }

  async restore(): Promise<void> {
    await this.start(this.port);
  }

  async close(): Promise<void> {
    await this.cut();
  }
}
