export * from './types';
export { parseChatdown, parseChatdownFile, ChatdownError, CONTENT_TYPE_SHORTCUTS, type ChatdownOptions } from './chatdown';
export { parseEmulatorTranscript, parseEmulatorTranscriptFile, TranscriptFormatError } from './emulator';
export {
  replay,
  replayFile,
  loadTranscript,
  formatReplay,
  assertReplayOk,
  type ReplayDriver,
  type ReplayOptions,
  type ReplayResult,
  type ReplayLogEntry,
} from './replay';
export { normalizeWhitespace, matchTemplate, PLACEHOLDER_PATTERNS, type PlaceholderPatterns } from './match';
