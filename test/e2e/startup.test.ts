import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';

/** `npm start` as an operator runs it: a real process, an empty data folder, no .env. */
const ROOT = path.resolve(__dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  let out = '';
  // its own process group, so a signal reaches npm and node alike, as in a container or a terminal
  const child = spawn('npm', ['start', '--silent'], { cwd: ROOT, env: { ...process.env, NODE_OPTIONS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

test('npm start answers /healthz within 10 s on an empty DATA_DIR, and stops cleanly on SIGTERM', async () => {
  const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-start-')), 'data');
  const port = await freePort();
  const t0 = Date.now();
  const { child, output, exited } = start({ PORT: String(port), DATA_DIR: dataDir, HOST: '127.0.0.1' });
  let health: any;
  while (Date.now() - t0 < 10_000) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      health = await res.json();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const readyMs = Date.now() - t0;
  expect(health).toMatchObject({ status: 'ok' });
  console.log(`npm start: /healthz answered ${readyMs} ms after launch on an empty data folder`);
  expect(fs.existsSync(path.join(dataDir, 'reclaim.sqlite'))).toBe(true);
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  expect(output()).toMatch(/shutting down/);
  await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  expect(output()).not.toMatch(/DeprecationWarning|dotenv/);
}, 20_000);

test('a bad setting stops start-up, naming the variable and the reason', async () => {
  const { output, exited } = start({ PORT: 'eighty', DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-bad-')) });
  expect(await exited).toBe(1);
  expect(output()).toMatch(/PORT: .*number/i);
}, 20_000);

test('a broken knowledge file stops start-up, naming the file, the path and the reason', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-badpack-'));
  fs.cpSync(path.join(ROOT, 'knowledge'), dir, { recursive: true });
  const guides = path.join(dir, 'guides.yml');
  fs.writeFileSync(guides, fs.readFileSync(guides, 'utf8').replace('    title: Errors when logging in\n', ''));
  const { output, exited } = start({ KNOWLEDGE_DIR: dir, DATA_DIR: path.join(dir, 'data') });
  expect(await exited).toBe(1);
  expect(output()).toMatch(/guides\.yml/);
  expect(output()).toMatch(/guides\.login_error\.title/);
}, 20_000);

test('npm start runs the compiled sources (dist/), rebuilt only when a source changed', async () => {
  const { execFileSync } = await import('node:child_process');
  execFileSync(process.execPath, ['bin/build.js'], { cwd: ROOT });
  const entry = path.join(ROOT, 'dist/src/index.js');
  const built = fs.statSync(entry).mtimeMs;
  // compiled JavaScript, not TypeScript: no type annotations left
  expect(fs.readFileSync(path.join(ROOT, 'dist/src/engine/turn.js'), 'utf8')).not.toMatch(/: TurnInput\b/);
  execFileSync(process.execPath, ['bin/build.js'], { cwd: ROOT });
  expect(fs.statSync(entry).mtimeMs).toBe(built);
  expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts).toMatchObject({ prestart: 'node bin/build.js', start: expect.stringContaining('dist/src/index.js') });
}, 20_000);
