import { ActionTypes, CardFactory, MessageFactory, type Activity, type Attachment } from 'botbuilder';
import type { OutMessage } from '../../engine/wording';

export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';

/** The masked password field as an Adaptive Card (1.5, what Teams renders). */
export function passwordCard(m: OutMessage): Attachment {
  const input = m.passwordInput!;
  const skip = m.choices[0];
  return CardFactory.adaptiveCard({
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [{ type: 'Input.Text', id: input.id, label: input.label, style: 'password', isRequired: false, maxLength: 200 }],
    actions: [
      { type: 'Action.Submit', title: input.submit, data: { action: 'password' } },
      ...(skip ? [{ type: 'Action.Submit', title: skip.title, data: { action: 'skip' }, associatedInputs: 'none' }] : []),
    ],
  });
}

/** One reply as a Bot Framework activity: text, suggested actions (imBack), or a card for a masked input. */
export function toActivity(m: OutMessage): Partial<Activity> {
  if (m.passwordInput) {
    const a = MessageFactory.attachment(passwordCard(m), m.text);
    a.inputHint = 'expectingInput';
    return a;
  }
  if (m.choices.length > 0) {
    const a = MessageFactory.text(m.text, m.text, 'expectingInput');
    a.suggestedActions = { to: [], actions: m.choices.map((c) => ({ type: ActionTypes.ImBack, title: c.title, value: c.title })) };
    return a;
  }
  return MessageFactory.text(m.text, m.text, 'acceptingInput');
}
