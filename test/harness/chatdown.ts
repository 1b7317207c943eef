/**
 * Parser for Bot Framework "chatdown" (.chat) files, plus Reclaim's few additions
 * (see test/harness/README.md): [Submit={json}] user turns, [Restart] lines,
 * {{placeholders}} and /regex/ bot turns.
 *
 * Reference: microsoft/botframework-cli packages/chatdown/docs/chatdown-format.md
 */
import * as fs from 'fs';
import * as path from 'path';
import type {
  BotStep,
  ConversationUpdateStep,
  ExpectedAttachment,
  ParsedTranscript,
  Step,
  TranscriptHeader,
  UserStep,
} from './types';

export interface ChatdownOptions {
  /** Path of the .chat file: used in error messages and as the base for [Attachment=relative/path]. */
  file?: string;
  /** Base folder for relative attachment paths (default: dirname(file), else cwd). */
  baseDir?: string;
}

export class ChatdownError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'ChatdownError';
  }
}

/** Content-type shortcuts from the chatdown spec (plus `adaptive` and `oauth`). */
export const CONTENT_TYPE_SHORTCUTS: Readonly<Record<string, string>> = {
  animation: 'application/vnd.microsoft.card.animation',
  audio: 'application/vnd.microsoft.card.audio',
  hero: 'application/vnd.microsoft.card.hero',
  receipt: 'application/vnd.microsoft.card.receipt',
  thumbnail: 'application/vnd.microsoft.card.thumbnail',
  signin: 'application/vnd.microsoft.card.signin',
  oauth: 'application/vnd.microsoft.card.oauth',
  video: 'application/vnd.microsoft.card.video',
  adaptivecard: 'application/vnd.microsoft.card.adaptive',
  adaptive: 'application/vnd.microsoft.card.adaptive',
};

const EXTENSION_TYPES: Readonly<Record<string, string>> = {
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain',
  '.pdf': 'application/pdf',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
};

/** Inline card commands → card content type shortcut. */
const CARD_COMMANDS: Readonly<Record<string, string>> = {
  herocard: 'hero',
  thumbnailcard: 'thumbnail',
  signincard: 'signin',
  oauthcard: 'oauth',
  audiocard: 'audio',
  videocard: 'video',
  animationcard: 'animation',
};

const KNOWN_COMMANDS = new Set([
  'typing',
  'delay',
  'suggestions',
  'attachment',
  'attachmentlayout',
  'conversationupdate',
  'submit',
  'restart',
  ...Object.keys(CARD_COMMANDS),
]);

interface Command {
  /** lower-cased command name */
  name: string;
  /** text after `Name=` (or after `Name ` for cards), trimmed */
  arg: string;
  line: number;
}

interface RawTurn {
  role: 'user' | 'bot';
  name: string;
  line: number;
  /** lines[0] is what follows the `name:` marker on the marker line */
  lines: string[];
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Index of the `]` closing the `[` at `open`, or -1. JSON strings are skipped when `json`. */
function findClose(text: string, open: number, json: boolean): number {
  let depth = 0;
  let inString = false;
  for (let p = open; p < text.length; p++) {
    const c = text[p];
    if (inString) {
      if (c === '\\') p++;
      else if (c === '"') inString = false;
      continue;
    }
    if (json && c === '"') inString = true;
    else if (c === '[') depth++;
    else if (c === ']') {
      depth--;
      if (depth === 0) return p;
    }
  }
  return -1;
}

/** Split a turn's text into plain text and known `[Commands]`. */
function extractCommands(
  text: string,
  firstLine: number,
  fail: (line: number, reason: string) => never,
): { text: string; commands: Command[] } {
  const commands: Command[] = [];
  let out = '';
  let p = 0;
  const lineAt = (idx: number) => firstLine + (text.slice(0, idx).match(/\n/g)?.length ?? 0);
  while (p < text.length) {
    const open = text.indexOf('[', p);
    if (open < 0) {
      out += text.slice(p);
      break;
    }
    const head = /^\[\s*([A-Za-z]+)\s*(=|\]|\s)/.exec(text.slice(open, open + 40));
    const name = head?.[1].toLowerCase();
    if (!head || !name || !KNOWN_COMMANDS.has(name)) {
      if (head && head[2] === '=') {
        fail(lineAt(open), `unknown command [${head[1]}=…] (known: ${[...KNOWN_COMMANDS].join(', ')})`);
      }
      out += text.slice(p, open + 1);
      p = open + 1;
      continue;
    }
    const close = findClose(text, open, name === 'submit');
    if (close < 0) fail(lineAt(open), `unclosed [${head[1]} command (missing "]")`);
    const inner = text.slice(open + 1, close).trim();
    const m = /^[A-Za-z]+\s*(?:=\s*)?([\s\S]*)$/.exec(inner);
    commands.push({ name, arg: (m?.[1] ?? '').trim(), line: lineAt(open) });
    out += text.slice(p, open);
    p = close + 1;
  }
  // tidy: trailing spaces, and blank lines left where commands stood at the ends
  const lines = out.split('\n').map((l) => l.replace(/\s+$/, ''));
  while (lines.length && lines[0].trim() === '') lines.shift();
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  return { text: lines.join('\n').trim(), commands };
}

function parseMembers(arg: string, line: number, fail: (line: number, reason: string) => never) {
  const added: string[] = [];
  const removed: string[] = [];
  const pieces = arg
    .split(/\r?\n/)
    .flatMap((l) => l.split(/\s+(?=members(?:added|removed)\s*=)/i))
    .map((s) => s.trim())
    .filter(Boolean);
  for (const piece of pieces) {
    const m = /^members(added|removed)\s*=\s*(.*)$/i.exec(piece);
    if (!m) fail(line, `[ConversationUpdate=…] expects MembersAdded=a,b and/or MembersRemoved=c, got "${piece}"`);
    const names = m[2]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    (m[1].toLowerCase() === 'added' ? added : removed).push(...names);
  }
  if (!added.length && !removed.length) fail(line, '[ConversationUpdate=…] names no members');
  return { added, removed };
}

/** Parse chatdown source text. Throws ChatdownError (with file:line) on malformed input. */
export function parseChatdown(source: string, opts: ChatdownOptions = {}): ParsedTranscript {
  const file = opts.file ?? '<chat>';
  const baseDir = opts.baseDir ?? (opts.file ? path.dirname(path.resolve(opts.file)) : process.cwd());
  function fail(line: number, reason: string): never {
    throw new ChatdownError(file, line, reason);
  }
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);

  // ---- header -------------------------------------------------------------
  const header: TranscriptHeader = { user: 'user', bot: 'bot' };
  let i = 0;
  for (; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '') continue;
    const m = /^([A-Za-z]+)\s*=\s*(.*)$/.exec(t);
    if (!m) break;
    const key = m[1].toLowerCase();
    const value = m[2].trim();
    if (key === 'user') header.user = value;
    else if (key === 'users') {
      header.users = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (header.users.length) header.user = header.users[0];
    } else if (key === 'bot') header.bot = value;
    else if (key === 'channelid') header.channelId = value;
    else fail(i + 1, `unknown header option "${m[1]}" (expected user=, users=, bot=, channelId=)`);
    if (!value) fail(i + 1, `header option "${m[1]}" has no value`);
  }

  const botNames = new Set(['bot', header.bot.toLowerCase()]);
  const userNames = new Set(['user', header.user.toLowerCase(), ...(header.users ?? []).map((u) => u.toLowerCase())]);
  const alternatives = [...new Set([...botNames, ...userNames])]
    .sort((a, b) => b.length - a.length)
    .map(escapeRegExp)
    .join('|');
  const markerRe = new RegExp(`^\\s*(${alternatives})\\s*(?:->\\s*([^:]+?)\\s*)?:(.*)$`, 'i');

  // ---- turns ----------------------------------------------------------------
  const steps: Step[] = [];
  let cur: RawTurn | null = null;
  const flush = () => {
    if (cur) {
      const step = cur.role === 'bot' ? buildBot(cur) : buildUser(cur);
      if (step) steps.push(step);
    }
    cur = null;
  };

  const attachmentFrom = (arg: string, line: number): ExpectedAttachment => {
    const m = /^("[^"]+"|'[^']+'|\S+)(?:\s+(.+))?$/.exec(arg.trim());
    if (!m) return fail(line, '[Attachment=…] needs a path or URL');
    const where = m[1].replace(/^["']|["']$/g, '');
    const typeArg = m[2]?.trim().replace(/^["']|["']$/g, '');
    let contentType: string | undefined;
    if (typeArg) {
      contentType = CONTENT_TYPE_SHORTCUTS[typeArg.toLowerCase()] ?? (typeArg.includes('/') ? typeArg : undefined);
      if (!contentType) {
        fail(line, `unknown content type "${typeArg}" (use a MIME type or one of ${Object.keys(CONTENT_TYPE_SHORTCUTS).join(', ')})`);
      }
    }
    if (/^(https?|data):/i.test(where)) {
      return { contentType: contentType ?? 'application/octet-stream', contentUrl: where };
    }
    const abs = path.resolve(baseDir, where);
    if (!fs.existsSync(abs)) fail(line, `attachment file not found: ${where} (looked in ${abs})`);
    const ext = path.extname(abs).toLowerCase();
    if (ext === '.json') {
      let content: unknown;
      try {
        content = JSON.parse(fs.readFileSync(abs, 'utf8'));
      } catch (e) {
        return fail(line, `attachment ${where} is not valid JSON: ${(e as Error).message}`);
      }
      const isAdaptive = !!content && typeof content === 'object' && (content as { type?: unknown }).type === 'AdaptiveCard';
      return {
        contentType: contentType ?? (isAdaptive ? CONTENT_TYPE_SHORTCUTS.adaptivecard : EXTENSION_TYPES['.json']),
        content,
      };
    }
    return { contentType: contentType ?? EXTENSION_TYPES[ext] ?? 'application/octet-stream', contentUrl: where };
  };

  const cardFrom = (cmd: Command): ExpectedAttachment => {
    const kind = CARD_COMMANDS[cmd.name];
    const content: Record<string, unknown> = {};
    const media = kind === 'audio' || kind === 'video' || kind === 'animation';
    for (const raw of cmd.arg.split(/\r?\n/)) {
      const l = raw.trim();
      if (!l) continue;
      const m = /^(\w+)\s*=\s*(.*)$/.exec(l);
      if (!m) fail(cmd.line, `card property must be key=value, got "${l}"`);
      const key = m[1].toLowerCase();
      const value = m[2].trim();
      if (key === 'title' || key === 'subtitle' || key === 'text') content[key] = value;
      else if (key === 'image') content[media ? 'image' : 'images'] = media ? { url: value } : [{ url: value }];
      else if (key === 'media') content.media = [{ url: value }];
      else if (key === 'buttons') {
        content.buttons = value
          .split('|')
          .map((t) => t.trim())
          .filter(Boolean)
          .map((title) => ({ title }));
      } else fail(cmd.line, `unknown card property "${m[1]}" (title, subtitle, text, image, media, buttons)`);
    }
    return { contentType: CONTENT_TYPE_SHORTCUTS[kind], content, partial: true };
  };

  function buildBot(turn: RawTurn): BotStep | null {
    const { text, commands } = extractCommands(turn.lines.join('\n'), turn.line, fail);
    const step: BotStep = { kind: 'bot', line: turn.line };
    let onlyTiming = commands.length > 0;
    for (const cmd of commands) {
      if (cmd.name !== 'typing' && cmd.name !== 'delay') onlyTiming = false;
      switch (cmd.name) {
        case 'typing':
          break;
        case 'delay':
          if (!/^\d+$/.test(cmd.arg)) fail(cmd.line, `[Delay=…] expects milliseconds, got "${cmd.arg}"`);
          break;
        case 'suggestions':
          step.suggestions = [
            ...(step.suggestions ?? []),
            ...cmd.arg
              .split('|')
              .map((s) => s.trim())
              .filter(Boolean),
          ];
          break;
        case 'attachment':
          (step.attachments ??= []).push(attachmentFrom(cmd.arg, cmd.line));
          break;
        case 'attachmentlayout': {
          const layout = cmd.arg.toLowerCase();
          if (layout !== 'carousel' && layout !== 'list') fail(cmd.line, `[AttachmentLayout=…] must be carousel or list`);
          step.attachmentLayout = layout;
          break;
        }
        case 'restart':
          fail(cmd.line, '[Restart] must stand on its own line between turns');
          break;
        case 'submit':
          fail(cmd.line, '[Submit=…] belongs in a user turn');
          break;
        case 'conversationupdate':
          fail(cmd.line, '[ConversationUpdate=…] belongs on its own line or in a user turn');
          break;
        default:
          (step.attachments ??= []).push(cardFrom(cmd));
      }
    }
    if (text) {
      const rx = !text.includes('\n') ? /^\/(.+)\/([a-z]*)$/.exec(text) : null;
      if (rx) {
        try {
          step.pattern = new RegExp(rx[1], rx[2]);
        } catch (e) {
          fail(turn.line, `invalid regular expression ${text}: ${(e as Error).message}`);
        }
      } else step.text = text;
    }
    // `bot: [Typing]` alone only shows a typing indicator: nothing to compare.
    if (onlyTiming && !text) return null;
    return step;
  }

  function buildUser(turn: RawTurn): UserStep | ConversationUpdateStep {
    const { text, commands } = extractCommands(turn.lines.join('\n'), turn.line, fail);
    const step: UserStep = { kind: 'user', line: turn.line };
    const named = turn.name.toLowerCase() !== 'user' ? [header.user, ...(header.users ?? [])].find((u) => u.toLowerCase() === turn.name.toLowerCase()) : undefined;
    if (named && named !== header.user) step.from = named;
    let update: ConversationUpdateStep | undefined;
    for (const cmd of commands) {
      switch (cmd.name) {
        case 'typing':
        case 'delay':
          break;
        case 'submit':
          if (step.value !== undefined) fail(cmd.line, 'only one [Submit=…] per user turn');
          try {
            step.value = JSON.parse(cmd.arg);
          } catch (e) {
            fail(cmd.line, `[Submit=…] needs a JSON value: ${(e as Error).message}`);
          }
          break;
        case 'attachment':
          (step.attachments ??= []).push(attachmentFrom(cmd.arg, cmd.line));
          break;
        case 'conversationupdate': {
          const { added, removed } = parseMembers(cmd.arg, cmd.line, fail);
          update = { kind: 'conversationUpdate', membersAdded: added, line: turn.line };
          if (removed.length) update.membersRemoved = removed;
          break;
        }
        case 'restart':
          fail(cmd.line, '[Restart] must stand on its own line between turns');
          break;
        default:
          fail(cmd.line, `[${cmd.name}] is not allowed in a user turn`);
      }
    }
    if (update) {
      if (text || step.value !== undefined || step.attachments) fail(turn.line, '[ConversationUpdate=…] must be alone in its turn');
      return update;
    }
    if (text) step.text = text;
    if (step.text === undefined && step.value === undefined && !step.attachments) {
      fail(turn.line, 'empty user turn (write text, or [Submit={…}])');
    }
    return step;
  }

  for (; i < lines.length; i++) {
    const raw = lines[i];
    const t = raw.trim();
    const mk = markerRe.exec(raw);
    if (mk) {
      flush();
      const name = mk[1];
      cur = { role: botNames.has(name.toLowerCase()) ? 'bot' : 'user', name, line: i + 1, lines: [mk[3]] };
      continue;
    }
    if (/^\[\s*restart\s*\]$/i.test(t)) {
      flush();
      steps.push({ kind: 'restart', line: i + 1 });
      continue;
    }
    if (/^\[\s*conversationupdate\s*=/i.test(t)) {
      flush();
      const start = i;
      let block = raw;
      let close = findClose(block, block.indexOf('['), false);
      while (close < 0 && i + 1 < lines.length) {
        block += '\n' + lines[++i];
        close = findClose(block, block.indexOf('['), false);
      }
      if (close < 0) fail(start + 1, 'unclosed [ConversationUpdate= command (missing "]")');
      if (block.slice(close + 1).trim()) fail(i + 1, 'unexpected text after [ConversationUpdate=…]');
      const inner = block.slice(block.indexOf('[') + 1, close);
      const arg = inner.replace(/^\s*conversationupdate\s*=\s*/i, '');
      const { added, removed } = parseMembers(arg, start + 1, fail);
      const step: ConversationUpdateStep = { kind: 'conversationUpdate', membersAdded: added, line: start + 1 };
      if (removed.length) step.membersRemoved = removed;
      steps.push(step);
      continue;
    }
    if (cur) (cur as RawTurn).lines.push(raw);
    else if (t !== '') fail(i + 1, `text outside a turn (start turns with "user:" / "bot:" or "${header.user}:" / "${header.bot}:"): ${t}`);
  }
  flush();

  const result: ParsedTranscript = { format: 'chat', header, steps };
  if (opts.file) result.file = opts.file;
  return result;
}

/** Read and parse a .chat file. */
export function parseChatdownFile(file: string): ParsedTranscript {
  return parseChatdown(fs.readFileSync(file, 'utf8'), { file });
}
