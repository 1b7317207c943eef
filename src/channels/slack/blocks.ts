import type { OutMessage } from '../../engine/wording';

/** A reply may carry a one-time secure link for a password (channels without masked input). */
type WithLink = OutMessage & { passwordLink?: string };

// a minimal Block Kit shape: what we send
export interface SlackBlock {
  type: string;
  [k: string]: unknown;
}
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's mrkdwn treats &, < and > as control characters. */
export const escapeMrkdwn = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const plain = (text: string, max = 75) => ({ type: 'plain_text', text: text.length > max ? `${text.slice(0, max - 1)}…` : text, emoji: true });

export const CHOICE_ACTION = 'reclaim_choice';
export const LINK_ACTION = 'reclaim_password_link';

/**
 * One reply as a Slack message: the text as a section, buttons as an actions
 * block (a button's value is the choice's value), the secure password link as
 * a link button. Slack cannot mask input: a password field is never rendered.
 */
export function toSlackMessage(m: OutMessage): SlackMessage {
  const linked = m as WithLink;
  const text = m.text.slice(0, 2900);
  const blocks: SlackBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text: escapeMrkdwn(text) } }];
  if (linked.passwordLink) {
    blocks.push({
      type: 'actions',
      block_id: 'password_link',
      elements: [{ type: 'button', action_id: LINK_ACTION, text: plain(m.passwordInput?.submit ?? 'Open the secure form'), url: linked.passwordLink, style: 'primary' }],
    });
  }
  // (an actions block holds at most 25 elements)
  for (let i = 0; i < m.choices.length; i += 25) {
    blocks.push({
      type: 'actions',
      block_id: `choices_${i / 25}`,
      elements: m.choices.slice(i, i + 25).map((c, j) => ({
        type: 'button',
        action_id: `${CHOICE_ACTION}_${i + j}`,
        text: plain(c.title),
        value: c.value.slice(0, 2000),
      })),
    });
  }
  return { text, blocks };
}
