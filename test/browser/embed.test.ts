import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startTestBot, type TestBot } from '../support/app';
import { launchChromium, outputDir, watchHosts } from './chromium';

/**
 * The embed snippet exactly as docs/channels.md gives it, on a help site of
 * another origin: the floating button opens the chat, the bot answers, and the
 * page talks to no host but the help site and the bot.
 */
jest.setTimeout(90_000);

const DOC_BOT_URL = 'https://bot.example.com';
let bot: TestBot;
let site: http.Server;
let siteUrl: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;

function snippetFromDocs(): string {
  const doc = fs.readFileSync(path.resolve(__dirname, '../../docs/channels.md'), 'utf8');
  const m = /<!-- reclaim-embed:start -->\s*```html\s*([\s\S]*?)\s*```\s*<!-- reclaim-embed:end -->/.exec(doc);
  if (!m) throw new Error('docs/channels.md has no reclaim-embed snippet');
  return m[1]!;
}

beforeAll(async () => {
  const snippet = snippetFromDocs();
  site = http.createServer((req, res) => {
    if (req.url !== '/') {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Help centre</title></head>
<body><h1>Help centre</h1><p>Can't get into your account?</p>
${snippet.replaceAll(DOC_BOT_URL, bot.url)}
</body></html>`);
  });
  // the help site: "localhost" is another origin than the bot's "127.0.0.1"
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
  siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`;
  bot = await startTestBot({ WEBCHAT_ALLOWED_ORIGINS: siteUrl });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await bot?.close();
  await new Promise((r) => site?.close(r));
});

test('the documented snippet embeds the chat on another site', async () => {
  const page = await browser.context.newPage();
  const foreign = watchHosts(page, [new URL(siteUrl).host, new URL(bot.url).host]);
  await page.goto(siteUrl);
  const button = page.locator('button.reclaim-chat-button');
  await button.waitFor();
  // styling from the snippet's data- attributes
  expect(await page.evaluate("getComputedStyle(document.querySelector('button.reclaim-chat-button')).backgroundColor")).toBe('rgb(0, 120, 212)');
  expect(await button.innerText()).toBe('Help with my account');
  await button.click();
  await page.waitForFunction(`document.body.innerText.replace(/\\u2019/g, "'").includes("I'm Reclaim")`, undefined, { timeout: 30_000 });
  const box = page.locator('[data-id="webchat-sendbox-input"]');
  await box.fill('the code never arrives');
  await box.press('Enter');
  await page.waitForFunction(`/spam|junk/i.test(document.body.innerText)`, undefined, { timeout: 15_000 });
  await page.waitForTimeout(600);
  const shot = path.join(outputDir(), 'webchat-embedded.png');
  await page.screenshot({ path: shot });
  console.log(`embedded widget screenshot: ${shot}`);
  expect(foreign).toEqual([]);
  await page.close();
});
