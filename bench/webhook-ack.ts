import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startAppServer } from '../src/triggers/app-server.js';
import { testModelConfig } from '../test/support/test-model-config.js';
import { median, percentile, round, type BenchResult } from './bench-result.js';

const QUEUED = 1000;
const MEASURED = 1000;
const SECRET = 'bench-webhook-secret-0123456789';

/**
 * Webhook acknowledgement latency as GitHub sees it: a signed delivery over real HTTP,
 * through Probot's signature check and the durable enqueue (SQLite, synchronous=FULL),
 * until the response ends; with 1,000 jobs already queued and no worker draining them.
 */
export async function benchWebhookAck(): Promise<BenchResult[]> {
  const stateDir = await mkdtemp(path.join(os.tmpdir(), 'patchling-bench-ack-'));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const server = await startAppServer({
    config: {
      appId: 1,
      privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
      webhookSecret: SECRET,
      port: 0,
      host: '127.0.0.1',
      webhookPath: '/api/github/webhooks',
      commandName: 'patchling',
      concurrency: 1,
      jobTimeoutMs: 60_000,
      maxTurns: 10,
      githubApiUrl: 'https://api.github.invalid',
      cloneBaseUrl: 'https://github.invalid',
    },
    modelConfig: testModelConfig('http://127.0.0.1:9/v1', 'responses'),
    stateDir,
    env: {},
    log: () => undefined,
    startWorkers: false,
  });
  try {
    const url = `${server.url}/api/github/webhooks`;
    const send = async (n: number) => {
      const body = JSON.stringify(payload(n));
      const started = performance.now();
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issue_comment',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
        },
        body,
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`webhook answered ${response.status}`);
      return performance.now() - started;
    };
    for (let i = 0; i < QUEUED; i++) await send(i);
    const times: number[] = [];
    for (let i = 0; i < MEASURED; i++) times.push(await send(QUEUED + i));
    const queued = (await server.store.list({ status: 'queued', limit: 5000 })).length;
    return [
      {
        name: `webhook ack latency, p50 (${queued} queued)`,
        value: round(median(times)),
        unit: 'ms',
      },
      {
        name: 'webhook ack latency, p99',
        value: round(percentile(times, 0.99)),
        unit: 'ms',
        note: 'target < 50 ms',
      },
      { name: 'webhook ack latency, max', value: round(Math.max(...times)), unit: 'ms' },
    ];
  } finally {
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** An issue_comment delivery shaped like GitHub's, small enough not to measure JSON. */
export function payload(n: number) {
  const user = { login: 'octocat', id: 1, type: 'User' };
  return {
    action: 'created',
    issue: { number: n + 1, title: 'A bug', body: 'It breaks.', user, state: 'open' },
    comment: { id: 1000 + n, body: '/patchling help', user },
    repository: {
      name: 'hello-world',
      full_name: 'octocat/hello-world',
      owner: { login: 'octocat', type: 'User' },
      default_branch: 'main',
    },
    installation: { id: 42 },
    sender: user,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const r of await benchWebhookAck())
    console.log(`${r.name}: ${r.value} ${r.unit}${r.note ? ` (${r.note})` : ''}`);
}
