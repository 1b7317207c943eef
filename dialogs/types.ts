import type { Secret } from '../src/evidence/secret';

/** What the machine says, as data. Wording lives in knowledge/responses.yml. */
export interface Choice {
  /** wording key of the button's label */
  label: string;
  /** what pressing it means: an intent name, or `field:<name>` */
  value: string;
}

export type ParamValue = string | number | null;

export interface Reply {
  key: string;
  params?: Record<string, ParamValue>;
  choices?: Choice[];
  /** asks for a secret through a masked input (Adaptive Card password field) */
  input?: 'password';
  /** rows rendered with the wording's `item` template (e.g. a list of tickets) */
  items?: Record<string, ParamValue>[];
}

export const FIELDS = ['username', 'email', 'phone', 'passwords', 'description'] as const;
export type Field = (typeof FIELDS)[number];

export type PasswordOutcome = 'matched' | 'not_matched' | 'not_checked';

export const RECOVERY_INTENTS = [
  'forgot_password',
  'reset_not_received',
  'account_hacked',
  'account_deleted',
  'account_banned',
  'phone_changed',
  'login_error',
] as const;
export type RecoveryIntent = (typeof RECOVERY_INTENTS)[number];
/** A ticket's category: the recovery intent, or `other` when the user could not say. */
export type Category = RecoveryIntent | 'other';

export interface Evidence {
  username?: string;
  email?: string;
  phone?: string;
  passwords: PasswordOutcome[];
  description?: string;
}

/** What the NLU found in a message, as the machine needs it. */
export interface Understanding {
  intent: string;
  confidence: number;
  /** the two intents it could not tell apart, if any */
  ambiguous?: [string, string];
  /** the value of the button pressed, when the text was exactly an offered button */
  choice?: string;
  entities: {
    email?: string;
    phone?: string;
    username?: string;
    ticketRef?: string;
    skip?: boolean;
    distressed?: boolean;
  };
}

export type UserEvent = { type: 'USER'; text: string } & Understanding;

export type DialogEvent =
  | UserEvent
  | { type: 'PASSWORD'; secret: Secret }
  | { type: 'PASSWORD_IN_CHAT' }
  | { type: 'WELCOME' }
  /** the outcomes of passwords given through the one-time secure form */
  | { type: 'PASSWORDS_CHECKED'; outcomes: PasswordOutcome[] }
  /** from the support team, through the agent API */
  | { type: 'AGENT_MESSAGE'; ref: string; text: string }
  | { type: 'AGENT_REQUEST_INFO'; ref: string; text: string }
  | { type: 'TICKET_CLOSED'; ref: string; status: 'resolved' | 'rejected'; message: string };

export interface TicketRequest {
  caseKey: string;
  category: Category;
  distressed: boolean;
  evidence: Evidence;
}

export interface TicketSummary {
  ref: string;
  status: string;
  category: string;
  updatedAt: string;
}
