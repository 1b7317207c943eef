import type { OutMessage } from '../../src/engine/wording';
import { toActivity } from '../../src/channels/botframework/render';
import { toSlackMessage } from '../../src/channels/slack/blocks';
import { numberedChoice, renderPlain } from '../../src/channels/plain';
import { startTestBot, userMessage, type TestBot } from '../support/app';

/** One reply, four renderings: Web Chat/Direct Line, Teams, Slack blocks, plain text. */
const topics: OutMessage = {
  key: 'fallback.topics',
  text: 'I can help with these:\n• a & b <tag>',
  choices: ['Forgot password', 'Code never came', 'Hacked', 'Deleted', 'Banned'].map((t, i) => ({ title: t, value: `v${i}` })),
};
const two: OutMessage = { key: 'guide.helped', text: 'Did that help?', choices: [{ title: 'Yes', value: 'affirm' }, { title: 'No', value: 'deny' }] };
const password: OutMessage = {
  key: 'ask.password',
  text: 'A previous password?',
  choices: [{ title: 'Skip', value: 'skip' }],
  passwordInput: { id: 'password', label: 'Previous password (optional)', submit: 'Send securely' },
};
const withLink = { ...two, key: 'ask.password_link', text: 'Use the secure page.', passwordLink: 'https://bot.example.com/secure/abc' } as OutMessage;

test('Web Chat / Direct Line: every choice as a suggested action, plain text, the masked card', () => {
  const a = toActivity(topics, { channelId: 'directline' });
  expect(a.suggestedActions?.actions).toHaveLength(5);
  expect(a.suggestedActions?.actions.every((x) => x.type === 'imBack')).toBe(true);
  expect(a.textFormat).toBe('plain');
  const card = toActivity(password, { channelId: 'webchat' }).attachments![0]!.content;
  expect(card.version).toBe('1.5');
  expect(card.body[0]).toMatchObject({ type: 'Input.Text', style: 'password' });
});

test('Teams: three or fewer as imBack suggested actions, more (or any in a group) as 1.5 card buttons posting their title', () => {
  expect(toActivity(two, { channelId: 'msteams' }).suggestedActions?.actions).toHaveLength(2);
  const many = toActivity(topics, { channelId: 'msteams' });
  expect(many.suggestedActions).toBeUndefined();
  const card = many.attachments![0]!.content;
  expect(card.version).toBe('1.5');
  expect(card.actions.map((x: { data: { msteams: { value: string } } }) => x.data.msteams.value)).toEqual(topics.choices.map((c) => c.title));
  const group = toActivity(two, { channelId: 'msteams', isGroup: true });
  expect(group.suggestedActions).toBeUndefined();
  expect(group.attachments).toHaveLength(1);
  // Teams reads markdown: a line break becomes a paragraph break
  expect(many.text).toBe('I can help with these:\n\n• a & b <tag>');
});

test('Slack: a mrkdwn section (escaped) and buttons carrying the choice value; the secure link as a link button', () => {
  const s = toSlackMessage(topics);
  expect(s.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'I can help with these:\n• a &amp; b &lt;tag&gt;' } });
  const buttons = (s.blocks[1] as unknown as { elements: { value: string; text: { text: string } }[] }).elements;
  expect(buttons.map((b) => [b.text.text, b.value])).toEqual(topics.choices.map((c) => [c.title, c.value]));
  const linked = toSlackMessage(withLink);
  expect(JSON.stringify(linked.blocks)).toContain('"url":"https://bot.example.com/secure/abc"');
  // a password field is never drawn on Slack
  expect(JSON.stringify(toSlackMessage(password))).not.toMatch(/input|password"/i);
});

test('plain text: numbered choices, a typed number picks one', () => {
  expect(renderPlain(two)).toBe('Did that help?\n\n1. Yes\n2. No');
  expect(renderPlain(withLink)).toContain('https://bot.example.com/secure/abc');
  expect(numberedChoice('2', two.choices)).toEqual({ title: 'No', value: 'deny' });
  expect(numberedChoice(' #1 ', two.choices)?.title).toBe('Yes');
  expect(numberedChoice('3', two.choices)).toBeUndefined();
  expect(numberedChoice('my number is 2', two.choices)).toBeUndefined();
  const a = toActivity(topics, { channelId: 'sms' });
  expect(a.suggestedActions).toBeUndefined();
  expect(a.text).toContain('3. Hacked');
});

describe('a plain-text channel through the real endpoint', () => {
  let bot: TestBot;
  beforeAll(async () => {
    bot = await startTestBot();
  });
  afterAll(async () => bot?.close());

  test('choices arrive numbered and a typed number is understood', async () => {
    const first = await bot.send(userMessage('sms-1', 'hello there', { channelId: 'sms' }));
    const text = first.map((a) => a.text).join('\n');
    const hacked = /(\d+)\. My account was hacked/.exec(text);
    expect(hacked).not.toBeNull();
    expect(first.every((a) => !a.suggestedActions && !(a.attachments ?? []).length)).toBe(true);
    const next = await bot.send(userMessage('sms-1', hacked![1]!, { channelId: 'sms' }));
    expect(next.map((a) => a.text).join('\n')).toMatch(/act fast/);
  });
});
