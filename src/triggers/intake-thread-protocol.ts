/**
 * What the App's main thread and its webhook intake thread (intake-thread.ts) say to
 * each other. Both sides are this program; the messages are structured clones.
 */

/** The intake's own connection to the queue: the same store the main thread uses. */
export type IntakeStoreSpec =
  | { readonly backend: 'sqlite'; readonly path: string }
  | { readonly backend: 'redis'; readonly url: string };

export interface IntakeThreadData {
  /** Marks the thread as the intake, so the entry module runs only there. */
  readonly role: 'patchling-webhook-intake';
  readonly secret: string;
  readonly webhookPath: string;
  readonly host: string;
  readonly port: number;
  readonly store: IntakeStoreSpec;
  /** INTAKE_TIMEOUTS (intake-thread.ts) unless given (tests). */
  readonly timeouts?: Partial<IntakeTimeouts>;
}

/** Limits on how long a request may take to arrive (Node's http server options). */
export interface IntakeTimeouts {
  /** From the connection to the end of the headers. */
  readonly headersMs: number;
  /** From the connection to the end of the body. */
  readonly requestMs: number;
  /** How often Node looks for requests past these. */
  readonly checkEveryMs: number;
}

/** A response the main thread computes for a request that is not a webhook (/healthz, /metrics). */
export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** One webhook request answered, as the intake thread saw it. */
export interface WebhookAck {
  readonly status: number;
  /** From the request's arrival to its response's end, on the intake thread's clock. */
  readonly ms: number;
  /** CPU the intake thread has used so far, in microseconds (process.threadCpuUsage). */
  readonly threadCpuMicros: number;
}

export type FromIntake =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'failed'; readonly error: string }
  /** A new job is on disk: wake the pool, abort what it supersedes here. */
  | {
      readonly type: 'stored';
      readonly jobId: string;
      readonly supersededRunning: readonly string[];
    }
  | { readonly type: 'log'; readonly entry: Record<string, unknown> }
  | ({ readonly type: 'acked' } & WebhookAck)
  | { readonly type: 'request'; readonly id: number; readonly method: string; readonly url: string }
  | { readonly type: 'closed' };

export type ToIntake =
  ({ readonly type: 'reply'; readonly id: number } & HttpReply) | { readonly type: 'close' };
