/**
 * Model-written markdown made safe to post: no HTML comment can open (so nothing after it
 * is hidden and no Patchling marker can be forged) and @mentions are broken with a
 * zero-width joiner, so nobody is pinged. The rest of the markdown is kept.
 */
export function defuseMarkdown(text: string): string {
  return text.replace(/<!--/g, '&lt;!--').replace(/@(?=[A-Za-z0-9])/g, '@\u200d');
}

/** Text on one line as an inline code span, whatever backticks it contains. */
export function codeSpan(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const ticks = '`'.repeat(longestRun(line, '`') + 1);
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${line}${pad}${ticks}`;
}

/**
 * A fenced block (```` ```suggestion ```` for a suggestion) whose fence is longer than any
 * backtick run inside, so the content cannot close it. One trailing newline of the content
 * is dropped (it would add an empty line); empty content is an empty block (for a suggestion:
 * delete the lines).
 */
export function fencedBlock(content: string, info = ''): string {
  const fence = '`'.repeat(Math.max(3, longestRun(content, '`') + 1));
  const body = content.endsWith('\n') ? content.slice(0, -1) : content;
  return content === '' ? `${fence}${info}\n${fence}` : `${fence}${info}\n${body}\n${fence}`;
}

function longestRun(text: string, char: string): number {
  let longest = 0;
  let current = 0;
  for (const c of text) {
    current = c === char ? current + 1 : 0;
    longest = Math.max(longest, current);
  }
  return longest;
}
