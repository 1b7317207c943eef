import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response, Server } from 'restify';
import { ROOT } from '../../paths';

/** The web chat page and its scripts, from `public/` and the installed botframework-webchat package (no CDN). */
export function mountWebChatPage(server: Server, publicDir = path.join(ROOT, 'public')): void {
  const bundle = findWebChatBundle();
  const file = (name: string, type: string, cache = 'no-cache') => async (_req: Request, res: Response) => {
    const body = await fs.promises.readFile(name);
    res.writeHead(200, {
      'content-type': type,
      'content-length': body.length,
      'cache-control': cache,
      'x-content-type-options': 'nosniff',
      ...(type.startsWith('text/html') ? { 'content-security-policy': PAGE_CSP, 'referrer-policy': 'no-referrer' } : {}),
    });
    res.end(body);
  };
  server.get('/', file(path.join(publicDir, 'index.html'), 'text/html; charset=utf-8'));
  server.get('/embed.js', file(path.join(publicDir, 'embed.js'), 'text/javascript; charset=utf-8'));
  server.get('/favicon.ico', async (_req: Request, res: Response) => {
    res.writeHead(204, { 'cache-control': 'public, max-age=86400' });
    res.end();
  });
  server.get('/webchat/webchat.js', file(bundle, 'text/javascript; charset=utf-8', 'public, max-age=86400'));
}

/**
 * The page talks to its own host only: scripts, the token, Direct Line polling.
 * (When Azure Direct Line is configured, the page calls it too: that host is added by the page's config.)
 */
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' https://directline.botframework.com wss://directline.botframework.com",
  "font-src 'self' data:",
  "frame-ancestors 'self'",
].join('; ');

/** The prebuilt Web Chat bundle shipped inside the npm package. */
export function findWebChatBundle(): string {
  for (const dir of require.resolve.paths('botframework-webchat') ?? []) {
    const candidate = path.join(dir, 'botframework-webchat', 'dist', 'webchat.js');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('botframework-webchat is not installed (run npm install): node_modules/botframework-webchat/dist/webchat.js is missing');
}
