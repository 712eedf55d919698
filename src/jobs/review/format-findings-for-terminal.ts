import type { Finding, Priority } from './finding.js';

export interface TerminalFormatOptions {
  /** ANSI colours, for a terminal that shows them. */
  readonly color: boolean;
}

const RESET = '\u001b[0m';
const BOLD = '\u001b[1m';
const DIM = '\u001b[2m';
const GREEN = '\u001b[32m';
const PRIORITY_COLOR: Readonly<Record<Priority, string>> = {
  P0: '\u001b[1;31m',
  P1: '\u001b[31m',
  P2: '\u001b[33m',
  P3: '\u001b[36m',
};

/**
 * The findings as `patchling review` prints them:
 *
 *     src/a.ts:3-5  P1  Off-by-one in page count
 *         Why it is wrong…
 *         suggestion:
 *         + replacement line
 *
 * Model text is printed as it came, except control characters, which could move the
 * cursor or recolour the terminal; they are shown escaped.
 */
export function formatFindingsForTerminal(
  findings: readonly Finding[],
  options: TerminalFormatOptions,
): string {
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${RESET}` : text);
  return findings
    .map((finding) => {
      const range =
        finding.start_line === finding.end_line
          ? `${finding.start_line}`
          : `${finding.start_line}-${finding.end_line}`;
      const lines = [
        `${paint(BOLD, `${clean(finding.path)}:${range}`)}  ${paint(PRIORITY_COLOR[finding.priority], finding.priority)}  ${clean(finding.title)}`,
        ...indent(finding.explanation),
      ];
      if (finding.suggestion !== null) {
        lines.push(`    ${paint(DIM, 'suggestion:')}`);
        const suggested = finding.suggestion.replace(/\r?\n$/, '');
        for (const line of suggested === '' ? [] : suggested.split(/\r?\n/)) {
          lines.push(`    ${paint(GREEN, `+ ${clean(line)}`)}`);
        }
        if (suggested === '') lines.push(`    ${paint(DIM, '(delete these lines)')}`);
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

function indent(text: string): string[] {
  return text
    .trimEnd()
    .split(/\r?\n/)
    .map((line) => (line === '' ? '' : `    ${clean(line)}`));
}

/** Control characters (ESC above all) shown as escapes; tabs are kept. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (char) => {
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
