import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import type { FromIntake } from '../../src/triggers/intake-thread-protocol.js';
import { runIntakeThread } from '../../src/triggers/intake-thread.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** The intake as its thread runs it, on a MessageChannel in this one. */
async function startIntake() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-intake-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const { port1, port2 } = new MessageChannel();
  const messages: FromIntake[] = [];
  const listening = new Promise<number>((resolve, reject) => {
    port2.on('message', (message: FromIntake) => {
      messages.push(message);
      if (message.type === 'listening') resolve(message.port);
      if (message.type === 'failed') reject(new Error(message.error));
    });
  });
  await runIntakeThread(port1, {
    role: 'patchling-webhook-intake',
    secret: 'intake-timeout-test-secret',
    webhookPath: '/hooks',
    host: '127.0.0.1',
    port: 0,
    store: { backend: 'sqlite', path: path.join(dir, 'queue.db') },
    timeouts: { headersMs: 500, requestMs: 1_000, checkEveryMs: 100 },
  });
  const port = await listening;
  cleanup.push(async () => {
    const closed = new Promise<void>((resolve) =>
      port2.on('message', (message: FromIntake) => message.type === 'closed' && resolve()),
    );
    port2.postMessage({ type: 'close' });
    await closed;
    port2.close();
  });
  return { port, messages };
}

/** Sends `head` and then nothing more; resolves with what the server answered, if anything. */
function stall(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    // Generous: the limits here are 0.5 and 1 s; Node's own default would be 300 s.
    setTimeout(() => {
      socket.destroy();
      resolve(`still open: ${answer}`);
    }, 20_000).unref();
  });
}

describe('the webhook intake thread', () => {
  it('answers 408 and drops a request whose body stops arriving', async () => {
    const { port } = await startIntake();
    const answer = await stall(
      port,
      [
        'POST /hooks HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        'X-GitHub-Event: issues',
        'X-GitHub-Delivery: d-1',
        `X-Hub-Signature-256: sha256=${'0'.repeat(64)}`,
        'Content-Length: 1000000',
        '',
        '{"action":',
      ].join('\r\n'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);

  it('drops a connection whose headers stop arriving', async () => {
    const { port } = await startIntake();
    const answer = await stall(port, 'POST /hooks HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);
});
