import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseEmulatorTranscript, TranscriptFormatError } from './emulator';
import { fakeBot } from './fakeBot';
import { formatReplay, loadTranscript, replay } from './replay';
import type { BotStep } from './types';

const FIXTURE = path.join(__dirname, 'fixtures', 'sample.transcript');

describe('.transcript loading', () => {
  it('turns Emulator activities into steps, skipping trace/typing/event', () => {
    const t = loadTranscript(FIXTURE);
    expect(t.format).toBe('transcript');
    expect(t.file).toBe(FIXTURE);
    expect(t.header).toEqual({ user: 'User', bot: 'Bot', channelId: 'emulator' });
    expect(t.steps.map((s) => `${s.kind}@${s.line}`)).toEqual([
      'conversationUpdate@1',
      'bot@2',
      'user@4',
      'bot@6',
      'user@7',
      'bot@9',
      'user@10',
      'bot@11',
    ]);
    expect(t.steps[0]).toEqual({ kind: 'conversationUpdate', membersAdded: ['Bot', 'User'], line: 1 });
    expect(t.steps[2]).toEqual({ kind: 'user', text: 'hello', line: 4 });
    expect(t.steps[3]).toEqual({ kind: 'bot', text: 'Hi User!\nHow can I help?', suggestions: ['Password', 'Other'], line: 6 });
    expect(t.steps[4]).toEqual({ kind: 'user', value: { password: 'hunter2' }, line: 7 });
    const card = t.steps[7] as BotStep;
    expect(card.attachmentLayout).toBe('list');
    expect(card.attachments?.[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card.text).toBeUndefined();
  });

  it('replays a .transcript against a bot, reporting activity numbers', async () => {
    const bot = fakeBot();
    const r = await replay(loadTranscript(FIXTURE), bot);
    if (!r.ok) throw new Error(formatReplay(r));
    expect(bot.received[0].type).toBe('conversationUpdate');
    expect(bot.received[0].channelId).toBe('emulator');
    expect(bot.received[2].value).toEqual({ password: 'hunter2' });
    expect(r.captured.ticketRef).toBe('RC-ABC234');

    const edited = JSON.parse(fs.readFileSync(FIXTURE, 'utf8'));
    edited[8].text = 'Thanks!';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-'));
    const file = path.join(dir, 'edited.transcript');
    fs.writeFileSync(file, JSON.stringify(edited));
    const bad = await replay(loadTranscript(file), fakeBot());
    expect(bad.failures).toEqual([
      `${file} (activity 9): bot message 1 of 1 replying to user: [Submit={"password":"hunter2"}] (activity 7): text differs\n` +
        '  expected: Thanks!\n' +
        '  actual:   Thanks, I got a password of 7 characters.',
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('falls back to the first speaker when activities carry no roles', () => {
    const t = parseEmulatorTranscript([
      { type: 'message', from: { id: 'u' }, recipient: { id: 'b', name: 'Reclaim' }, text: 'hi' },
      { type: 'message', from: { id: 'b', name: 'Reclaim' }, text: 'hello' },
      { type: 'message', from: { id: 'u' }, text: 'bye' },
      { type: 'endOfConversation', from: { id: 'b' } },
    ]);
    expect(t.header).toEqual({ user: 'u', bot: 'Reclaim' });
    expect(t.steps.map((s) => s.kind)).toEqual(['user', 'bot', 'user']);
  });

  it('rejects what is not an activity array', () => {
    expect(() => parseEmulatorTranscript({ activities: [] }, { file: 'x.transcript' })).toThrow(TranscriptFormatError);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'harness-'));
    const file = path.join(dir, 'broken.transcript');
    fs.writeFileSync(file, '[{');
    expect(() => loadTranscript(file)).toThrow(/broken\.transcript: not valid JSON/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
