import * as path from 'path';
import type { Activity } from 'botbuilder';
import { parseChatdown } from './chatdown';
import { fakeBot, scripted, ticketCard } from './fakeBot';
import { assertReplayOk, formatReplay, loadTranscript, replay, replayFile } from './replay';

const FIXTURES = path.join(__dirname, 'fixtures');
const chat = (src: string) => parseChatdown(src, { file: 'case.chat', baseDir: FIXTURES });
const msg = (text: string, extra: Partial<Activity> = {}): Partial<Activity> => ({ type: 'message', text, ...extra });

describe('replay against the fake bot', () => {
  it('replays the full fixture: greeting, wrapped text, suggestions, placeholders, cards, submit, regex, restart', async () => {
    const bot = fakeBot();
    const result = await replayFile(path.join(FIXTURES, 'fakebot.chat'), bot);
    if (!result.ok) throw new Error(formatReplay(result));
    expect(result.captured).toEqual({ ticketRef: 'RC-ABC234', restarts: '1' });
    expect(bot.restarts).toBe(1);
    // the user turn after [Restart] had {{ticketRef}} filled in
    expect(bot.received[bot.received.length - 1].text).toBe('status RC-ABC234');
    expect(result.log[0]).toEqual({ role: 'user', type: 'conversationUpdate' });
    expect(result.log).toContainEqual({ role: 'user', type: 'restart' });
    expect(result.log).toContainEqual({ role: 'user', value: { password: 'hunter2' } });
    expect(result.log).toContainEqual({ role: 'bot', text: 'Hi Sam!\nHow can I help?', suggestions: ['Password', 'Other'] });
  });

  it('builds realistic activities', async () => {
    const bot = fakeBot();
    await replay(chat('user=Sam\nbot=Reclaim\nuser: hello\nbot: Hi Sam!\nHow can I help?\n[Suggestions=Password|Other]\nuser: x\nbot: You said: x'), bot, {
      conversationId: 'conv-1',
    });
    const [a, b] = bot.received;
    expect(a).toMatchObject({
      type: 'message',
      text: 'hello',
      channelId: 'test',
      locale: 'en-US',
      from: { id: 'user-Sam', name: 'Sam', role: 'user' },
      recipient: { name: 'Reclaim', role: 'bot' },
      conversation: { id: 'conv-1' },
    });
    expect(a.timestamp).toBeInstanceOf(Date);
    expect(typeof a.id).toBe('string');
    expect(a.id).not.toBe(b.id);
    expect(b.conversation?.id).toBe('conv-1');
  });

  it('takes channelId from the header, then opts, then "test"', async () => {
    const b1 = fakeBot();
    await replay(chat('channelId=msteams\nuser: x\nbot: You said: x'), b1, { channelId: 'webchat' });
    expect(b1.received[0].channelId).toBe('msteams');
    const b2 = fakeBot();
    await replay(chat('user: x\nbot: You said: x'), b2, { channelId: 'webchat' });
    expect(b2.received[0].channelId).toBe('webchat');
  });

  it('sends [Submit={json}] as value with no text', async () => {
    const bot = fakeBot();
    const r = await replay(chat('user: [Submit={"password":"hunter2"}]\nbot: Thanks, I got a password of 7 characters.'), bot);
    expect(r.ok).toBe(true);
    expect(bot.received[0].type).toBe('message');
    expect(bot.received[0].value).toEqual({ password: 'hunter2' });
    expect(bot.received[0].text).toBeUndefined();
  });

  it('calls driver.restart() at the [Restart] line, between the right turns', async () => {
    const calls: string[] = [];
    const driver = {
      async send(a: Partial<Activity>) {
        calls.push(`send ${a.text}`);
        return [msg(`You said: ${a.text}`)];
      },
      async restart() {
        calls.push('restart');
      },
    };
    const r = await replay(chat('user: a\nbot: You said: a\n[Restart]\nuser: b\nbot: You said: b'), driver);
    expect(r.ok).toBe(true);
    expect(calls).toEqual(['send a', 'restart', 'send b']);
  });

  it('sends an implicit conversationUpdate when the transcript opens with the bot', async () => {
    const bot = fakeBot();
    const r = await replay(chat('user=Sam\nbot=Reclaim\nbot: Welcome! I am Reclaim.\nuser: x\nbot: You said: x'), bot);
    expect(r.ok).toBe(true);
    expect(bot.received[0].type).toBe('conversationUpdate');
    expect(bot.received[0].membersAdded?.map((m) => m.name)).toEqual(['Reclaim', 'Sam']);
  });
});

describe('text matching', () => {
  it('normalises whitespace so authors can wrap long lines', async () => {
    const r = await replay(chat('user: x\nbot:   You   can reset it\n   yourself in the app.  '), scripted([msg('You can reset it yourself\n\nin the app.')]));
    expect(r.failures).toEqual([]);
  });

  it('reports a text mismatch with file, line, expected and actual', async () => {
    const r = await replay(chat('user=Sam\nbot=Reclaim\n\nuser: i forgot my password\nbot: You can reset it\nyourself.'), scripted([msg("Sorry, I didn't get that.")]));
    expect(r.ok).toBe(false);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toBe(
      'case.chat:5: bot message 1 of 1 replying to user: "i forgot my password" (line 4): text differs\n' +
        '  expected: You can reset it yourself.\n' +
        "  actual:   Sorry, I didn't get that.",
    );
  });

  it('captures {{ticketRef}} and requires later occurrences to be equal', async () => {
    const ok = await replay(
      chat('user: a\nbot: Ticket {{ticketRef}} opened.\nuser: b\nbot: Still {{ticketRef}}.'),
      scripted([msg('Ticket RC-ABC234 opened.')], [msg('Still RC-ABC234.')]),
    );
    expect(ok.failures).toEqual([]);
    expect(ok.captured.ticketRef).toBe('RC-ABC234');

    const bad = await replay(
      chat('user: a\nbot: Ticket {{ticketRef}} opened.\nuser: b\nbot: Still {{ticketRef}}.'),
      scripted([msg('Ticket RC-ABC234 opened.')], [msg('Still RC-XYZ789.')]),
    );
    expect(bad.failures).toHaveLength(1);
    expect(bad.failures[0]).toMatch(/^case\.chat:4: .*text differs\n  expected: Still \{\{ticketRef\}\}\.\n  actual:   Still RC-XYZ789\.\n  \(already captured: \{\{ticketRef\}\}=RC-ABC234\)/);
  });

  it('enforces the ticketRef alphabet; other placeholders match any non-space run', async () => {
    const r1 = await replay(chat('user: a\nbot: Ref {{ticketRef}}'), scripted([msg('Ref RC-AB0234')])); // 0 is not in the alphabet
    expect(r1.ok).toBe(false);
    const r2 = await replay(chat('user: a\nbot: Hello {{name}}, code {{code}}!'), scripted([msg('Hello Sam, code 12-ab!')]));
    expect(r2.failures).toEqual([]);
    expect(r2.captured).toEqual({ name: 'Sam', code: '12-ab' });
  });

  it('requires a placeholder repeated within one message to be the same value', async () => {
    const t = chat('user: a\nbot: {{x}} and {{x}}');
    expect((await replay(t, scripted([msg('A and A')]))).ok).toBe(true);
    expect((await replay(t, scripted([msg('A and B')]))).ok).toBe(false);
  });

  it('accepts extra placeholder patterns through options', async () => {
    const t = chat('user: a\nbot: Case {{caseId}}');
    expect((await replay(t, scripted([msg('Case C-12')]), { placeholders: { caseId: /C-\d+/ } })).ok).toBe(true);
    expect((await replay(t, scripted([msg('Case X-12')]), { placeholders: { caseId: 'C-\\d+' } })).ok).toBe(false);
  });

  it('matches /regex/ turns against the normalised text and captures named groups', async () => {
    const t = chat('user: no\nbot: /.*(username|handle).*/\nuser: x\nbot: /ticket (?<ticketRef>RC-\\w+)/\nuser: y\nbot: Again {{ticketRef}}');
    const r = await replay(t, scripted([msg('What is your\nusername?')], [msg('Your ticket RC-QQQQQQ is open')], [msg('Again RC-QQQQQQ')]));
    expect(r.failures).toEqual([]);
    expect(r.captured.ticketRef).toBe('RC-QQQQQQ');

    const bad = await replay(chat('user: no\nbot: /^Which (username|handle)\\?$/'), scripted([msg('What is your email?')]));
    expect(bad.failures[0]).toMatch(/^case\.chat:2: .*text does not match\n  expected: \/\^Which \(username\|handle\)\\\?\$\/\n  actual:   What is your email\?/);
  });

  it('fills {{placeholders}} in user text and reports ones never captured', async () => {
    const bot = scripted([msg('x')]);
    const r = await replay(chat('user: status {{ticketRef}}\nbot: x'), bot);
    expect(r.failures[0]).toMatch(/^case\.chat:1: user turn uses \{\{ticketRef\}\} but no earlier bot message captured it/);
    expect(bot.received[0].text).toBe('status {{ticketRef}}');
  });

  it('expects no text when the transcript gives none', async () => {
    const r = await replay(chat('user: a\nbot: [Suggestions=Yes|No]'), scripted([msg('Pick', { suggestedActions: { to: [], actions: [{ type: 'imBack', title: 'Yes', value: 'Yes' }, { type: 'imBack', title: 'No', value: 'No' }] } })]));
    expect(r.failures).toEqual(['case.chat:2: bot message 1 of 1 replying to user: "a" (line 1): expected no text\n  actual:   Pick']);
  });
});

describe('suggestions, counts and attachments', () => {
  const withSuggestions = (...titles: string[]) =>
    msg('Did that help?', { suggestedActions: { to: [], actions: titles.map((title) => ({ type: 'imBack', title, value: title })) } });

  it('reports a suggestions mismatch with the line number', async () => {
    const t = chat('user=Sam\nbot=Reclaim\nuser: hi\nbot: Did that help?\n[Suggestions=Yes, thanks|No, I still can\'t get in]');
    expect((await replay(t, scripted([withSuggestions('Yes, thanks', "No, I still can't get in")]))).ok).toBe(true);
    const r = await replay(t, scripted([withSuggestions('No, I still can\'t get in', 'Yes, thanks')]));
    expect(r.failures).toEqual([
      'case.chat:4: bot message 1 of 1 replying to user: "hi" (line 3): suggestions differ\n' +
        "  expected: [Suggestions=Yes, thanks|No, I still can't get in]\n" +
        "  actual:   [Suggestions=No, I still can't get in|Yes, thanks]",
    ]);
    const none = await replay(chat('user: hi\nbot: Did that help?'), scripted([withSuggestions('Yes')]));
    expect(none.failures[0]).toMatch(/suggestions differ\n  expected: \(no suggestions\)\n  actual:   \[Suggestions=Yes\]/);
  });

  it('reports extra bot messages, ignoring typing/trace/event', async () => {
    const r = await replay(
      chat('user: hi\nbot: one'),
      scripted([{ type: 'typing' }, msg('one'), { type: 'trace' }, { type: 'event', name: 'e' }, msg('two', { suggestedActions: { to: [], actions: [{ type: 'imBack', title: 'A', value: 'A' }] } })]),
    );
    expect(r.failures).toEqual(['case.chat:1: unexpected extra bot message 2 replying to user: "hi" (line 1) (the transcript expects 1)\n  actual:   two [Suggestions=A]']);
  });

  it('reports missing bot messages, and silence when a reply was expected', async () => {
    const r = await replay(chat('user: hi\nbot: one\nbot: two\nuser: again\nbot: three'), scripted([msg('one')], []));
    expect(r.failures).toHaveLength(2);
    expect(r.failures[0]).toMatch(/^case\.chat:3: bot message 2 of 2 replying to user: "hi" \(line 1\) never came \(the bot sent 1 message;.*\)\n  expected: two$/);
    expect(r.failures[1]).toMatch(/^case\.chat:5: bot message 1 of 1 replying to user: "again" \(line 4\) never came \(the bot sent 0 messages/);
  });

  it('expects silence between two consecutive user turns', async () => {
    const r = await replay(chat('user: a\nuser: b'), scripted([msg('oops')], []));
    expect(r.failures).toEqual(['case.chat:1: unexpected extra bot message 1 replying to user: "a" (line 1) (the transcript expects 0)\n  actual:   oops']);
  });

  it('compares attachments: content type, deep content with placeholders, count and layout', async () => {
    const t = chat('user: card\nbot:\n[Attachment=ticket-card.json adaptivecard]');
    const card = (content: unknown, extra: Partial<Activity> = {}) =>
      scripted([{ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content }], ...extra }]);

    const ok = await replay(t, card(ticketCard('RC-ABC234')));
    expect(ok.failures).toEqual([]);
    expect(ok.captured.ticketRef).toBe('RC-ABC234');

    const changed = ticketCard('RC-ABC234');
    changed.body[0].text = 'Your tikcet';
    const r1 = await replay(t, card(changed));
    expect(r1.failures[0]).toMatch(/^case\.chat:2: .*attachment 1 differs\n  attachment 1 content\.body\[0\]\.text: expected "Your ticket", actual "Your tikcet"/);

    const extraKey = { ...ticketCard('RC-ABC234'), speak: 'hi' };
    expect((await replay(t, card(extraKey))).failures[0]).toMatch(/content\.speak: unexpected property "hi"/);

    const r2 = await replay(t, scripted([{ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.hero', content: {} }] }]));
    expect(r2.failures[0]).toMatch(/attachment 1 content type differs\n  expected: application\/vnd\.microsoft\.card\.adaptive\n  actual:   application\/vnd\.microsoft\.card\.hero/);

    const r3 = await replay(t, scripted([msg('no card')]));
    expect(r3.failures[0]).toMatch(/expected no text\n  actual:   no card\n  and attachment count differs\n  expected: 1 \(application\/vnd\.microsoft\.card\.adaptive\)\n  actual:   0 \(none\)/);

    const layout = await replay(chat('user: card\nbot:\n[AttachmentLayout=carousel]\n[Attachment=ticket-card.json adaptivecard]'), card(ticketCard('RC-ABC234')));
    expect(layout.failures[0]).toMatch(/attachment layout differs\n  expected: carousel\n  actual:   list/);
  });

  it('compares inline hero cards on the properties written only', async () => {
    const t = chat('user: x\nbot:\n[HeroCard\n title=Pick one\n buttons=Yes|No]');
    const hero = (buttons: string[]) =>
      scripted([
        {
          type: 'message',
          attachments: [
            {
              contentType: 'application/vnd.microsoft.card.hero',
              content: { title: 'Pick one', subtitle: 'extra is fine', buttons: buttons.map((b) => ({ type: 'imBack', title: b, value: b })) },
            },
          ],
        },
      ]);
    expect((await replay(t, hero(['Yes', 'No']))).failures).toEqual([]);
    expect((await replay(t, hero(['Yes']))).failures[0]).toMatch(/content\.buttons: expected 2 item\(s\), actual 1/);
  });
});

describe('robustness', () => {
  it('reports a bot that throws and stops', async () => {
    const bot = fakeBot();
    const r = await replay(chat('user: throw\nbot: x\nuser: hello'), bot);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatch(/^case\.chat:1: the bot threw while handling user: "throw" \(line 1\)\n  Error: boom/);
    expect(bot.received).toHaveLength(1);
  });

  it('reports a failing restart and stops', async () => {
    const driver = { send: async () => [msg('ok')], restart: async () => Promise.reject(new Error('db locked')) };
    const r = await replay(chat('user: a\nbot: ok\n[Restart]\nuser: b\nbot: ok'), driver);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatch(/^case\.chat:3: \[Restart\] failed: Error: db locked/);
  });

  it('reports bot messages that follow [Restart] with no user turn', async () => {
    const r = await replay(chat('user: a\nbot: ok\n[Restart]\nbot: Welcome back'), scripted([msg('ok')]));
    expect(r.failures).toEqual([
      'case.chat:4: bot message expected but nothing was sent to the bot to answer (after [Restart] at line 3, the bot only replies to a user turn)\n  expected: Welcome back',
    ]);
  });

  it('keeps going after a failure by default and stops with bail', async () => {
    const t = chat('user: a\nbot: A\nuser: b\nbot: B');
    const all = await replay(t, scripted([msg('x')], [msg('y')]));
    expect(all.failures).toHaveLength(2);
    const bailed = await replay(t, scripted([msg('x')], [msg('y')]), { bail: true });
    expect(bailed.failures).toHaveLength(1);
  });

  it('formats and asserts results for jest', async () => {
    const r = await replay(chat('user: a\nbot: A'), scripted([msg('x')]));
    expect(formatReplay(r)).toContain('Conversation as replayed:\n  user: a\n  bot: x');
    expect(() => assertReplayOk(r)).toThrow(/case\.chat:2: .*text differs/);
  });

  it('rejects unknown transcript extensions', () => {
    expect(() => loadTranscript('x.txt')).toThrow(/unknown transcript type "\.txt"/);
  });
});
