/**
 * Two App processes on one real redis-server, GitHub played by a fake API server on
 * loopback (nock cannot reach into another process): a burst of deliveries split between
 * them with every job run once, and an instance killed with SIGKILL mid-job whose job the
 * other takes over and completes once.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.js';
import { BullmqJobStore } from '../../src/queue/bullmq-job-store.js';
import { waitUntil } from '../queue/helpers.js';
import { HAS_REDIS, startRedis, type RedisServer } from '../support/redis-server.js';
import { webhookPayload } from '../support/webhook-payloads.js';
import {
  deliverTo,
  killAll,
  startAppProcess,
  succeededJobs,
  type AppProcess,
} from './fixtures/app-process.js';

const SECRET = 'multi-instance-secret-0123456789';

interface Comment {
  readonly issue: number;
  readonly body: string;
}

/** The GitHub API as much as a `/patchling help` needs; holds comments on `hold` issues unanswered. */
function fakeGitHub() {
  const comments: Comment[] = [];
  const unmatched: string[] = [];
  const hold = new Set<number>();
  const held: number[] = [];
  const json = (res: ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8').on('data', (c: string) => (text += c));
    req.on('end', () => {
      const url = req.url ?? '';
      const route = `${req.method} ${url.split('?')[0]}`;
      let m: RegExpMatchArray | null;
      if (/^POST \/app\/installations\/\d+\/access_tokens$/.test(route)) {
        return json(res, 201, {
          token: 'ghs_fake',
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        });
      }
      if (route === 'GET /app') return json(res, 200, { id: 1, slug: 'patchling', name: 'x' });
      if ((m = route.match(/^GET \/repos\/[^/]+\/[^/]+\/collaborators\/([^/]+)\/permission$/))) {
        return json(res, 200, { permission: 'admin', role_name: 'admin', user: { login: m[1] } });
      }
      if (/^POST \/repos\/[^/]+\/[^/]+\/issues\/comments\/\d+\/reactions$/.test(route)) {
        return json(res, 201, { id: 1, content: 'eyes' });
      }
      if ((m = route.match(/^POST \/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/))) {
        const issue = Number(m[1]);
        if (hold.has(issue)) {
          held.push(issue);
          return; // never answered: the instance dies waiting
        }
        const body = (JSON.parse(text) as { body: string }).body;
        comments.push({ issue, body });
        return json(res, 201, { id: comments.length, body, html_url: 'https://github.com/x' });
      }
      if (req.method === 'GET') return json(res, 404, { message: 'Not Found' });
      unmatched.push(route);
      return json(res, 404, { message: 'Not Found' });
    });
  });
  return { server, comments, unmatched, hold, held };
}

let redis: RedisServer;
let github: ReturnType<typeof fakeGitHub>;
let githubUrl: string;
let stateRoot: string;
const instances: AppProcess[] = [];

beforeEach(async () => {
  if (!HAS_REDIS) return;
  redis = await startRedis({ appendonly: true });
  github = fakeGitHub();
  await new Promise<void>((resolve) => github.server.listen(0, '127.0.0.1', resolve));
  const address = github.server.address();
  githubUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  stateRoot = await mkdtemp(path.join(os.tmpdir(), 'patchling-instances-'));
}, 30_000);

afterEach(async () => {
  if (!HAS_REDIS) return;
  await killAll(instances);
  github.server.closeAllConnections();
  await new Promise<void>((resolve) => github.server.close(() => resolve()));
  await redis.stop();
  await rm(stateRoot, { recursive: true, force: true });
});

function startInstance(name: string): Promise<AppProcess> {
  const options = {
    queueUrl: redis.url,
    githubApiUrl: githubUrl,
    webhookSecret: SECRET,
    stateDir: path.join(stateRoot, name),
  };
  return startAppProcess(name, options, instances);
}

function deliver(instance: AppProcess, issue: number, deliveryId = randomUUID()) {
  const payload = webhookPayload('issue_comment', 'created', {
    issue: { number: issue },
    comment: { id: 5000 + issue, body: '/patchling help' },
  });
  return deliverTo(instance, SECRET, 'issue_comment', payload, deliveryId);
}

const succeeded = succeededJobs;

describe.skipIf(!HAS_REDIS)('two App processes on one Redis', () => {
  it('split a burst of deliveries, each job run once (a redelivery included)', async () => {
    const [a, b] = [await startInstance('a'), await startInstance('b')];
    const ids = Array.from({ length: 30 }, () => randomUUID());
    const statuses = await Promise.all(
      ids.map((id, i) => deliver(i % 2 === 0 ? a! : b!, i + 1, id)),
    );
    // GitHub redelivers two of them, to the other instance.
    statuses.push(await deliver(b!, 1, ids[0]), await deliver(a!, 2, ids[1]));
    expect(statuses.every((s) => s === 200)).toBe(true);

    await waitUntil(() => github.comments.length >= 30, 100_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const perIssue = new Map<number, number>();
    for (const c of github.comments) perIssue.set(c.issue, (perIssue.get(c.issue) ?? 0) + 1);
    expect([...perIssue.keys()].sort((x, y) => x - y)).toEqual(ids.map((_, i) => i + 1));
    expect([...perIssue.values()].every((n) => n === 1)).toBe(true);
    expect(github.unmatched).toEqual([]);
    // Both instances did work; 30 deliveries and 30 help jobs ran, once each.
    expect(succeeded(a!, 'help') + succeeded(b!, 'help')).toBe(30);
    expect(succeeded(a!, 'delivery') + succeeded(b!, 'delivery')).toBe(30);
    expect(succeeded(a!, 'delivery') + succeeded(a!, 'help')).toBeGreaterThan(0);
    expect(succeeded(b!, 'delivery') + succeeded(b!, 'help')).toBeGreaterThan(0);
  }, 180_000);

  it('an instance killed mid-job: the other takes the job over and completes it once', async () => {
    github.hold.add(77);
    const victim = await startInstance('victim');
    expect(await deliver(victim, 77)).toBe(200);
    // The victim runs the help job and waits on GitHub's answer to its comment.
    await waitUntil(() => github.held.length === 1, 30_000);
    const survivor = await startInstance('survivor');
    victim.child.kill('SIGKILL');
    await victim.exited;
    github.hold.delete(77);

    await waitUntil(() => github.comments.some((c) => c.issue === 77), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(github.comments.filter((c) => c.issue === 77)).toHaveLength(1);
    expect(succeeded(survivor, 'help')).toBe(1);

    const store = await BullmqJobStore.open<Job>({ url: redis.url });
    try {
      const jobs = await store.list({ limit: 10 });
      expect(jobs.map((j) => [j.kind, j.status])).toEqual([
        ['delivery', 'succeeded'],
        ['help', 'succeeded'],
      ]);
      expect(jobs.find((j) => j.kind === 'help')?.attempts).toBe(2);
    } finally {
      await store.close();
    }
  }, 120_000);
});
