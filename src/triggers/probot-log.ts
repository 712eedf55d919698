import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

/** pino's numeric levels, by name. */
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

interface PinoRecord {
  readonly level?: number;
  readonly msg?: unknown;
  readonly err?: { readonly message?: unknown; readonly type?: unknown };
}

/**
 * The log every Octokit of the App is given (installation clients, the App's own client,
 * token minting), so their messages go through the redacting JSON log instead of straight
 * to the console as plain text. Debug and info are dropped: one line per request is noise.
 */
export function octokitLogger(log: (entry: Record<string, unknown>) => void) {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: (message: string) => log({ msg: 'github', level: 'warn', message }),
    error: (message: string) => log({ msg: 'github', level: 'error', message }),
  };
}

/**
 * Probot's logger, writing through the App's own log: one JSON object per line, redacted
 * like every other line. Probot logs a refused webhook with the error's stack and the
 * delivery it refused (a forged payload, possibly large); only the error's first line is
 * kept, which says what is wrong (e.g. the signature does not match).
 */
export function probotLogger(
  log: (entry: Record<string, unknown>) => void,
  level: 'warn' | 'info' | 'error' = 'warn',
): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') log(entryOf(line));
      }
      done();
    },
  });
  return pino({ level, base: undefined, timestamp: false }, destination);
}

function entryOf(line: string): Record<string, unknown> {
  let record: PinoRecord;
  try {
    record = JSON.parse(line) as PinoRecord;
  } catch {
    return { msg: 'probot', level: 'warn', message: line.slice(0, 500) };
  }
  const errorMessage = firstLine(record.err?.message);
  return {
    msg: 'probot',
    level: LEVEL_NAMES[record.level ?? 40] ?? String(record.level),
    message: firstLine(record.msg),
    ...(errorMessage ? { error: errorMessage } : {}),
  };
}

function firstLine(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return value.split('\n', 1)[0]?.slice(0, 500);
}
