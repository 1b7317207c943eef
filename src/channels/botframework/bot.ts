import { ActivityTypes, TurnContext, type Activity } from 'botbuilder';
import type { Engine, TurnInput } from '../../engine/turn';
import type { StoredConversationRef } from '../../tickets';
import { canMaskInput } from '../capabilities';
import { toActivity } from './render';

/** The Bot Framework side of a turn: activity in, engine, activities out. Nothing else. */
export class ReclaimBot {
  constructor(private readonly engine: Engine) {}

  async run(context: TurnContext): Promise<void> {
    const input = this.toInput(context);
    if (!input) return;
    const { messages } = await this.engine.handle(input);
    if (messages.length > 0) await context.sendActivities(messages.map(toActivity));
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
      const joined = (a.membersAdded ?? []).some((m) => m.id !== a.recipient?.id);
      if (joined) return { ...base, kind: 'welcome', activityId: a.id ? `welcome:${a.id}` : undefined };
    }
    return undefined;
  }
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
