/**
 * The sender side of the busy-ack bench, in its own process so that its work (building
 * requests, reading responses) and its clock are not the server's. GitHub sends each
 * delivery over its own connection as events happen, so every request here opens a new
 * connection (no keep-alive). Bodies and signatures are built before the clock starts.
 *
 * startAckClient forks it; the parent sends one `AckPlan` at a time over IPC and gets an
 * `AckRun` back.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { fork } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { payload } from './webhook-ack.js';

export type AckPlan =
  /** `count` requests started in the same event-loop turn: the worst case. */
  | {
      readonly mode: 'burst';
      readonly url: string;
      readonly secret: string;
      readonly count: number;
      readonly offset: number;
    }
  /** `count` requests spread evenly over `overMs`, each on time whatever the others do. */
  | {
      readonly mode: 'rate';
      readonly url: string;
      readonly secret: string;
      readonly count: number;
      readonly overMs: number;
      readonly offset: number;
    };

export interface AckRun {
  /** Per delivery: from the request's start to the end of its response, on this process's clock. */
  readonly times: number[];
  /** From the first request's start to the last response's end. */
  readonly wallMs: number;
  /** How late, at worst, this process started a request after its scheduled time. */
  readonly maxStartLagMs: number;
}

interface Prepared {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

function prepare(plan: AckPlan): Prepared[] {
  return Array.from({ length: plan.count }, (_, n) => {
    const body = Buffer.from(JSON.stringify(payload(plan.offset + n)));
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'content-length': String(body.length),
        'x-github-event': 'issue_comment',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', plan.secret).update(body).digest('hex')}`,
      },
    };
  });
}

function send(url: URL, delivery: Prepared): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', headers: delivery.headers, agent: false },
      (response) => {
        response.resume();
        response.once('end', () => {
          if (response.statusCode !== 200) {
            reject(new Error(`webhook answered ${response.statusCode}`));
          } else resolve(performance.now() - started);
        });
      },
    );
    req.once('error', reject);
    req.end(delivery.body);
  });
}

export async function runPlan(plan: AckPlan): Promise<AckRun> {
  const url = new URL(plan.url);
  const deliveries = prepare(plan);
  const started = performance.now();
  let maxStartLagMs = 0;
  let pending: Promise<number>[];
  if (plan.mode === 'burst') {
    pending = deliveries.map((d) => send(url, d));
  } else {
    const gapMs = plan.overMs / plan.count;
    pending = deliveries.map(
      (d, n) =>
        new Promise<number>((resolve, reject) => {
          const due = started + n * gapMs;
          setTimeout(
            () => {
              maxStartLagMs = Math.max(maxStartLagMs, performance.now() - due);
              send(url, d).then(resolve, reject);
            },
            Math.max(0, due - performance.now()),
          );
        }),
    );
  }
  const times = await Promise.all(pending);
  return { times, wallMs: performance.now() - started, maxStartLagMs };
}

export interface AckClient {
  run(plan: AckPlan): Promise<AckRun>;
  stop(): void;
}

/** Starts the sender in a process of its own (this module, under tsx). */
export function startAckClient(): AckClient {
  const script = fileURLToPath(import.meta.url);
  const child = fork(script, [CHILD_FLAG], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  let queue: Promise<unknown> = Promise.resolve();
  return {
    run(plan) {
      const next = queue.then(
        () =>
          new Promise<AckRun>((resolve, reject) => {
            child.once('message', (message: { ok: boolean; run?: AckRun; error?: string }) => {
              if (message.ok && message.run) resolve(message.run);
              else reject(new Error(`the bench client failed: ${message.error}`));
            });
            child.send(plan);
          }),
      );
      queue = next.catch(() => undefined);
      return next;
    },
    stop: () => child.disconnect(),
  };
}

const CHILD_FLAG = '--patchling-ack-client';

if (process.argv.includes(CHILD_FLAG) && process.send) {
  const reply = process.send.bind(process);
  process.on('message', (plan: AckPlan) => {
    runPlan(plan).then(
      (run) => reply({ ok: true, run }),
      (error: unknown) => reply({ ok: false, error: String(error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
}
