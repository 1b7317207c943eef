/**
 * `reclaim`: the command-line tool (bin/reclaim.js runs this file through tsx).
 *
 * Each command lives in its own module under src/cli/ and exports
 * `run(args: string[], io: CliIO): Promise<number>` (the exit code). To add one, write the
 * module and add one line to COMMANDS below; modules are loaded only when their command runs,
 * so `reclaim --help` stays fast and one broken command cannot break the others.
 */
import path from 'node:path';
import { ROOT } from '../paths';

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
}

export interface CommandModule {
  run(args: string[], io: CliIO): Promise<number>;
}

export interface CommandEntry {
  /** the words that select the command, e.g. ['nlu', 'eval'] */
  words: string[];
  /** module path relative to this directory, without extension */
  module: string;
  summary: string;
}

/** Usage error: the message is printed with a hint to --help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const COMMANDS: CommandEntry[] = [
  { words: ['nlu', 'eval'], module: './nlu-eval', summary: 'evaluate the intent classifier (test file or k-fold cross-validation)' },
  // { words: ['replay'], module: './replay', summary: '…' },
  // { words: ['chat'], module: './chat-command', summary: '…' },
  { words: ['teams-package'], module: './teams-package', summary: 'write the Microsoft Teams app package (zip) to sideload' },
];

const stdio: CliIO = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : text + '\n'),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : text + '\n'),
};

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.words.join(' ').length));
  return [
    'Usage: reclaim <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.words.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Run `reclaim <command> --help` for the options of a command.',
  ].join('\n');
}

/** Finds the command whose words start `args` (longest match first). */
export function findCommand(args: string[]): { entry: CommandEntry; rest: string[] } | undefined {
  const sorted = [...COMMANDS].sort((a, b) => b.words.length - a.words.length);
  for (const entry of sorted) {
    if (entry.words.every((w, i) => args[i] === w)) return { entry, rest: args.slice(entry.words.length) };
  }
  return undefined;
}

export async function main(args: string[], io: CliIO = stdio): Promise<number> {
  if (args.length === 0 || args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    io.out(helpText());
    return args.length === 0 ? 2 : 0;
  }
  if (args[0] === '--version' || args[0] === '-v') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    io.out(String(require(path.join(ROOT, 'package.json')).version));
    return 0;
  }
  const found = findCommand(args);
  if (!found) {
    // a group word alone ("reclaim nlu") lists the group's commands
    const group = COMMANDS.filter((c) => c.words.length > 1 && c.words[0] === args[0]);
    if (group.length > 0 && (args.length === 1 || args[1].startsWith('-'))) {
      io.out(['Commands:', ...group.map((c) => `  reclaim ${c.words.join(' ')}  ${c.summary}`)].join('\n'));
      return args.includes('--help') || args.includes('-h') ? 0 : 2;
    }
    io.err(`reclaim: unknown command "${args.join(' ')}"\n\n${helpText()}`);
    return 2;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(found.entry.module) as CommandModule;
  try {
    return await mod.run(found.rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`reclaim ${found.entry.words.join(' ')}: ${err.message}\nRun \`reclaim ${found.entry.words.join(' ')} --help\` for usage.`);
      return 2;
    }
    throw err;
  }
}
