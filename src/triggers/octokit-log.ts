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
