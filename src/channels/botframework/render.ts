import { ActionTypes, CardFactory, MessageFactory, type Activity, type Attachment } from 'botbuilder';
import type { OutMessage } from '../../engine/wording';
import { renderPlain } from '../plain';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
/** The highest Adaptive Card version Teams renders; every card we send stays within it. */
export const CARD_VERSION = '1.5';
/** Teams shows at most this many suggested actions (and none in group chats or channels). */
export const TEAMS_MAX_SUGGESTED = 3;

/** Channels that show suggested actions or cards; every other channel gets plain text (src/channels/plain.ts). */
export const RICH_CHANNELS = new Set(['directline', 'webchat', 'emulator', 'msteams', 'slack', 'test', 'terminal', 'telegram', 'facebook', 'line', 'kik', 'groupme']);

/** Where a reply goes: the channel decides how buttons and cards look. */
export interface RenderTarget {
  channelId: string;
  /** a group chat or team channel (Teams shows no suggested actions there) */
  isGroup?: boolean;
}

/** A reply may carry a one-time secure link for a password on channels without masked input (built by the engine). */
type WithLink = OutMessage & { passwordLink?: string };

/** The masked password field as an Adaptive Card (1.5, what Teams renders). */
export function passwordCard(m: OutMessage): Attachment {
  const input = m.passwordInput!;
  const skip = m.choices[0];
  return CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: CARD_VERSION,
    body: [{ type: 'Input.Text', id: input.id, label: input.label, style: 'password', isRequired: false, maxLength: 200 }],
    actions: [
      { type: 'Action.Submit', title: input.submit, data: { action: 'password' } },
      ...(skip ? [{ type: 'Action.Submit', title: skip.title, data: { action: 'skip' }, associatedInputs: 'none' }] : []),
    ],
  });
}

/**
 * The choices as card buttons, for Teams when there are more than it shows as
 * suggested actions (or in a group chat, where it shows none). Each button
 * posts its title back as a message (Teams' imBack), exactly like a suggested action.
 */
export function choicesCard(m: OutMessage): Attachment {
  return CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: CARD_VERSION,
    body: [],
    actions: m.choices.map((c) => ({ type: 'Action.Submit', title: c.title, data: { msteams: { type: 'imBack', value: c.title } } })),
  });
}

/** A link button for the one-time secure password form (channels without masked input). */
function linkCard(m: WithLink): Attachment {
  return CardFactory.heroCard('', undefined, [{ type: ActionTypes.OpenUrl, title: m.passwordInput?.submit ?? 'Open the secure form', value: m.passwordLink! }]);
}

/**
 * One reply as a Bot Framework activity, its text laid out for the channel:
 * Teams reads markdown (a single newline is not a line break there, so lines
 * become paragraphs); everything else gets plain text, shown with its line
 * breaks and never read as markdown (a user's own words, echoed in a summary,
 * cannot become a link or an image).
 */
export function toActivity(m: OutMessage, target: RenderTarget = { channelId: 'directline' }): Partial<Activity> {
  if (!RICH_CHANNELS.has(target.channelId)) {
    // a channel with neither suggested actions nor cards: numbered choices in the text
    return { ...MessageFactory.text(renderPlain(m), m.text, m.choices.length > 0 ? 'expectingInput' : 'acceptingInput'), textFormat: 'plain' };
  }
  const a = buildActivity(m, target);
  if (target.channelId === 'msteams') {
    if (a.text) a.text = a.text.replace(/\n+/g, '\n\n');
  } else a.textFormat = 'plain';
  return a;
}

function buildActivity(m: OutMessage, target: RenderTarget = { channelId: 'directline' }): Partial<Activity> {
  const linked = m as WithLink;
  if (m.passwordInput) {
    const a = MessageFactory.attachment(passwordCard(m), m.text);
    a.inputHint = 'expectingInput';
    return a;
  }
  if (linked.passwordLink) {
    const a = MessageFactory.attachment(linkCard(linked), m.text);
    if (m.choices.length > 0) a.suggestedActions = suggested(m.choices);
    a.inputHint = 'expectingInput';
    return a;
  }
  if (m.choices.length > 0) {
    if (target.channelId === 'msteams' && (m.choices.length > TEAMS_MAX_SUGGESTED || target.isGroup)) {
      const a = MessageFactory.attachment(choicesCard(m), m.text);
      a.inputHint = 'expectingInput';
      return a;
    }
    const a = MessageFactory.text(m.text, m.text, 'expectingInput');
    a.suggestedActions = suggested(m.choices);
    return a;
  }
  return MessageFactory.text(m.text, m.text, 'acceptingInput');
}

const suggested = (choices: OutMessage['choices']) => ({
  to: [],
  actions: choices.map((c) => ({ type: ActionTypes.ImBack, title: c.title, value: c.title })),
});
