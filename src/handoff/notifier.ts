import type { CloudAdapter, ConversationReference } from 'botbuilder';
import type { OutMessage } from '../engine/wording';
import type { StoredConversationRef } from '../tickets';
import { toActivity } from '../channels/botframework/render';

export type Deliver = (ref: StoredConversationRef, messages: OutMessage[]) => Promise<void>;

/**
 * Sends messages to a user outside their own turn (an agent's answer, the
 * next question after the secure form), in the conversation they started.
 * Bot Framework channels by default (continueConversationAsync on the stored
 * reference); a channel with its own API (native Slack) registers its own.
 */
export class Notifier {
  private readonly channels = new Map<string, Deliver>();

  constructor(
    private readonly adapter: CloudAdapter,
    private readonly botAppId: string,
  ) {}

  register(channelId: string, deliver: Deliver): void {
    this.channels.set(channelId, deliver);
  }

  async deliver(ref: StoredConversationRef, messages: OutMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const own = this.channels.get(ref.channelId);
    if (own) return own(ref, messages);
    await this.adapter.continueConversationAsync(this.botAppId, toConversationReference(ref), async (context) => {
      await context.sendActivities(messages.map((m) => toActivity(m, { channelId: ref.channelId })));
    });
  }
}

/** A stored reference as botbuilder's ConversationReference, for continueConversationAsync. */
export function toConversationReference(ref: StoredConversationRef): Partial<ConversationReference> {
  return {
    channelId: ref.channelId,
    serviceUrl: ref.serviceUrl,
    conversation: { id: ref.conversation.id, isGroup: ref.conversation.isGroup ?? false, conversationType: ref.conversation.conversationType ?? '', tenantId: ref.conversation.tenantId, name: '' },
    user: { id: ref.user.id, name: ref.user.name ?? '' },
    bot: { id: ref.bot.id, name: ref.bot.name ?? '' },
    locale: ref.locale,
  };
}
