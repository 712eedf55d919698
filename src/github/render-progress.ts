import type { SecretRedactor } from '../util/redact-secrets.js';
import { formatDuration } from './format-duration.js';
import { fitGitHubText } from './limits.js';
import { progressMarker, stateLine } from './progress-marker.js';
import type { ProgressState, ProgressStatus, ProgressSubject } from './progress-state.js';

const MAX_PLAN_STEPS = 50;
const MAX_STEP_CHARS = 200;

const EMOJI: Record<ProgressStatus, string> = {
  queued: '🕒',
  running: '🔄',
  succeeded: '✅',
  failed: '❌',
};

/**
 * The progress body: marker, status line, plan checklist, last wait, elapsed time, state.
 * Model-written text (plan steps, waits, reasons) is redacted, put on one line, and
 * defused (no HTML, no @mentions); the summary is the job's own markdown.
 */
export function renderProgressBody(
  subject: ProgressSubject,
  state: ProgressState,
  now: number,
  redactor: SecretRedactor,
): string {
  const inline = (text: string, max = 500): string => defuse(redactor.redact(text), max);
  const parts = [progressMarker(subject.jobId), statusLine(subject, state, inline)];
  if (state.status === 'succeeded' || state.status === 'failed') {
    if (state.summary) parts.push(redactor.redact(state.summary));
  }
  if (state.status === 'succeeded' && state.link) parts.push(`[View the result](${state.link})`);
  if (state.plan.length > 0) parts.push(planChecklist(state, inline));
  if (state.lastWait && (state.status === 'queued' || state.status === 'running')) {
    const wait = state.lastWait;
    parts.push(`⏳ ${inline(wait.reason)}, retrying in ${formatDuration(wait.delayMs)}`);
  }
  const final = state.status === 'succeeded' || state.status === 'failed';
  const elapsed = formatDuration((state.finishedAt ?? now) - state.startedAt);
  parts.push(`<sub>${final ? 'Took' : 'Elapsed'}: ${elapsed}</sub>`);
  // The state line stays whole even when the visible part is cut.
  return `${fitGitHubText(parts.join('\n\n'), 60_000)}\n${stateLine(state, (text) => redactor.redact(text))}`;
}

/** A short title for a check run's output. */
export function progressTitle(state: ProgressState): string {
  switch (state.status) {
    case 'queued':
      return 'Queued';
    case 'running': {
      const current = state.plan.findIndex((step) => step.status !== 'completed');
      return current < 0 || state.plan.length === 0
        ? 'Running'
        : `Running: step ${current + 1} of ${state.plan.length}`;
    }
    case 'succeeded':
      return state.neutral ? 'Done: nothing to report' : 'Done';
    case 'failed':
      return 'Failed';
    default: {
      const unhandled: never = state.status;
      throw new Error(`unknown status ${String(unhandled)}`);
    }
  }
}

function statusLine(
  subject: ProgressSubject,
  state: ProgressState,
  inline: (text: string, max?: number) => string,
): string {
  const who = `**Patchling ${inline(subject.jobKind, 40)}**`;
  const emoji = state.status === 'succeeded' && state.neutral ? 'ℹ️' : EMOJI[state.status];
  switch (state.status) {
    case 'queued':
      return `${emoji} ${who} is queued.`;
    case 'running':
      return state.detail
        ? `${emoji} ${who} is running: ${inline(state.detail)}`
        : `${emoji} ${who} is running.`;
    case 'succeeded':
      return `${emoji} ${who} is done.`;
    case 'failed':
      return `${emoji} ${who} failed: ${inline(state.reason ?? 'unknown error')}`;
    default: {
      const unhandled: never = state.status;
      throw new Error(`unknown status ${String(unhandled)}`);
    }
  }
}

function planChecklist(state: ProgressState, inline: (text: string, max?: number) => string) {
  const lines = state.plan.slice(0, MAX_PLAN_STEPS).map((step) => {
    const text = inline(step.step, MAX_STEP_CHARS);
    if (step.status === 'completed') return `- [x] ${text}`;
    if (step.status === 'in_progress') return `- [ ] **${text}** _(in progress)_`;
    return `- [ ] ${text}`;
  });
  const more = state.plan.length - MAX_PLAN_STEPS;
  if (more > 0) lines.push(`- … and ${more} more`);
  return `**Plan**\n${lines.join('\n')}`;
}

/**
 * One line of untrusted text made inert: HTML escaped (no hidden comments or tags), and
 * @mentions broken with a zero-width joiner so nobody gets pinged.
 */
export function defuse(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const short = line.length <= max ? line : `${line.slice(0, max - 1)}…`;
  return short
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(?=[A-Za-z0-9])/g, '@\u200d');
}
