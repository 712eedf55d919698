/**
 * Turns a comment body into a command addressed to Patchling, or undefined.
 *
 * A command is `/<name> <subcommand> …` or `@<name> <subcommand> …` at the start of a line
 * (up to three spaces of indent, as Markdown allows). Lines that quote someone else
 * (`> /patchling fix`), code (fenced or indented) and HTML comments never trigger: text
 * that merely shows a command is not a request to run it. The first command wins; what
 * follows it on its line and on later lines is its text.
 */

export type Command =
  | { readonly kind: 'review'; readonly text?: string }
  | { readonly kind: 'fix'; readonly text?: string }
  /** `/patchling scan` is a full scan; `/patchling scan diff` only what changed since the last. */
  | { readonly kind: 'scan'; readonly scope?: 'diff' }
  | { readonly kind: 'help'; readonly note?: string };

const SUBCOMMANDS = ['review', 'fix', 'scan', 'help'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;

/** `commandName` is the name users type, e.g. "patchling" (the App's slug). */
export function parseCommand(body: string, commandName: string): Command | undefined {
  const name = escapeRegExp(commandName);
  // `@patchling[bot]` is the App's own login; people may type that too.
  const command = new RegExp(
    `^ {0,3}(?:/${name}|@${name}(?:\\[bot\\])?)(?=$|[\\s,:])[,:]?(.*)$`,
    'i',
  );
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  let fence: string | undefined;
  let inHtmlComment = false;

  for (const [index, line] of lines.entries()) {
    if (fence !== undefined) {
      if (line.trim().startsWith(fence) && /^[`~]+$/.test(line.trim())) fence = undefined;
      continue;
    }
    if (inHtmlComment) {
      inHtmlComment = !line.includes('-->');
      continue;
    }
    const opened = FENCE_OPEN.exec(line)?.[1];
    if (opened !== undefined) {
      fence = opened;
      continue;
    }
    const match = command.exec(line);
    if (match) return toCommand(match[1] ?? '', lines.slice(index + 1));
    if (opensHtmlComment(line)) inHtmlComment = true;
  }
  return undefined;
}

function toCommand(restOfLine: string, laterLines: readonly string[]): Command {
  const rest = restOfLine.trim();
  const word = /^\S*/.exec(rest)?.[0] ?? '';
  const subcommand = word.toLowerCase().replace(/[.,:;!?]+$/, '');
  const text = [rest.slice(word.length), ...laterLines].join('\n').trim() || undefined;
  if (subcommand === '') return { kind: 'help' };
  if (!isSubcommand(subcommand)) {
    return { kind: 'help', note: `unknown command ${JSON.stringify(word.slice(0, 40))}` };
  }
  switch (subcommand) {
    case 'review':
    case 'fix':
      return text === undefined ? { kind: subcommand } : { kind: subcommand, text };
    case 'scan':
      return /^diff\b/i.test(restOfLine.trim().slice(word.length).trim())
        ? { kind: 'scan', scope: 'diff' }
        : { kind: 'scan' };
    case 'help':
      return { kind: 'help' };
    default: {
      const unhandled: never = subcommand;
      throw new Error(`unhandled subcommand ${String(unhandled)}`);
    }
  }
}

function isSubcommand(word: string): word is Subcommand {
  return (SUBCOMMANDS as readonly string[]).includes(word);
}

/** Whether the line leaves an HTML comment open (`<!--` after the last `-->`). */
function opensHtmlComment(line: string): boolean {
  return line.lastIndexOf('<!--') > line.lastIndexOf('-->');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
