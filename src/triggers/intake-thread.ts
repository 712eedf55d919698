import { createServer, type ServerResponse } from 'node:http';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { describeError } from '../errors.js';
import { jobEnqueueInput } from '../jobs/job-enqueue-input.js';
import type { Job } from '../jobs/job.js';
import type { JobStore } from '../queue/types.js';
import type {
  FromIntake,
  IntakeStoreSpec,
  IntakeThreadData,
  IntakeTimeouts,
  ToIntake,
} from './intake-thread-protocol.js';
import { intakeDelivery } from './webhook-intake.js';
import { createWebhookHandler } from './webhook-request.js';

/**
 * The App's webhook intake, on a thread of its own: it verifies, stores and answers, and
 * nothing else runs on its event loop. Jobs run on the main thread (model streams, git,
 * sandbox spawns, the pool's claims and heartbeats); none of that can delay an
 * acknowledgement. The thread has its own connection to the queue (a second SQLite
 * connection in WAL mode, or a second Redis client that only adds jobs) and tells the
 * main thread what it stored. Requests off the webhook path are answered by the main
 * thread (health and metrics know the pool).
 */
export async function runIntakeThread(port: MessagePort, data: IntakeThreadData): Promise<void> {
  const post = (message: FromIntake) => port.postMessage(message);
  const log = (entry: Record<string, unknown>) => post({ type: 'log', entry });
  let store: JobStore<Job>;
  try {
    store = await openIntakeStore(data.store);
  } catch (error) {
    post({ type: 'failed', error: describeError(error) });
    return;
  }
  const webhook = createWebhookHandler({
    secret: data.secret,
    path: data.webhookPath,
    log,
    intake: (delivery) =>
      intakeDelivery(
        {
          log,
          submit: async (input) => {
            const result = await store.enqueue(jobEnqueueInput(input));
            if (!result.duplicate) {
              post({
                type: 'stored',
                jobId: result.job.id,
                supersededRunning: result.supersededRunning,
              });
            }
            return result;
          },
        },
        delivery,
      ),
  });
  const forwarded = new Map<number, ServerResponse>();
  let nextId = 0;
  const timeouts = { ...INTAKE_TIMEOUTS, ...data.timeouts };
  const server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: timeouts.checkEveryMs,
    },
    (request, response) => {
      const arrived = performance.now();
      if (webhook(request, response)) {
        response.once('finish', () => {
          const cpu = process.threadCpuUsage();
          post({
            type: 'acked',
            status: response.statusCode,
            ms: performance.now() - arrived,
            threadCpuMicros: cpu.user + cpu.system,
          });
        });
        return;
      }
      request.resume();
      const id = nextId++;
      forwarded.set(id, response);
      post({ type: 'request', id, method: request.method ?? 'GET', url: request.url ?? '/' });
    },
  );
  port.on('message', (message: ToIntake) => {
    switch (message.type) {
      case 'reply': {
        const response = forwarded.get(message.id);
        forwarded.delete(message.id);
        response?.writeHead(message.status, message.headers).end(message.body);
        break;
      }
      case 'close':
        void close();
        break;
      default: {
        const unknown: never = message;
        throw new Error(`unknown message ${JSON.stringify(unknown)}`);
      }
    }
  });
  const close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    await store.close();
    post({ type: 'closed' });
    port.close();
  };
  server.once('error', (error) => post({ type: 'failed', error: describeError(error) }));
  server.listen(data.port, data.host, () => {
    const address = server.address();
    post({
      type: 'listening',
      port: typeof address === 'object' && address ? address.port : data.port,
    });
  });
}

/**
 * How long a request may take to arrive. GitHub waits 10 seconds for its answer, so a
 * delivery still arriving after 30 is not one it will count; without these, Node's
 * defaults let a client that trickles its body (unsigned: the signature is checked on the
 * whole) hold a connection and up to MAX_WEBHOOK_BYTES for 5 minutes, and Node looks for
 * expired requests only every 30 seconds.
 */
export const INTAKE_TIMEOUTS: IntakeTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  checkEveryMs: 2_000,
};

/** A store that only adds jobs: the stalled check and recovery stay with the main thread. */
async function openIntakeStore(spec: IntakeStoreSpec): Promise<JobStore<Job>> {
  switch (spec.backend) {
    case 'sqlite': {
      const { SqliteJobStore } = await import('../queue/sqlite-job-store.js');
      // Checkpoints are the main thread's connection's (docs/queue.md, "The webhook acknowledgement").
      return SqliteJobStore.open<Job>({ path: spec.path, autoCheckpoint: false });
    }
    case 'redis': {
      const { BullmqJobStore } = await import('../queue/bullmq-job-store.js');
      return BullmqJobStore.open<Job>({ url: spec.url, stalledCheck: false });
    }
    default: {
      const unknown: never = spec;
      throw new Error(`unknown queue backend ${JSON.stringify(unknown)}`);
    }
  }
}

const data = (isMainThread ? undefined : workerData) as IntakeThreadData | undefined;
if (parentPort && data?.role === 'patchling-webhook-intake')
  await runIntakeThread(parentPort, data);
