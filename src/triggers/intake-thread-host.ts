import { Worker } from 'node:worker_threads';
import type {
  FromIntake,
  HttpReply,
  IntakeThreadData,
  ToIntake,
  WebhookAck,
} from './intake-thread-protocol.js';

export interface IntakeThread {
  /** The port the webhook server listens on (the one asked for, or the one given for 0). */
  readonly port: number;
  /** Stops taking requests, lets those in flight finish, closes the thread's store. */
  close(): Promise<void>;
}

export interface IntakeThreadHandlers {
  /** A new job is on disk. */
  readonly onStored: (stored: { jobId: string; supersededRunning: readonly string[] }) => void;
  readonly log: (entry: Record<string, unknown>) => void;
  /** A webhook request was answered (for the metrics). */
  readonly onAck: (ack: WebhookAck) => void;
  /** Answers a request off the webhook path (/healthz, /metrics, 404). */
  readonly answer: (request: { method: string; url: string }) => Promise<HttpReply>;
  /** The thread ended without being asked to (it can no longer take webhooks). */
  readonly onExit: (reason: string) => void;
}

/**
 * Starts the webhook intake thread (intake-thread.ts) and serves its requests for the main
 * thread. Run from TypeScript sources (tests, benches under tsx), the thread loads them
 * through tsx; from the build, it runs the compiled module.
 */
export async function startIntakeThread(
  data: Omit<IntakeThreadData, 'role'>,
  handlers: IntakeThreadHandlers,
): Promise<IntakeThread> {
  const fromSources = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSources ? './intake-thread.ts' : './intake-thread.js', import.meta.url);
  const worker = new Worker(entry, {
    workerData: { ...data, role: 'patchling-webhook-intake' } satisfies IntakeThreadData,
    // The App's own flags (--env-file, say) are not the thread's business, nor is its
    // environment (model keys, the App's key): everything the thread needs is in workerData.
    execArgv: fromSources ? ['--import', 'tsx'] : [],
    env: {},
  });
  const send = (message: ToIntake) => worker.postMessage(message);
  let closing = false;
  let closed: () => void = () => undefined;
  const whenClosed = new Promise<void>((resolve) => (closed = resolve));

  const listening = new Promise<number>((resolve, reject) => {
    let started = false;
    worker.on('message', (message: FromIntake) => {
      switch (message.type) {
        case 'listening':
          started = true;
          resolve(message.port);
          break;
        case 'failed':
          if (!started) reject(new Error(`the webhook intake could not start: ${message.error}`));
          else handlers.log({ msg: 'webhook intake failed', level: 'error', error: message.error });
          break;
        case 'stored':
          handlers.onStored(message);
          break;
        case 'log':
          handlers.log(message.entry);
          break;
        case 'acked':
          handlers.onAck(message);
          break;
        case 'request':
          void handlers.answer(message).then(
            (reply) => send({ type: 'reply', id: message.id, ...reply }),
            (error: unknown) =>
              send({
                type: 'reply',
                id: message.id,
                status: 500,
                headers: { 'content-type': 'text/plain' },
                body: `${String(error)}\n`,
              }),
          );
          break;
        case 'closed':
          closed();
          break;
        default: {
          const unknown: never = message;
          throw new Error(`unknown message ${JSON.stringify(unknown)}`);
        }
      }
    });
    worker.on('error', (error) => {
      if (!started) reject(error);
      else handlers.log({ msg: 'webhook intake failed', level: 'error', error: String(error) });
    });
    worker.on('exit', (code) => {
      closed();
      if (!started)
        reject(new Error(`the webhook intake thread exited (${code}) before listening`));
      else if (!closing) handlers.onExit(`the webhook intake thread exited (${code})`);
    });
  });

  // A thread that could not start (a port in use, say) must not outlive the error.
  const port = await listening.catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  return {
    port,
    async close() {
      if (!closing) {
        closing = true;
        send({ type: 'close' });
      }
      await whenClosed;
      await worker.terminate();
    },
  };
}
