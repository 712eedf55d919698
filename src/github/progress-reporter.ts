import type { AgentEvent } from '../agent/events.js';
import { describeError } from '../errors.js';
import {
  applyAgentEvent,
  applyGitHubWait,
  isFinal,
  oneSentence,
  type ProgressState,
} from './progress-state.js';
import type { GitHubRateLimitWait } from './throttle-options.js';

/** How the job ended well. */
export interface ProgressSuccess {
  readonly summary: string;
  /** Where to see the result: the PR, the review, the SARIF upload. */
  readonly link?: string;
  /** success (default), or neutral when there was nothing to report. */
  readonly conclusion?: 'success' | 'neutral';
}

/**
 * One job's visible progress, as a comment or a check run: created at once, updated in
 * place (at most one write per interval), and always brought to a final state.
 */
export interface ProgressReporter {
  /** The comment or check run id once created or resumed. */
  readonly id: number | undefined;
  /** Posts the "queued" state at once; returns the id to persist for `resume`. */
  start(): Promise<number>;
  /** Takes over the progress an earlier process created (after a restart), as running. */
  resume(id: number): Promise<void>;
  running(detail?: string): void;
  /** Plan updates and model retry waits; other events change nothing visible. */
  onAgentEvent(event: AgentEvent): void;
  /** A wait imposed by GitHub's rate limits (from createGitHubClient's throttle callbacks). */
  onGitHubWait(wait: GitHubRateLimitWait): void;
  succeeded(outcome: ProgressSuccess): Promise<void>;
  /** `reason` is cut to its first sentence; `details` (the job's own markdown) follow it. */
  failed(reason: string, details?: string): Promise<void>;
  /**
   * For a job whose process died: marks its progress failed, keeping the plan; leaves an
   * already final state alone; posts anew when the original is gone or not ours.
   */
  finalizeAfterCrash(id: number, reason: string): Promise<void>;
  /** Resolves when no write is running (tests, shutdown). */
  settled(): Promise<void>;
}

/** Where the state is written: a comment or a check run. */
export interface ProgressSink {
  create(state: ProgressState): Promise<number>;
  update(id: number, state: ProgressState): Promise<void>;
  /** What an earlier process wrote; undefined when it is gone or not this job's. */
  load(id: number): Promise<ProgressState | undefined>;
}

/** Starts a timer; the returned function cancels it. Tests pass a controlled clock's. */
export type StartTimer = (callback: () => void, ms: number) => () => void;

/** setTimeout, unref'd: a pending progress update never keeps the process alive. */
const realTimer: StartTimer = (callback, ms) => {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface ProgressReporterOptions {
  readonly now?: () => number;
  /** Default setTimeout; pass one driven by the same clock as `now`. */
  readonly startTimer?: StartTimer;
  /**
   * At most one intermediate write per this many ms. Default 10 s. The first move from
   * queued to running and final states are written at once.
   */
  readonly minUpdateIntervalMs?: number;
  readonly log?: { readonly warn: (message: string) => unknown };
  /** Applied to a failure reason before it is shortened, so a cut never splits a secret. */
  readonly redact?: (text: string) => string;
}

export function createProgressReporter(
  sink: ProgressSink,
  options: ProgressReporterOptions = {},
): ProgressReporter {
  const now = options.now ?? Date.now;
  const interval = options.minUpdateIntervalMs ?? 10_000;
  const startTimer = options.startTimer ?? realTimer;
  const warn = (message: string) => options.log?.warn(message);
  const redact = options.redact ?? ((text: string) => text);

  let id: number | undefined;
  let state: ProgressState = { status: 'queued', startedAt: now(), plan: [] };
  /** The state last written, by identity: the reducers return the same object for no change. */
  let written: ProgressState | undefined;
  let lastWriteAt = Number.NEGATIVE_INFINITY;
  /** Whether the move to running was written (or is being written) at once. */
  let startShown = false;
  /** Cancels the pending write's timer; undefined when none is pending. */
  let timer: (() => void) | undefined;
  let closing: Promise<void> | undefined;
  /** Writes run one at a time, in order. */
  let writes: Promise<void> = Promise.resolve();

  function enqueue<T>(write: () => Promise<T>): Promise<T> {
    const next = writes.then(write);
    writes = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  function change(next: ProgressState): void {
    if (closing || next === state) return;
    state = next;
    schedule();
  }

  function schedule(): void {
    if (closing || id === undefined) return;
    // The job started: show it at once (a short job would otherwise stay "queued" until it
    // is done); after that, one write per interval.
    const showStart = !startShown && state.status === 'running';
    if (showStart) {
      startShown = true;
      timer?.();
      timer = undefined;
    }
    if (timer !== undefined) return;
    const delay = showStart ? 0 : Math.max(0, lastWriteAt + interval - now());
    timer = startTimer(() => {
      timer = undefined;
      void flush();
    }, delay);
  }

  async function flush(): Promise<void> {
    try {
      await enqueue(async () => {
        const target = id;
        if (closing || target === undefined || state === written) return;
        const snapshot = state;
        await sink.update(target, snapshot);
        written = snapshot;
      });
    } catch (error) {
      warn(`progress update failed (the next one will try again): ${describeError(error)}`);
    }
    lastWriteAt = now();
    if (state !== written) schedule();
  }

  function finish(final: ProgressState): Promise<void> {
    if (closing) return closing;
    timer?.();
    timer = undefined;
    state = final;
    const attempt = enqueue(async () => {
      if (id === undefined) id = await sink.create(final);
      else await sink.update(id, final);
      written = final;
    });
    closing = attempt;
    // A final write that failed (GitHub down past its retries) must not block the next
    // final state: a later succeeded/failed call writes again instead of returning this.
    attempt.catch(() => {
      if (closing === attempt) closing = undefined;
    });
    return attempt;
  }

  function finalOf(base: ProgressState, changes: Partial<ProgressState>): ProgressState {
    const { lastWait: _wait, detail: _detail, ...rest } = base;
    return { ...rest, ...changes, finishedAt: now() };
  }

  return {
    get id() {
      return id;
    },
    async start() {
      if (id !== undefined) return id;
      const initial = state;
      const created = await enqueue(() => sink.create(initial));
      id = created;
      written = initial;
      lastWriteAt = now();
      if (state !== written) schedule();
      return created;
    },
    async resume(existing) {
      const loaded = await enqueue(() => sink.load(existing));
      if (loaded) {
        id = existing;
        written = loaded;
        const {
          reason: _reason,
          summary: _summary,
          link: _link,
          finishedAt: _end,
          ...rest
        } = loaded;
        state = { ...rest, status: 'running' };
        schedule();
      } else {
        warn(`progress ${existing} is gone; posting a new one`);
        state = { ...state, status: 'running' };
        id = await enqueue(() => sink.create(state));
        written = state;
        lastWriteAt = now();
      }
    },
    running(detail) {
      if (isFinal(state.status)) return;
      const { detail: _old, ...rest } = state;
      change(detail ? { ...rest, status: 'running', detail } : { ...rest, status: 'running' });
    },
    onAgentEvent(event) {
      change(applyAgentEvent(state, event));
    },
    onGitHubWait(wait) {
      change(applyGitHubWait(state, wait));
    },
    succeeded(outcome) {
      return finish(
        finalOf(state, {
          status: 'succeeded',
          summary: outcome.summary,
          ...(outcome.link ? { link: outcome.link } : {}),
          ...(outcome.conclusion === 'neutral' ? { neutral: true } : {}),
        }),
      );
    },
    failed(reason, details) {
      return finish(
        finalOf(state, {
          status: 'failed',
          reason: oneSentence(redact(reason)),
          ...(details ? { summary: details } : {}),
        }),
      );
    },
    async finalizeAfterCrash(existing, reason) {
      const loaded = await enqueue(() => sink.load(existing));
      if (loaded) {
        id = existing;
        state = loaded;
        written = loaded;
        if (isFinal(loaded.status)) {
          closing = Promise.resolve();
          return;
        }
      } else {
        warn(`progress ${existing} is gone or not this job's; posting the failure anew`);
        id = undefined;
      }
      await finish(finalOf(state, { status: 'failed', reason: oneSentence(redact(reason)) }));
    },
    async settled() {
      await writes;
      if (closing) await closing.catch(() => undefined);
    },
  };
}
