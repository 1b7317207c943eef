import * as path from 'path';
import { ChatdownError, parseChatdown } from './chatdown';
import type { BotStep, UserStep } from './types';

const FIXTURES = path.join(__dirname, 'fixtures');
const parse = (src: string) => parseChatdown(src, { file: 'inline.chat', baseDir: FIXTURES });
const errorOf = (src: string): ChatdownError => {
  try {
    parse(src);
  } catch (e) {
    return e as ChatdownError;
  }
  throw new Error('expected a parse error');
};

describe('chatdown header', () => {
  it('reads user, bot and channelId', () => {
    const t = parse('user=Sam\nbot=Reclaim\nchannelId=msteams\n\nuser: hi\n');
    expect(t.header).toEqual({ user: 'Sam', bot: 'Reclaim', channelId: 'msteams' });
    expect(t.format).toBe('chat');
    expect(t.file).toBe('inline.chat');
  });

  it('defaults names and accepts users=', () => {
    expect(parse('user: hi').header).toEqual({ user: 'user', bot: 'bot' });
    const t = parse('users=Joe,Fred\nFred: hi\nJoe: yo');
    expect(t.header.users).toEqual(['Joe', 'Fred']);
    expect(t.header.user).toBe('Joe');
    expect((t.steps[0] as UserStep).from).toBe('Fred');
    expect((t.steps[1] as UserStep).from).toBeUndefined();
  });

  it('rejects unknown header options with the line number', () => {
    const e = errorOf('user=Sam\nbto=Reclaim\nuser: hi');
    expect(e).toBeInstanceOf(ChatdownError);
    expect(e.message).toMatch(/^inline\.chat:2: unknown header option "bto"/);
  });
});

describe('chatdown turns', () => {
  it('accepts user:/bot:, configured names (any case) and bot->user, keeping line numbers', () => {
    const t = parse(['user=Sam', 'bot=Reclaim', '', 'user: one', 'SAM: two', 'bot: three', 'Reclaim: four', 'bot->Sam: five'].join('\n'));
    expect(t.steps).toEqual([
      { kind: 'user', text: 'one', line: 4 },
      { kind: 'user', text: 'two', line: 5 },
      { kind: 'bot', text: 'three', line: 6 },
      { kind: 'bot', text: 'four', line: 7 },
      { kind: 'bot', text: 'five', line: 8 },
    ]);
  });

  it('continues a turn over following lines until the next marker', () => {
    const t = parse('bot:\nYou can reset it\nyourself.\n\nDid that help?\nuser: no');
    expect(t.steps[0]).toEqual({ kind: 'bot', text: 'You can reset it\nyourself.\n\nDid that help?', line: 1 });
    expect(t.steps[1]).toEqual({ kind: 'user', text: 'no', line: 6 });
  });

  it('rejects text before the first turn', () => {
    expect(errorOf('user=Sam\nhello there\nuser: hi').message).toMatch(/^inline\.chat:2: text outside a turn/);
  });

  it('rejects an empty user turn', () => {
    expect(errorOf('user:\nbot: hi').message).toMatch(/^inline\.chat:1: empty user turn/);
  });
});

describe('chatdown commands', () => {
  it('parses suggestions, ignores [Typing]/[Delay] and drops typing-only bot turns', () => {
    const t = parse('user: hi\nbot: [Typing][Delay=3000]\nbot: [Typing]\nHello\n[Suggestions=Yes, thanks| No, I still can\'t get in ]');
    expect(t.steps).toEqual([
      { kind: 'user', text: 'hi', line: 1 },
      { kind: 'bot', text: 'Hello', suggestions: ['Yes, thanks', "No, I still can't get in"], line: 3 },
    ]);
  });

  it('rejects a non-numeric delay and unknown commands, leaving markdown links alone', () => {
    expect(errorOf('user: hi\nbot: x\n[Delay=soon]').message).toMatch(/^inline\.chat:3: \[Delay=…\] expects milliseconds/);
    expect(errorOf('user: hi\nbot: x\n[Suggestion=a|b]').message).toMatch(/^inline\.chat:3: unknown command \[Suggestion=…\]/);
    const t = parse('user: hi\nbot: see [the help page](https://example.org) [x]');
    expect((t.steps[1] as BotStep).text).toBe('see [the help page](https://example.org) [x]');
  });

  it('loads [Attachment=file.json adaptivecard] relative to the .chat file, with layout', () => {
    const t = parse('user: card\nbot: Here\n[AttachmentLayout=carousel]\n[Attachment=ticket-card.json adaptivecard]\n[Attachment=password-card.json "application/vnd.microsoft.card.adaptive"]');
    const bot = t.steps[1] as BotStep;
    expect(bot.attachmentLayout).toBe('carousel');
    expect(bot.attachments).toHaveLength(2);
    expect(bot.attachments?.[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(bot.attachments?.[0].content).toMatchObject({ type: 'AdaptiveCard', body: [{ text: 'Your ticket' }, { text: '{{ticketRef}}' }] });
    expect(bot.attachments?.[1].contentType).toBe('application/vnd.microsoft.card.adaptive');
  });

  it('infers content types and keeps URLs', () => {
    const t = parse('user: x\nbot:\n[Attachment=password-card.json]\n[Attachment=https://example.org/logo.png image/png]');
    const bot = t.steps[1] as BotStep;
    expect(bot.attachments?.[0].contentType).toBe('application/vnd.microsoft.card.adaptive'); // {"type":"AdaptiveCard"}
    expect(bot.attachments?.[1]).toEqual({ contentType: 'image/png', contentUrl: 'https://example.org/logo.png' });
    expect(bot.text).toBeUndefined();
  });

  it('reports a missing attachment file and an unknown content type with the line', () => {
    expect(errorOf('user: x\nbot: y\n[Attachment=nope.json adaptivecard]').message).toMatch(/^inline\.chat:3: attachment file not found: nope\.json/);
    expect(errorOf('user: x\nbot: y\n\n[Attachment=ticket-card.json cardy]').message).toMatch(/^inline\.chat:4: unknown content type "cardy"/);
  });

  it('builds inline hero cards compared partially', () => {
    const t = parse('user: x\nbot:\n[HeroCard\n  title=Pick one\n  image=https://example.org/a.png\n  buttons=Yes| No]');
    expect((t.steps[1] as BotStep).attachments).toEqual([
      {
        contentType: 'application/vnd.microsoft.card.hero',
        content: { title: 'Pick one', images: [{ url: 'https://example.org/a.png' }], buttons: [{ title: 'Yes' }, { title: 'No' }] },
        partial: true,
      },
    ]);
  });

  it('turns a user [Submit={json}] into a value with no text, even with brackets inside the JSON', () => {
    const t = parse('user: [Submit={"password":"hunter2"}]\nuser: [Submit={"list":[1,"]"],"ok":true}]');
    expect(t.steps).toEqual([
      { kind: 'user', value: { password: 'hunter2' }, line: 1 },
      { kind: 'user', value: { list: [1, ']'], ok: true }, line: 2 },
    ]);
  });

  it('reports invalid Submit JSON and Submit in a bot turn', () => {
    expect(errorOf('user: hi\nuser: [Submit={password:1}]').message).toMatch(/^inline\.chat:2: \[Submit=…\] needs a JSON value/);
    expect(errorOf('bot: [Submit={}]').message).toMatch(/^inline\.chat:1: \[Submit=…\] belongs in a user turn/);
  });

  it('parses [Restart] on its own line as a step that ends the previous turn', () => {
    const t = parse('user: hi\nbot: hello\n  [restart]  \nuser: again');
    expect(t.steps.map((s) => s.kind)).toEqual(['user', 'bot', 'restart', 'user']);
    expect(t.steps[2]).toEqual({ kind: 'restart', line: 3 });
    expect((t.steps[1] as BotStep).text).toBe('hello');
    expect(errorOf('user: hi\nbot: hello [Restart]').message).toMatch(/^inline\.chat:2: \[Restart\] must stand on its own line/);
  });

  it('parses [ConversationUpdate=…] on its own line (also multi-line) and in a user turn', () => {
    const t = parse('[ConversationUpdate=MembersAdded=Sam]\nbot: hi\n[ConversationUpdate=\n    MembersAdded=Joe,Susan\n    MembersRemoved=Bob]\nuser: [ConversationUpdate=MembersAdded=Sam Smith]');
    expect(t.steps).toEqual([
      { kind: 'conversationUpdate', membersAdded: ['Sam'], line: 1 },
      { kind: 'bot', text: 'hi', line: 2 },
      { kind: 'conversationUpdate', membersAdded: ['Joe', 'Susan'], membersRemoved: ['Bob'], line: 3 },
      { kind: 'conversationUpdate', membersAdded: ['Sam Smith'], line: 6 },
    ]);
  });

  it('reads a whole-line /regex/flags bot turn as a pattern, otherwise as text', () => {
    const t = parse('user: no\nbot: /.*(username|handle).*/i\n[Suggestions=a|b]\nbot:\n/not a regex/ because more');
    const rx = t.steps[1] as BotStep;
    expect(rx.pattern).toEqual(/.*(username|handle).*/i);
    expect(rx.text).toBeUndefined();
    expect(rx.suggestions).toEqual(['a', 'b']);
    expect((t.steps[2] as BotStep).text).toBe('/not a regex/ because more');
    expect(errorOf('user: x\nbot: /(/').message).toMatch(/^inline\.chat:2: invalid regular expression/);
  });

  it('keeps {{placeholders}} in bot text verbatim', () => {
    const t = parse('user: x\nbot: Your ticket is {{ticketRef}}.');
    expect((t.steps[1] as BotStep).text).toBe('Your ticket is {{ticketRef}}.');
  });
});
