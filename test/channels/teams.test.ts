import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Activity, Attachment } from 'botbuilder';
import { startTestBot, type TestBot } from '../support/app';
import { readZip } from '../../src/channels/teams/zip';

/** Teams-shaped activities through the real /api/messages endpoint, and the app package. */
const BOT = { id: '28:reclaim-bot', name: 'Reclaim', role: 'bot' };
let bot: TestBot;
let seq = 0;

beforeAll(async () => {
  bot = await startTestBot();
});
afterAll(async () => bot?.close());

function teams(conversation: string, extra: Partial<Activity>, group = false): Partial<Activity> {
  seq += 1;
  return {
    type: 'message',
    id: `teams-${Date.now()}-${seq}`,
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    from: { id: `29:user-${conversation}`, name: 'Sam Dances', aadObjectId: 'aad-1' } as Activity['from'],
    recipient: BOT as Activity['recipient'],
    conversation: { id: `a:${conversation}`, conversationType: group ? 'groupChat' : 'personal', isGroup: group, tenantId: 'tenant-1' } as Activity['conversation'],
    channelData: { tenant: { id: 'tenant-1' } },
    locale: 'en-US',
    ...extra,
  };
}

const cards = (acts: Partial<Activity>[]) => acts.flatMap((a) => a.attachments ?? []).filter((x: Attachment) => x.contentType === 'application/vnd.microsoft.card.adaptive');
const versionOk = (v: string) => Number.parseFloat(v) <= 1.5;

function expectTeamsShaped(acts: Partial<Activity>[]) {
  for (const a of acts) expect((a.suggestedActions?.actions ?? []).length).toBeLessThanOrEqual(3);
  for (const a of acts) for (const action of a.suggestedActions?.actions ?? []) expect(action.type).toBe('imBack');
  for (const c of cards(acts)) expect(versionOk((c.content as { version: string }).version)).toBe(true);
}

test('a welcome when the app is installed (the bot is the member added), with at most 3 suggested actions', async () => {
  const acts = await bot.send(teams('install', { type: 'conversationUpdate', membersAdded: [BOT as never] }));
  expect(acts.map((a) => a.text).join('\n')).toMatch(/I'm Reclaim/);
  expectTeamsShaped(acts);
  // the eight topics do not fit in Teams' three suggested actions: they are card buttons that post their title (imBack)
  const card = cards(acts)[0]!.content as { actions: { type: string; title: string; data: { msteams: { type: string; value: string } } }[] };
  expect(card.actions.length).toBeGreaterThan(3);
  for (const a of card.actions) expect(a.data.msteams).toEqual({ type: 'imBack', value: a.title });
  // another member joining a team is not greeted again
  const later = await bot.send(teams('install', { type: 'conversationUpdate', membersAdded: [{ id: '29:someone-else', name: 'Lee' } as never] }));
  expect(later).toEqual([]);
});

test('the @mention is stripped in a group chat', async () => {
  const acts = await bot.send(
    teams(
      'group-1',
      {
        text: '<at>Reclaim</at> i forgot my password',
        entities: [{ type: 'mention', mentioned: BOT, text: '<at>Reclaim</at>' } as never],
      },
      true,
    ),
  );
  expect(acts.map((a) => a.text).join('\n')).toMatch(/Forgot password/i);
  expectTeamsShaped(acts);
  // in a group chat Teams shows no suggested actions: buttons are card actions
  expect(acts.every((a) => !a.suggestedActions)).toBe(true);
});

test('a card submission arrives as value without text, and a press on a card button (imBack) as text', async () => {
  const conv = 'submit-1';
  for (const text of ['someone hacked my account', '@sam.dances', 'sam@example.com']) expectTeamsShaped(await bot.send(teams(conv, { text })));
  const askPassword = await bot.send(teams(conv, { text: 'Skip' }));
  expectTeamsShaped(askPassword);
  const card = cards(askPassword)[0]!.content as { version: string; body: { style?: string }[] };
  expect(card.body[0]!.style).toBe('password');
  // Teams posts an Action.Submit as value only
  const thanks = await bot.send(teams(conv, { value: { action: 'password', password: 'Sunset2020!' } }));
  expect(thanks.map((a) => a.text).join('\n')).toMatch(/Thanks, noted/);
  const next = await bot.send(teams(conv, { value: { action: 'skip' } }));
  expect(next.map((a) => a.text).join('\n')).toMatch(/what happened/);
  expectTeamsShaped(next);
  expect(JSON.stringify([...askPassword, ...thanks, ...next])).not.toContain('Sunset2020!');
});

test('reclaim teams-package writes the sideload zip: manifest with the bot id, 192×192 and 32×32 icons', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'reclaim-teams-')), 'pkg', 'reclaim.zip');
  const appId = '5a1e3c8e-1f0b-4c7d-9b1e-2f6a7d8c9e01';
  const env = { ...process.env, MicrosoftAppId: appId, MicrosoftAppPassword: 'not-used-here', PLATFORM_NAME: 'TikTok', NODE_OPTIONS: '--disable-warning=DEP0111' };
  const run = spawnSync(process.execPath, [path.resolve(__dirname, '../../bin/reclaim.js'), 'teams-package', '--out', out], { env, encoding: 'utf8', cwd: os.tmpdir() });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  const files = readZip(fs.readFileSync(out));
  expect([...files.keys()].sort()).toEqual(['color.png', 'manifest.json', 'outline.png']);
  const manifest = JSON.parse(files.get('manifest.json')!.toString('utf8'));
  expect(manifest.bots[0].botId).toBe(appId);
  expect(manifest.id).toBe(appId);
  expect(manifest.icons).toEqual({ color: 'color.png', outline: 'outline.png' });
  expect(manifest.name.full).toContain('TikTok');
  const size = (png: Buffer) => {
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    return [png.readUInt32BE(16), png.readUInt32BE(20)];
  };
  expect(size(files.get('color.png')!)).toEqual([192, 192]);
  expect(size(files.get('outline.png')!)).toEqual([32, 32]);

  // without the app id it says what is missing
  const missing = spawnSync(process.execPath, [path.resolve(__dirname, '../../bin/reclaim.js'), 'teams-package', '--out', out], {
    env: { ...env, MicrosoftAppId: '', MicrosoftAppPassword: '' },
    encoding: 'utf8',
    cwd: os.tmpdir(),
  });
  expect(missing.status).toBe(1);
  expect(missing.stderr).toMatch(/MicrosoftAppId/);
});
