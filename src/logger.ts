import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Paths pino censors wherever they appear in a log object. Secrets never reach
 * a log call on purpose; this is the second line of defence.
 */
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password', 'passwords', '*.passwords',
  'secret', '*.secret', 'value.password', 'activity.value', '*.activity.value',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'MicrosoftAppPassword', '*.MicrosoftAppPassword', 'token', '*.token', 'text', '*.text',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'reclaim' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
