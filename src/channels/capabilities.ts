/**
 * What a channel can show. A password is only ever asked for through a masked
 * Adaptive Card input, so channels without cards never get that question.
 */
const CARD_CHANNELS = new Set(['msteams', 'webchat', 'directline', 'emulator', 'test', 'terminal']);

export const canMaskInput = (channelId: string): boolean => CARD_CHANNELS.has(channelId);
