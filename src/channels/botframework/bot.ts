import { randomUUID } from 'node:crypto';
import { ActivityTypes, HandoffEventNames, TurnContext, type Activity } from 'botbuilder';
import type { Engine, HandoffInfo, TurnInput } from '../../engine/turn';
import type { StoredConversationRef } from '../../tickets';
import { canMaskInput } from '../capabilities';
import type { OutMessage } from '../../engine/wording';
import { numberedChoice } from '../plain';
import { RICH_CHANNELS, toActivity } from './render';

/** The Bot Framework side of a turn: activity in, engine, activities out. Nothing else. */
export class ReclaimBot {
  constructor(private readonly engine: Engine) {}

  /** the choices last offered on plain-text channels, to read a typed number (bounded, in memory) */
  private readonly offered = new Map<string, OutMessage['choices']>();

  private remember(key: string, choices: OutMessage['choices']): void {
    this.offered.delete(key);
    if (choices.length > 0) this.offered.set(key, choices);
    if (this.offered.size > 10_000) this.offered.delete(this.offered.keys().next().value!);
  }

  async run(context: TurnContext): Promise<void> {
    const input = this.toInput(context);
    if (!input) return;
    const plainKey = RICH_CHANNELS.has(input.channelId) ? undefined : `${input.channelId}/${input.conversationId}`;
    if (plainKey && input.text) {
      // plain-text channels show choices numbered: "2" means the second one offered
      const picked = numberedChoice(input.text, this.offered.get(plainKey) ?? []);
      if (picked) input.text = picked.title;
    }
    const { messages, handoff } = await this.engine.handle(input);
    if (plainKey) this.remember(plainKey, [...messages].reverse().find((m) => m.choices.length > 0)?.choices ?? []);
    const target = { channelId: context.activity.channelId, isGroup: context.activity.conversation?.isGroup === true };
    if (messages.length > 0) await context.sendActivities(messages.map((m) => toActivity(m, target)));
    // for channels that route to an agent hub: the Bot Framework handoff event, with the redacted transcript
    if (handoff) await context.sendActivity(handoffEvent(context, handoff));
  }

  private toInput(context: TurnContext): TurnInput | undefined {
    const a = context.activity;
    const base = {
      channelId: a.channelId,
      conversationId: a.conversation.id,
      userId: a.from?.id ?? 'unknown',
      activityId: a.id,
      canMask: canMaskInput(a.channelId),
      conversationRef: storedRef(a),
    };
    if (a.type === ActivityTypes.Message) {
      // in Teams group chats the text carries the bot's @mention
      const text = a.recipient ? TurnContext.removeRecipientMention(a as Activity) : a.text;
      return { ...base, kind: 'message', text: (text ?? a.text ?? '').trim(), value: a.value };
    }
    if (a.type === ActivityTypes.ConversationUpdate) {
      const added = a.membersAdded ?? [];
      // Teams: a welcome when the app is installed (the bot is the member added), not each time someone joins a team;
      // elsewhere: when the user joins the conversation
      const joined = a.channelId === 'msteams' ? added.some((m) => m.id === a.recipient?.id) : added.some((m) => m.id !== a.recipient?.id);
      if (joined) return { ...base, kind: 'welcome', activityId: a.id ? `welcome:${a.id}` : undefined };
    }
    return undefined;
  }
}

/** the process's time zone, for handoff events (botbuilder's EventFactory asks Intl for it on every event, which is slow) */
const LOCAL_TIMEZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The Bot Framework handoff.initiate event, as EventFactory.createHandoffInitiation builds it, with the redacted transcript. */
function handoffEvent(context: TurnContext, h: HandoffInfo): Partial<Activity> {
  const a = context.activity;
  const activities = h.transcript.map(
    (l) =>
      ({
        type: ActivityTypes.Message,
        text: l.text,
        timestamp: new Date(l.at),
        from: l.role === 'user' ? { id: a.from?.id ?? 'user', name: 'user', role: 'user' } : { id: a.recipient?.id ?? 'bot', name: 'bot', role: 'bot' },
      }) as Activity,
  );
  return {
    type: ActivityTypes.Event,
    name: HandoffEventNames.InitiateHandoff,
    value: { ticket: h.ref, category: h.category, priority: h.priority },
    id: randomUUID(),
    timestamp: new Date(),
    localTimezone: LOCAL_TIMEZONE,
    conversation: a.conversation,
    from: a.from,
    relatesTo: TurnContext.getConversationReference(a) as Activity['relatesTo'],
    replyToId: a.id,
    serviceUrl: a.serviceUrl,
    channelId: a.channelId,
    attachments: [{ content: { activities }, contentType: 'application/json', name: 'Transcript' }],
    entities: [],
  };
}

function storedRef(a: Partial<Activity>): StoredConversationRef {
  const ref = TurnContext.getConversationReference(a);
  return {
    channelId: ref.channelId ?? a.channelId ?? 'unknown',
    serviceUrl: ref.serviceUrl ?? '',
    conversation: {
      id: ref.conversation?.id ?? '',
      ...(ref.conversation?.tenantId ? { tenantId: ref.conversation.tenantId } : {}),
      ...(ref.conversation?.isGroup !== undefined ? { isGroup: ref.conversation.isGroup } : {}),
      ...(ref.conversation?.conversationType ? { conversationType: ref.conversation.conversationType } : {}),
    },
    user: { id: ref.user?.id ?? '', ...(ref.user?.name ? { name: ref.user.name } : {}) },
    bot: { id: ref.bot?.id ?? '', ...(ref.bot?.name ? { name: ref.bot.name } : {}) },
    ...(ref.locale ? { locale: ref.locale } : {}),
  };
}
