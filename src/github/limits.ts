import { cutBeforePartialWord } from './progress-state.js';
/** GitHub rejects a comment, PR or review body over 65,536 characters. */
export const MAX_BODY_CHARS = 65_536;
/** A check run's output.summary and output.text: 65,535 characters each. */
export const MAX_CHECK_RUN_TEXT_CHARS = 65_535;

const NOTE = '\n\n…(truncated)';

/** Cuts text to fit a GitHub limit, saying so at the end. */
export function fitGitHubText(text: string, max: number = MAX_BODY_CHARS): string {
  if (text.length <= max) return text;
  return cutBeforePartialWord(text, max - NOTE.length) + NOTE;
}
