/** Text from outside (an issue body, a PR title, a comment) on its way into a prompt. */
export interface UntrustedText {
  /** What it is, e.g. "issue body" or "pull request title". */
  readonly label: string;
  readonly text: string;
}

/**
 * Wraps outside text in `<untrusted-data>` tags that the base prompt tells the model to
 * treat as data. A closing tag inside the text is defused, so the text cannot end the
 * wrapper early and speak as the prompt.
 */
export function wrapUntrusted({ label, text }: UntrustedText): string {
  const safeLabel = label.replace(/["<>\n]/g, ' ');
  const body = text.replace(/<(\/?)untrusted-data/gi, '<$1untrusted-data\u200B');
  return `<untrusted-data source="${safeLabel}">\n${body}\n</untrusted-data>`;
}
