import { z } from 'zod';
import type { ProgressState } from './progress-state.js';

/**
 * The hidden lines that make a progress comment (or check run summary) recognisable and
 * recoverable by a later process: `<!-- patchling:progress job=ID -->` first, and the
 * state as JSON last, so a crash finalizer can keep the plan and the start time.
 */
export function progressMarker(jobId: string): string {
  return `<!-- patchling:progress job=${safeJobId(jobId)} -->`;
}

/** Job ids go inside an HTML comment: keep them to characters that cannot end it. */
export function safeJobId(jobId: string): string {
  return jobId.replace(/[^A-Za-z0-9._:/#@+=-]/g, '_').replace(/--+/g, '-');
}

const MARKER = /<!-- patchling:progress job=(\S+) -->/;
const STATE = /<!-- patchling:state (\{.*\}) -->/;

const persistedState = z.object({
  status: z.enum(['queued', 'running', 'succeeded', 'failed']),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  plan: z
    .array(z.object({ step: z.string(), status: z.enum(['pending', 'in_progress', 'completed']) }))
    .default([]),
});

const MAX_PERSISTED_STEPS = 50;
const MAX_PERSISTED_STEP_CHARS = 200;

/** The state line. `redact` runs before escaping, so a secret is found in its plain spelling. */
export function stateLine(state: ProgressState, redact: (text: string) => string): string {
  const persisted: z.input<typeof persistedState> = {
    status: state.status,
    startedAt: state.startedAt,
    ...(state.finishedAt === undefined ? {} : { finishedAt: state.finishedAt }),
    plan: state.plan.slice(0, MAX_PERSISTED_STEPS).map((step) => ({
      step: redact(step.step).slice(0, MAX_PERSISTED_STEP_CHARS),
      status: step.status,
    })),
  };
  // `<` and `>` escaped, so nothing inside can close the comment; still valid JSON.
  const json = JSON.stringify(persisted).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
  return `<!-- patchling:state ${json} -->`;
}

export interface ParsedProgress {
  readonly jobId: string;
  /** Absent when the state line is missing or unreadable (an edited comment). */
  readonly state?: ProgressState;
}

/** Reads back a body we rendered; undefined when it is not a Patchling progress body. */
export function parseProgressBody(body: string): ParsedProgress | undefined {
  const marker = MARKER.exec(body);
  if (!marker?.[1]) return undefined;
  const json = STATE.exec(body)?.[1];
  if (json === undefined) return { jobId: marker[1] };
  try {
    const parsed = persistedState.safeParse(JSON.parse(json));
    return parsed.success ? { jobId: marker[1], state: parsed.data } : { jobId: marker[1] };
  } catch {
    return { jobId: marker[1] };
  }
}
