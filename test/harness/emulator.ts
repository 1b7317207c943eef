/**
 * Loader for Bot Framework Emulator `.transcript` files (a JSON array of activities).
 * Produces the same Step list as the chatdown parser; `line` is the 1-based activity index.
 */
import * as fs from 'fs';
import type { BotStep, ConversationUpdateStep, ExpectedAttachment, ParsedTranscript, Step, UserStep } from './types';

interface Account {
  id?: string;
  name?: string;
  role?: string;
}

interface RawActivity {
  type?: string;
  from?: Account;
  recipient?: Account;
  channelId?: string;
  text?: string;
  value?: unknown;
  attachments?: { contentType?: string; content?: unknown; contentUrl?: string }[];
  attachmentLayout?: string;
  suggestedActions?: { actions?: { title?: string; value?: unknown }[] };
  membersAdded?: Account[];
  membersRemoved?: Account[];
}

export class TranscriptFormatError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
    this.name = 'TranscriptFormatError';
  }
}

function attachmentsOf(a: RawActivity): ExpectedAttachment[] | undefined {
  if (!Array.isArray(a.attachments) || a.attachments.length === 0) return undefined;
  return a.attachments.map((x) => {
    const out: ExpectedAttachment = { contentType: x.contentType ?? 'application/octet-stream' };
    if (x.content !== undefined) out.content = x.content;
    if (x.contentUrl !== undefined) out.contentUrl = x.contentUrl;
    return out;
  });
}

/** Convert an array of Emulator activities into a ParsedTranscript. */
export function parseEmulatorTranscript(data: unknown, opts: { file?: string } = {}): ParsedTranscript {
  const file = opts.file ?? '<transcript>';
  if (!Array.isArray(data)) throw new TranscriptFormatError(file, 'expected a JSON array of activities');
  const activities = data as RawActivity[];

  const firstUser =
    activities.find((a) => a?.from?.role === 'user')?.from ??
    activities.find((a) => a?.type === 'message' || a?.type === 'conversationUpdate')?.from;
  const userId = firstUser?.id;
  const isUser = (a: RawActivity): boolean =>
    a.from?.role === 'user' || (a.from?.role === undefined && userId !== undefined && a.from?.id === userId);

  const firstBot = activities.find((a) => a?.type === 'message' && a.from && !isUser(a))?.from;
  const botAccount = firstBot ?? activities.find((a) => a?.from && isUser(a) && a.recipient)?.recipient;
  const header: ParsedTranscript['header'] = {
    user: firstUser?.name ?? firstUser?.id ?? 'user',
    bot: botAccount?.name ?? botAccount?.id ?? 'bot',
  };
  const channelId = activities.find((a) => a?.channelId)?.channelId;
  if (channelId) header.channelId = channelId;

  const memberName = (m: Account): string => {
    if (botAccount && ((m.id && m.id === botAccount.id) || m.role === 'bot')) return header.bot;
    return m.name ?? m.id ?? '';
  };

  const steps: Step[] = [];
  activities.forEach((a, index) => {
    const line = index + 1;
    if (!a || typeof a !== 'object') throw new TranscriptFormatError(file, `activity ${line} is not an object`);
    if (a.type === 'conversationUpdate') {
      const added = (a.membersAdded ?? []).map(memberName).filter(Boolean);
      const removed = (a.membersRemoved ?? []).map(memberName).filter(Boolean);
      if (!added.length && !removed.length) return;
      const step: ConversationUpdateStep = { kind: 'conversationUpdate', membersAdded: added, line };
      if (removed.length) step.membersRemoved = removed;
      steps.push(step);
      return;
    }
    if (a.type !== 'message') return; // trace, typing, event, endOfConversation, …
    const attachments = attachmentsOf(a);
    if (isUser(a)) {
      const step: UserStep = { kind: 'user', line };
      if (a.text) step.text = a.text;
      if (a.value !== undefined) step.value = a.value;
      if (attachments) step.attachments = attachments;
      const name = a.from?.name;
      if (name && name !== header.user) step.from = name;
      steps.push(step);
      return;
    }
    const step: BotStep = { kind: 'bot', line };
    if (a.text) {
      const rx = !a.text.includes('\n') ? /^\/(.+)\/([a-z]*)$/.exec(a.text.trim()) : null;
      if (rx) {
        try {
          step.pattern = new RegExp(rx[1], rx[2]);
        } catch {
          step.text = a.text;
        }
      } else step.text = a.text;
    }
    const titles = a.suggestedActions?.actions?.map((x) => x.title ?? (typeof x.value === 'string' ? x.value : ''));
    if (titles && titles.length) step.suggestions = titles;
    if (attachments) step.attachments = attachments;
    if (a.attachmentLayout === 'carousel' || a.attachmentLayout === 'list') step.attachmentLayout = a.attachmentLayout;
    steps.push(step);
  });

  const result: ParsedTranscript = { format: 'transcript', header, steps };
  if (opts.file) result.file = opts.file;
  return result;
}

/** Read and parse an Emulator .transcript file. */
export function parseEmulatorTranscriptFile(file: string): ParsedTranscript {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TranscriptFormatError(file, `not valid JSON: ${(e as Error).message}`);
  }
  return parseEmulatorTranscript(data, { file });
}
