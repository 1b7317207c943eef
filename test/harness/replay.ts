/**
 * Replays a parsed transcript against a bot through a small driver interface and compares
 * what the bot says with what the transcript expects. Bot-agnostic and side-effect free
 * apart from the driver calls.
 */
import { randomUUID } from 'crypto';
import * as path from 'path';
import type { Activity, Attachment, ChannelAccount, ConversationAccount, RoleTypes } from 'botbuilder';
import { parseChatdownFile } from './chatdown';
import { parseEmulatorTranscriptFile } from './emulator';
import {
  deepMatch,
  fillPlaceholders,
  fillPlaceholdersDeep,
  matchTemplate,
  normalizeWhitespace,
  show,
  toPlain,
  type PlaceholderPatterns,
} from './match';
import type { BotStep, ConversationUpdateStep, ExpectedAttachment, ParsedTranscript, Step, UserStep } from './types';

export type { ParsedTranscript, Step } from './types';

export interface ReplayDriver {
  /** send one user activity, resolve with every activity the bot sent in reply (expectReplies semantics) */
  send(activity: Partial<Activity>): Promise<Partial<Activity>[]>;
  /** stop and restart the bot with the same data */
  restart(): Promise<void>;
}

export interface ReplayOptions {
  /** Conversation id for every activity (default: a fresh `replay-<file>-<uuid>`). */
  conversationId?: string;
  /** Used when the transcript header has no channelId= (default 'test'). */
  channelId?: string;
  /** Locale of user activities (default 'en-US'). */
  locale?: string;
  /** Extra or overriding {{placeholder}} patterns, e.g. { caseId: /C-\d+/ }. */
  placeholders?: PlaceholderPatterns;
  /** Stop after the first turn that fails (default false: report every failing turn). */
  bail?: boolean;
}

export interface ReplayLogEntry {
  role: 'user' | 'bot';
  text?: string;
  value?: unknown;
  /** set for non-message events: 'conversationUpdate' (sent to the bot) or 'restart' (driver.restart()) */
  type?: string;
  suggestions?: string[];
  /** content types of the attachments */
  attachments?: string[];
}

export interface ReplayResult {
  ok: boolean;
  failures: string[];
  /** values captured by {{placeholders}} (and named groups of /regex/ turns) */
  captured: Record<string, string>;
  log: ReplayLogEntry[];
}

const IGNORED_NOTE = 'non-message activities (typing, trace, event, …) are ignored';

/** Load a .chat (chatdown) or .transcript (Emulator JSON) file. */
export function loadTranscript(file: string): ParsedTranscript {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.chat') return parseChatdownFile(file);
  if (ext === '.transcript') return parseEmulatorTranscriptFile(file);
  throw new Error(`${file}: unknown transcript type "${ext}" (expected .chat or .transcript)`);
}

/** loadTranscript + replay. */
export async function replayFile(file: string, driver: ReplayDriver, opts: ReplayOptions = {}): Promise<ReplayResult> {
  return replay(loadTranscript(file), driver, opts);
}

/** One readable block: every failure, then the conversation as it happened. */
export function formatReplay(result: ReplayResult): string {
  const convo = result.log
    .map((e) => {
      if (e.type === 'restart') return '  [Restart]';
      if (e.type) return `  ${e.role}: [${e.type}]`;
      const parts: string[] = [];
      if (e.text !== undefined) parts.push(e.text.replace(/\n/g, '\n      '));
      if (e.value !== undefined) parts.push(`[Submit=${show(e.value)}]`);
      if (e.suggestions?.length) parts.push(`[Suggestions=${e.suggestions.join('|')}]`);
      for (const a of e.attachments ?? []) parts.push(`[Attachment ${a}]`);
      return `  ${e.role}: ${parts.join(' ')}`;
    })
    .join('\n');
  return `${result.failures.join('\n\n')}\n\nConversation as replayed:\n${convo}`;
}

/** Throw an Error carrying formatReplay(result) when the replay failed (handy in jest). */
export function assertReplayOk(result: ReplayResult): void {
  if (!result.ok) throw new Error(formatReplay(result));
}

function renderExpected(step: BotStep): string {
  const parts: string[] = [];
  if (step.pattern) parts.push(String(step.pattern));
  else if (step.text !== undefined) parts.push(normalizeWhitespace(step.text));
  else parts.push('(no text)');
  if (step.suggestions?.length) parts.push(`[Suggestions=${step.suggestions.join('|')}]`);
  for (const a of step.attachments ?? []) parts.push(`[Attachment ${a.contentType}]`);
  return parts.join(' ');
}

function suggestionTitles(act: Partial<Activity>): string[] {
  return (act.suggestedActions?.actions ?? []).map((a) => a.title ?? (typeof a.value === 'string' ? a.value : show(a.value)));
}

function renderActual(act: Partial<Activity>): string {
  const parts: string[] = [];
  const text = normalizeWhitespace(act.text);
  parts.push(text ? text : '(no text)');
  const titles = suggestionTitles(act);
  if (titles.length) parts.push(`[Suggestions=${titles.join('|')}]`);
  for (const a of act.attachments ?? []) parts.push(`[Attachment ${a.contentType}]`);
  return parts.join(' ');
}

/** Compare one bot message with its expected step. Returns problems (empty = match). */
function compareBot(
  exp: BotStep,
  act: Partial<Activity>,
  captured: Record<string, string>,
  placeholders: PlaceholderPatterns | undefined,
): string[] {
  const problems: string[] = [];
  const actualText = normalizeWhitespace(act.text);

  // text
  if (exp.pattern) {
    exp.pattern.lastIndex = 0;
    const m = exp.pattern.exec(actualText);
    if (!m) {
      problems.push(`text does not match\n  expected: ${exp.pattern}\n  actual:   ${actualText || '(no text)'}`);
    } else {
      for (const [name, value] of Object.entries(m.groups ?? {})) {
        if (value === undefined) continue;
        if (name in captured && captured[name] !== value) {
          problems.push(`{{${name}}} changed: first seen "${captured[name]}", now "${value}"\n  actual:   ${actualText}`);
        } else captured[name] = value;
      }
    }
  } else if (exp.text !== undefined) {
    if (!matchTemplate(exp.text, act.text ?? '', captured, { normalize: true, placeholders })) {
      const known = Object.entries(captured)
        .filter(([k]) => exp.text?.includes(`{{${k}}}`) || exp.text?.includes(`{{ ${k} }}`))
        .map(([k, v]) => `{{${k}}}=${v}`);
      problems.push(
        `text differs\n  expected: ${normalizeWhitespace(exp.text)}\n  actual:   ${actualText || '(no text)'}` +
          (known.length ? `\n  (already captured: ${known.join(', ')})` : ''),
      );
    }
  } else if (actualText) {
    problems.push(`expected no text\n  actual:   ${actualText}`);
  }

  // suggested actions
  const expTitles = exp.suggestions ?? [];
  const actTitles = suggestionTitles(act);
  const titlesOk =
    expTitles.length === actTitles.length &&
    expTitles.every((t, k) => matchTemplate(t, actTitles[k], captured, { normalize: true, placeholders }));
  if (!titlesOk) {
    const fmt = (xs: string[]) => (xs.length ? `[Suggestions=${xs.join('|')}]` : '(no suggestions)');
    problems.push(`suggestions differ\n  expected: ${fmt(expTitles)}\n  actual:   ${fmt(actTitles)}`);
  }

  // attachments
  const expAtt: ExpectedAttachment[] = exp.attachments ?? [];
  const actAtt = (act.attachments ?? []) as Partial<Attachment>[];
  if (expAtt.length !== actAtt.length) {
    const fmt = (xs: { contentType?: string }[]) => (xs.length ? xs.map((x) => x.contentType).join(', ') : 'none');
    problems.push(`attachment count differs\n  expected: ${expAtt.length} (${fmt(expAtt)})\n  actual:   ${actAtt.length} (${fmt(actAtt)})`);
  } else {
    expAtt.forEach((e, k) => {
      const a = actAtt[k];
      const label = `attachment ${k + 1}`;
      if (e.contentType !== a.contentType) {
        problems.push(`${label} content type differs\n  expected: ${e.contentType}\n  actual:   ${a.contentType}`);
        return;
      }
      if (e.content !== undefined) {
        const work = { ...captured };
        const diff = deepMatch(e.content, toPlain(a.content), work, { partial: e.partial, placeholders, path: `${label} content` });
        if (diff) problems.push(`${label} differs\n  ${diff}`);
        else Object.assign(captured, work);
      }
      if (e.contentUrl !== undefined && !matchTemplate(e.contentUrl, a.contentUrl ?? '', captured, { placeholders })) {
        problems.push(`${label} contentUrl differs\n  expected: ${e.contentUrl}\n  actual:   ${a.contentUrl ?? '(none)'}`);
      }
    });
  }
  if (exp.attachmentLayout && (act.attachmentLayout ?? 'list') !== exp.attachmentLayout) {
    problems.push(`attachment layout differs\n  expected: ${exp.attachmentLayout}\n  actual:   ${act.attachmentLayout ?? 'list'}`);
  }
  return problems;
}

/**
 * Replay `transcript` through `driver`. Never throws for a mismatch: failures are collected
 * in the result (messages name file, line, expected and actual).
 */
export async function replay(
  transcript: ParsedTranscript,
  driver: ReplayDriver,
  opts: ReplayOptions = {},
): Promise<ReplayResult> {
  const file = transcript.file ?? '<transcript>';
  const where = (line: number) => (transcript.format === 'chat' ? `${file}:${line}` : `${file} (activity ${line})`);
  const unit = transcript.format === 'chat' ? 'line' : 'activity';
  const { header, steps } = transcript;
  const channelId = header.channelId ?? opts.channelId ?? 'test';
  const conversationId = opts.conversationId ?? `replay-${path.basename(file).replace(/\W+/g, '-')}-${randomUUID()}`;
  const locale = opts.locale ?? 'en-US';
  const bot: ChannelAccount = { id: `bot-${header.bot}`, name: header.bot, role: 'bot' as RoleTypes };
  const userAccount = (name: string): ChannelAccount => ({ id: `user-${name}`, name, role: 'user' as RoleTypes });
  const conversation: ConversationAccount = { id: conversationId, name: conversationId, isGroup: false, conversationType: 'personal' };

  const failures: string[] = [];
  const captured: Record<string, string> = {};
  const log: ReplayLogEntry[] = [];

  const base = (from: string): Partial<Activity> => {
    const now = new Date();
    return {
      id: randomUUID(),
      timestamp: now,
      localTimestamp: now,
      channelId,
      serviceUrl: 'https://replay.invalid',
      from: userAccount(from),
      recipient: { ...bot },
      conversation: { ...conversation },
      locale,
    };
  };

  const member = (name: string): ChannelAccount => (name === header.bot ? { ...bot } : { id: `user-${name}`, name });

  const updateActivity = (step: Pick<ConversationUpdateStep, 'membersAdded' | 'membersRemoved'>): Partial<Activity> => {
    const a = base(header.user);
    a.type = 'conversationUpdate';
    a.membersAdded = step.membersAdded.map(member);
    if (step.membersRemoved?.length) a.membersRemoved = step.membersRemoved.map(member);
    return a;
  };

  const userActivity = (step: UserStep): Partial<Activity> => {
    const missing = (name: string) =>
      failures.push(`${where(step.line)}: user turn uses {{${name}}} but no earlier bot message captured it; sent literally`);
    const a = base(step.from ?? header.user);
    a.type = 'message';
    if (step.text !== undefined) a.text = fillPlaceholders(step.text, captured, missing);
    if (step.value !== undefined) a.value = fillPlaceholdersDeep(step.value, captured, missing);
    if (step.attachments) {
      a.attachments = step.attachments.map((x) => {
        const att: Attachment = { contentType: x.contentType };
        if (x.content !== undefined) att.content = x.content;
        if (x.contentUrl !== undefined) att.contentUrl = x.contentUrl;
        return att;
      });
    }
    return a;
  };

  const describe = (step: UserStep | ConversationUpdateStep | null): string => {
    if (!step) return 'the start of the conversation';
    const at = `(${unit} ${step.line})`;
    if (step.kind === 'conversationUpdate') return `[ConversationUpdate=MembersAdded=${step.membersAdded.join(',')}] ${at}`;
    const text = step.text !== undefined ? normalizeWhitespace(step.text) : undefined;
    const what = text !== undefined ? `"${text.length > 60 ? text.slice(0, 59) + '…' : text}"` : `[Submit=${show(step.value, 60)}]`;
    return `user: ${what} ${at}`;
  };

  /** Send one activity and compare the replies with `expected`. Returns false when the replay must stop. */
  const turn = async (
    trigger: UserStep | ConversationUpdateStep | null,
    activity: Partial<Activity>,
    expected: BotStep[],
  ): Promise<boolean> => {
    const triggerLine = trigger?.line ?? expected[0]?.line ?? 1;
    const before = failures.length;
    if (activity.type === 'message') {
      const entry: ReplayLogEntry = { role: 'user' };
      if (activity.text !== undefined) entry.text = activity.text;
      if (activity.value !== undefined) entry.value = activity.value;
      log.push(entry);
    } else log.push({ role: 'user', type: activity.type });

    let replies: Partial<Activity>[];
    try {
      replies = await driver.send(activity);
    } catch (e) {
      const err = e as Error;
      failures.push(`${where(triggerLine)}: the bot threw while handling ${describe(trigger)}\n  ${err?.stack ?? String(e)}`);
      return false;
    }
    const messages = (replies ?? []).filter((r) => (r.type ?? 'message') === 'message');
    for (const m of messages) {
      const entry: ReplayLogEntry = { role: 'bot' };
      if (m.text !== undefined) entry.text = m.text;
      const titles = suggestionTitles(m);
      if (titles.length) entry.suggestions = titles;
      if (m.attachments?.length) entry.attachments = m.attachments.map((x) => x.contentType);
      log.push(entry);
    }

    const n = Math.max(expected.length, messages.length);
    for (let k = 0; k < n; k++) {
      const exp = expected[k];
      const act = messages[k];
      if (exp && act) {
        const problems = compareBot(exp, act, captured, opts.placeholders);
        if (problems.length) {
          failures.push(
            `${where(exp.line)}: bot message ${k + 1} of ${expected.length} replying to ${describe(trigger)}: ${problems.join('\n  and ')}`,
          );
        }
      } else if (exp) {
        failures.push(
          `${where(exp.line)}: bot message ${k + 1} of ${expected.length} replying to ${describe(trigger)} never came ` +
            `(the bot sent ${messages.length} message${messages.length === 1 ? '' : 's'}; ${IGNORED_NOTE})\n` +
            `  expected: ${renderExpected(exp)}`,
        );
      } else if (act) {
        failures.push(
          `${where(triggerLine)}: unexpected extra bot message ${k + 1} replying to ${describe(trigger)} ` +
            `(the transcript expects ${expected.length})\n  actual:   ${renderActual(act)}`,
        );
      }
    }
    return !(opts.bail && failures.length > before);
  };

  const botRun = (from: number): BotStep[] => {
    const out: BotStep[] = [];
    for (let j = from; j < steps.length && steps[j].kind === 'bot'; j++) out.push(steps[j] as BotStep);
    return out;
  };

  let i = 0;
  // A transcript that opens with the bot speaking: greet it the way a channel does.
  if (steps[0]?.kind === 'bot') {
    const expected = botRun(0);
    i = expected.length;
    const go = await turn(null, updateActivity({ membersAdded: [header.bot, header.user] }), expected);
    if (!go) i = steps.length;
  }
  let lastRestart: number | undefined;
  while (i < steps.length) {
    const step: Step = steps[i];
    if (step.kind === 'restart') {
      lastRestart = step.line;
      log.push({ role: 'user', type: 'restart' });
      try {
        await driver.restart();
      } catch (e) {
        const err = e as Error;
        failures.push(`${where(step.line)}: [Restart] failed: ${err?.stack ?? String(e)}`);
        break;
      }
      i++;
      continue;
    }
    if (step.kind === 'bot') {
      const orphans = botRun(i);
      failures.push(
        `${where(step.line)}: bot message expected but nothing was sent to the bot to answer` +
          (lastRestart !== undefined ? ` (after [Restart] at ${unit} ${lastRestart}, the bot only replies to a user turn)` : '') +
          `\n  expected: ${renderExpected(step)}`,
      );
      i += orphans.length;
      continue;
    }
    const expected = botRun(i + 1);
    const activity = step.kind === 'user' ? userActivity(step) : updateActivity(step);
    const go = await turn(step, activity, expected);
    i += 1 + expected.length;
    if (!go) break;
  }

  return { ok: failures.length === 0, failures, captured, log };
}
