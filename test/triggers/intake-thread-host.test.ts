import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startIntakeThread, type IntakeThread } from '../../src/triggers/intake-thread-host.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('the webhook intake thread, seen from the main thread', () => {
  // The App exits on onExit (app-server.ts), so a supervisor restarts it instead of it
  // answering nothing: the thread's death must reach the main thread.
  it('reports a thread that dies unasked, and not one that was closed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'patchling-intake-host-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const exits: string[] = [];
    let exited: () => void = () => undefined;
    const died = new Promise<void>((resolve) => (exited = resolve));
    const start = (answerStatus: number) =>
      startIntakeThread(
        {
          secret: 'intake-host-test-secret',
          webhookPath: '/hooks',
          host: '127.0.0.1',
          port: 0,
          store: { backend: 'sqlite', path: path.join(dir, 'queue.db') },
        },
        {
          onStored: () => undefined,
          log: () => undefined,
          onAck: () => undefined,
          // An answer the thread cannot write (an invalid status) throws on the thread.
          answer: () => Promise.resolve({ status: answerStatus, headers: {}, body: 'ok\n' }),
          onExit: (reason) => {
            exits.push(reason);
            exited();
          },
        },
      );

    const closed: IntakeThread = await start(200);
    const ok = await fetch(`http://127.0.0.1:${closed.port}/healthz`);
    expect(ok.status).toBe(200);
    await closed.close();

    const dying = await start(99);
    cleanup.push(() => dying.close());
    await fetch(`http://127.0.0.1:${dying.port}/healthz`).catch(() => undefined);
    await died;
    expect(exits).toEqual([expect.stringMatching(/^the webhook intake thread exited \(\d+\)$/)]);
  }, 60_000);
});
