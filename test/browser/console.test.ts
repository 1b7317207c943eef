import path from 'node:path';
import { startTestBot, userMessage, type TestBot } from '../support/app';
import { startFakeConnector, type FakeConnector } from '../support/connector';
import { launchChromium, outputDir, watchHosts } from './chromium';

/**
 * The agent console as an agent uses it, in headless Chromium: sign in, open
 * the ticket, send a message, resolve; the user's conversation gets both.
 */
jest.setTimeout(90_000);

const TOKEN = 'console-agent-token-0123456789';
let bot: TestBot;
let connector: FakeConnector;

beforeAll(async () => {
  connector = await startFakeConnector();
  bot = await startTestBot({ AGENT_API_TOKEN: '', AGENT_TOKENS: `maria:${TOKEN}` });
});
afterAll(async () => {
  await bot.close();
  await connector.close();
});

test('sign in, open a ticket, send a message, resolve it: the user receives both', async () => {
  const conv = 'console-user';
  const say = (text?: string, value?: unknown) => bot.send(userMessage(conv, text, { serviceUrl: connector.url, ...(value ? { value } : {}) } as never));
  for (const t of ['someone hacked my account', '@sam.dances', 'sam@example.com', 'skip']) await say(t);
  await say(undefined, { action: 'password', password: 'sunset-2019' });
  await say(undefined, { action: 'skip' });
  await say('my email and phone were changed');
  const ref = /RC-[A-Z0-9]{6}/.exec((await say('Yes, open the ticket')).map((a) => a.text ?? '').join(' '))![0];

  const { context, close } = await launchChromium();
  try {
    const page = await context.newPage();
    const foreign = watchHosts(page, [new URL(bot.url).host]);
    await page.goto(`${bot.url}/agent`);
    await page.fill('#token', 'wrong-token-wrong-token');
    await page.click('#signin-form button');
    await page.waitForSelector('text=That token is not valid.');
    await page.fill('#token', TOKEN);
    await page.click('#signin-form button');
    await page.click(`tr.row[data-ref="${ref}"]`);
    await page.waitForSelector(`#t-title:has-text("${ref}")`);
    // the evidence with its check outcomes, never a password
    await page.waitForSelector('#t-evidence >> text=@sam.dances matched');
    await page.waitForSelector('#t-evidence >> text=#1 matched');
    expect(await page.content()).not.toContain('sunset-2019');

    await page.click('#claim');
    await page.waitForSelector('#t-meta >> text=claimed by maria');
    await page.fill('form[data-verb="messages"] input', 'We are restoring your email now.');
    await page.click('form[data-verb="messages"] button');
    await page.waitForSelector('#notice >> text=delivered to the user');
    await page.fill('form[data-verb="resolve"] input', 'Done: use the reset link we sent to sam@example.com.');
    await page.click('form[data-verb="resolve"] button');
    await page.waitForSelector('#t-meta >> text=status resolved');
    const shot = path.join(outputDir(), 'agent-console.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`agent console screenshot: ${shot}`);
    expect(foreign).toEqual([]);
  } finally {
    await close();
  }
  expect(connector.textsFor(conv)).toEqual([
    `Message from our support team about ${ref}:\nWe are restoring your email now.`,
    `Your case ${ref} is resolved. From our support team:\nDone: use the reset link we sent to sam@example.com.`,
  ]);
});
