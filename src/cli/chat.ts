/**
 * `npm run chat`: talk to Reclaim in the terminal, through the real
 * /api/messages endpoint (deliveryMode expectReplies). Uses the bot at
 * RECLAIM_URL (default http://127.0.0.1:3978, i.e. `npm start`), or starts
 * one in this process when nothing answers there. Buttons show as numbered
 * choices; a masked password field is read without echo.
 */
import readline from 'node:readline';
import { randomUUID } from 'node:crypto';
import type { Activity } from 'botbuilder';
import { loadConfig } from '../config';
import { createApp, loadDotEnv } from '../app';
import { createLogger } from '../logger';

interface Session {
  url: string;
  close(): Promise<void>;
}

async function connect(): Promise<Session> {
  loadDotEnv();
  const url = (process.argv.find((a) => a.startsWith('--url='))?.slice(6) ?? process.env.RECLAIM_URL ?? 'http://127.0.0.1:3978').replace(/\/$/, '');
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1500) });
    if (res.ok) return { url, close: async () => {} };
  } catch {
    /* nothing there: run one here */
  }
  const config = loadConfig();
  const app = await createApp(config, { logger: createLogger('warn') });
  const local = await app.listen(0, '127.0.0.1');
  process.stdout.write(`(no bot at ${url}; started one in this process with data in ${config.dataDir})\n`);
  return { url: local, close: () => app.close() };
}

async function main(): Promise<void> {
  const session = await connect();
  const conversationId = `terminal-${randomUUID()}`;
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  let muted = false;
  const rlOut = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  const write = rlOut._writeToOutput.bind(rl);
  rlOut._writeToOutput = (s: string) => (muted && !s.startsWith('\r\n') && s !== '\n' ? write(s.replace(/[^\r\n]/g, '•')) : write(s));
  // lines are queued so piped input (a script of answers) works as well as typing
  const queued: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let ended = false;
  rl.on('line', (line) => (waiting.length ? waiting.shift()!(line) : queued.push(line)));
  rl.on('close', () => {
    ended = true;
    while (waiting.length) waiting.shift()!(null);
  });
  const ask = (prompt: string, hidden = false) =>
    new Promise<string | null>((resolve) => {
      rl.setPrompt(prompt);
      rl.prompt();
      muted = hidden;
      if (queued.length) resolve(queued.shift()!);
      else if (ended) resolve(null);
      else waiting.push(resolve);
    });

  const send = async (activity: Partial<Activity>): Promise<Partial<Activity>[]> => {
    const res = await fetch(`${session.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        channelId: 'terminal',
        serviceUrl: 'http://127.0.0.1:9/terminal',
        from: { id: 'terminal-user', name: 'You', role: 'user' },
        recipient: { id: 'reclaim', name: 'Reclaim', role: 'bot' },
        conversation: { id: conversationId },
        locale: 'en-US',
        id: randomUUID(),
        deliveryMode: 'expectReplies',
        ...activity,
      }),
    });
    if (!res.ok) throw new Error(`the bot answered HTTP ${res.status}: ${await res.text()}`);
    return ((await res.json()) as { activities?: Partial<Activity>[] }).activities ?? [];
  };

  let choices: string[] = [];
  let passwordCard = false;
  const show = (activities: Partial<Activity>[]) => {
    choices = [];
    passwordCard = false;
    for (const a of activities.filter((x) => x.type === 'message')) {
      process.stdout.write(`\nReclaim: ${(a.text ?? '').replace(/\n/g, '\n         ')}\n`);
      const card = a.attachments?.find((x) => x.contentType === 'application/vnd.microsoft.card.adaptive');
      const body = JSON.stringify(card?.content ?? {});
      if (body.includes('"style":"password"')) passwordCard = true;
      choices = (a.suggestedActions?.actions ?? []).map((x) => String(x.value ?? x.title));
      const cardActions = ((card?.content as { actions?: { title: string; data?: { action?: string } }[] })?.actions ?? []).filter((x) => x.data?.action === 'skip');
      if (cardActions.length) choices = cardActions.map((x) => x.title);
      choices.forEach((c, i) => process.stdout.write(`  ${i + 1}. ${c}\n`));
    }
  };

  process.stdout.write('Reclaim terminal chat. Type a message, a number to press a button, or /quit.\n');
  show(await send({ type: 'conversationUpdate', membersAdded: [{ id: 'terminal-user', name: 'You' }] }));
  for (;;) {
    let answer: string | null;
    if (passwordCard) {
      process.stdout.write('  (type a previous password, hidden as you type, or press Enter to skip)\n');
      answer = await ask('Password: ', true);
      muted = false;
      if (answer === null) break;
      show(await send(answer ? { type: 'message', value: { action: 'password', password: answer } } : { type: 'message', value: { action: 'skip' } }));
      continue;
    }
    answer = await ask('\nYou: ');
    if (answer === null || answer.trim() === '/quit') break;
    const n = Number(answer.trim());
    const text = Number.isInteger(n) && n >= 1 && n <= choices.length ? choices[n - 1]! : answer;
    if (text !== answer) process.stdout.write(`  > ${text}\n`);
    show(await send({ type: 'message', text }));
  }
  rl.close();
  await session.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`chat: ${(err as Error).message}\n`);
  process.exit(1);
});
