/**
 * A tiny in-memory fake bot used only by the harness's own unit tests.
 * It is NOT Reclaim: just enough behaviour to exercise every harness feature.
 */
import type { Activity } from 'botbuilder';
import type { ReplayDriver } from './replay';

export interface FakeBot extends ReplayDriver {
  received: Partial<Activity>[];
  restarts: number;
}

const TICKET = 'RC-ABC234';

export function ticketCard(ref: string) {
  return {
    type: 'AdaptiveCard',
    version: '1.5',
    body: [
      { type: 'TextBlock', text: 'Your ticket', weight: 'Bolder' },
      { type: 'TextBlock', text: ref },
    ],
  };
}

export function passwordCard() {
  return {
    type: 'AdaptiveCard',
    version: '1.5',
    body: [{ type: 'Input.Text', id: 'password', style: 'Password' }],
    actions: [{ type: 'Action.Submit', title: 'Send' }],
  };
}

const msg = (text: string, extra: Partial<Activity> = {}): Partial<Activity> => ({ type: 'message', text, ...extra });

export function fakeBot(): FakeBot {
  const bot: FakeBot = {
    received: [],
    restarts: 0,
    async send(a) {
      bot.received.push(a);
      if (a.type === 'conversationUpdate') {
        const humans = (a.membersAdded ?? []).filter((m) => m.id !== a.recipient?.id);
        return humans.length ? [msg('Welcome! I am Reclaim.')] : [];
      }
      const value = a.value as { password?: string } | undefined;
      if (value?.password !== undefined) {
        return [{ type: 'trace', name: 'debug' }, msg(`Thanks, I got a password of ${value.password.length} characters.`)];
      }
      const text = (a.text ?? '').trim();
      const name = a.from?.name ?? 'there';
      if (text === 'hello') {
        return [
          { type: 'typing' },
          msg(`Hi ${name}!\nHow can I help?`, {
            suggestedActions: {
              to: [],
              actions: [
                { type: 'imBack', title: 'Password', value: 'Password' },
                { type: 'imBack', title: 'Other', value: 'Other' },
              ],
            },
          }),
        ];
      }
      if (text === 'ticket') {
        return [
          { type: 'trace', name: 'x' },
          msg(`Your ticket is ${TICKET}. Keep it.`),
          { type: 'event', name: 'handoff.status' },
          msg('Anything else?'),
        ];
      }
      if (text === 'card') {
        return [
          {
            type: 'message',
            attachmentLayout: 'list',
            attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: ticketCard(TICKET) }],
          },
        ];
      }
      if (text === 'password') {
        return [
          msg('Type it in the box.', {
            attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: passwordCard() }],
          }),
        ];
      }
      const status = /^status (\S+)$/.exec(text);
      if (status) return [msg(`Ticket ${status[1]} is open (restarts: ${bot.restarts}).`)];
      if (text === 'throw') throw new Error('boom');
      return [msg(`You said: ${text}`)];
    },
    async restart() {
      bot.restarts++;
    },
  };
  return bot;
}

/** A driver that answers every send with the next scripted list of replies. */
export function scripted(...turns: Partial<Activity>[][]): FakeBot {
  let k = 0;
  const bot: FakeBot = {
    received: [],
    restarts: 0,
    async send(a) {
      bot.received.push(a);
      return turns[k++] ?? [];
    },
    async restart() {
      bot.restarts++;
    },
  };
  return bot;
}
