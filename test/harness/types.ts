/**
 * Shared types of the replay harness. Bot-agnostic: nothing here knows about Reclaim.
 */

/** An attachment the transcript expects the bot to send (or the user to send). */
export interface ExpectedAttachment {
  contentType: string;
  /** Card / JSON content. Strings inside may use {{placeholders}}. */
  content?: unknown;
  /** For URL / binary attachments: compared instead of content. */
  contentUrl?: string;
  /**
   * true for cards written inline in a .chat file (`[HeroCard title=…]`):
   * only the properties written are compared, and actual objects may have more keys.
   */
  partial?: boolean;
}

export interface UserStep {
  kind: 'user';
  /** Text the user types (undefined for a pure card submit). */
  text?: string;
  /** Adaptive Card submit payload: sent as `activity.value`. */
  value?: unknown;
  /** Files the user sends (rare). */
  attachments?: ExpectedAttachment[];
  /** Name of the speaking user, when the transcript has several (`users=`) or names them. */
  from?: string;
  line: number;
}

export interface BotStep {
  kind: 'bot';
  /** Expected text as written (whitespace is normalised when comparing; may hold {{placeholders}}). */
  text?: string;
  /** Set when the turn's whole text is `/regex/flags`: the normalised actual text must match it. */
  pattern?: RegExp;
  /** Expected suggested-action titles, in order. */
  suggestions?: string[];
  attachments?: ExpectedAttachment[];
  attachmentLayout?: 'list' | 'carousel';
  line: number;
}

export interface RestartStep {
  kind: 'restart';
  line: number;
}

export interface ConversationUpdateStep {
  kind: 'conversationUpdate';
  membersAdded: string[];
  membersRemoved?: string[];
  line: number;
}

export type Step = UserStep | BotStep | RestartStep | ConversationUpdateStep;

export interface TranscriptHeader {
  /** Name of the (first) user. */
  user: string;
  /** Name of the bot. */
  bot: string;
  channelId?: string;
  /** All users when the header says `users=a,b`. */
  users?: string[];
}

export interface ParsedTranscript {
  /** Path (or label) used in failure messages. */
  file?: string;
  /** 'chat': `line` is a line number; 'transcript': `line` is the 1-based activity index. */
  format: 'chat' | 'transcript';
  header: TranscriptHeader;
  steps: Step[];
}
