import type { Activity, ChannelAccount } from 'botbuilder';
import { randomId, type TokenIssuer } from './tokens';

/** One Direct Line conversation as the local service keeps it: the activities in order, the watermark is an index. */
export interface DlConversation {
  id: string;
  userId: string;
  userName?: string;
  locale?: string;
  /** activities[i] has watermark `base + i + 1`; older ones are dropped past MAX_ACTIVITIES */
  activities: Partial<Activity>[];
  base: number;
  lastActive: number;
}

const MAX_ACTIVITIES = 300;
const MAX_CONVERSATIONS = 2000;
const IDLE_MS = 24 * 60 * 60 * 1000;

/**
 * The local Direct Line v3 service's state: conversations and their activities,
 * in memory (they live as long as the process; the bot's own state and tickets
 * are in the database). Bounded: the least recently active conversations are
 * dropped past MAX_CONVERSATIONS, and any idle for a day.
 */
export class DirectLineStore {
  private readonly conversations = new Map<string, DlConversation>();

  constructor(readonly tokens: TokenIssuer) {}

  get(id: string): DlConversation | undefined {
    const c = this.conversations.get(id);
    if (c && Date.now() - c.lastActive > IDLE_MS) {
      this.conversations.delete(id);
      return undefined;
    }
    return c;
  }

  /** The conversation, created if new (`created` tells which). */
  open(id: string, user: ChannelAccount, locale?: string): { conversation: DlConversation; created: boolean } {
    const existing = this.get(id);
    if (existing) return { conversation: existing, created: false };
    if (this.conversations.size >= MAX_CONVERSATIONS) this.evict();
    const conversation: DlConversation = { id, userId: user.id, userName: user.name, locale, activities: [], base: 0, lastActive: Date.now() };
    this.conversations.set(id, conversation);
    return { conversation, created: true };
  }

  /** Appends an activity (giving it an id and timestamp); returns its id. */
  append(c: DlConversation, activity: Partial<Activity>): string {
    const seq = c.base + c.activities.length + 1;
    const id = activity.id && !c.activities.some((a) => a.id === activity.id) ? activity.id : `${c.id}|${String(seq).padStart(7, '0')}`;
    c.activities.push({ ...activity, id, timestamp: (activity.timestamp ?? new Date()) as Date });
    if (c.activities.length > MAX_ACTIVITIES) {
      const drop = c.activities.length - MAX_ACTIVITIES;
      c.activities.splice(0, drop);
      c.base += drop;
    }
    c.lastActive = Date.now();
    return id;
  }

  /** Activities after a watermark, and the new watermark. */
  since(c: DlConversation, watermark: string | undefined): { activities: Partial<Activity>[]; watermark: string } {
    const w = Number.parseInt(watermark ?? '', 10);
    const from = Number.isFinite(w) && w > c.base ? w - c.base : 0;
    c.lastActive = Date.now();
    return { activities: c.activities.slice(from), watermark: String(c.base + c.activities.length) };
  }

  newConversationId(): string {
    return randomId('dl-', 15);
  }

  private evict(): void {
    const oldest = [...this.conversations.values()].sort((a, b) => a.lastActive - b.lastActive);
    for (const c of oldest.slice(0, Math.ceil(MAX_CONVERSATIONS / 10))) this.conversations.delete(c.id);
  }
}
