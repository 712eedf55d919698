import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { VerifiedDelivery } from '../../src/triggers/webhook-intake.js';
import {
  createWebhookHandler,
  type WebhookRequestOptions,
} from '../../src/triggers/webhook-request.js';

const SECRET = 'webhook-request-test-secret';
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

let server: Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

/** The handler on a real HTTP server; requests it declines get 404 from the caller. */
async function serve(overrides: Partial<WebhookRequestOptions> = {}) {
  const received: VerifiedDelivery[] = [];
  const logs: Record<string, unknown>[] = [];
  const handler = createWebhookHandler({
    secret: SECRET,
    path: '/hooks',
    log: (entry) => logs.push(entry),
    intake: (delivery) => {
      received.push(delivery);
      return Promise.resolve();
    },
    ...overrides,
  });
  server = createServer((request, response) => {
    if (!handler(request, response)) response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const post = (body: string, headers: Record<string, string | undefined> = {}, path = '/hooks') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: Object.fromEntries(
        Object.entries({
          'content-type': 'application/json',
          'x-github-event': 'issues',
          'x-github-delivery': 'd-1',
          'x-hub-signature-256': sign(body),
          ...headers,
        }).filter((entry): entry is [string, string] => entry[1] !== undefined),
      ),
      body,
    });
  return { received, logs, post, url };
}

describe('the webhook request handler', () => {
  it('hands a signed delivery to the intake, parsed, and answers 200 after it', async () => {
    let finish: () => void = () => undefined;
    const stored = new Promise<void>((resolve) => (finish = resolve));
    const { received, post } = await serve({
      intake: async (delivery) => {
        received.push(delivery);
        await stored;
      },
    });
    const body = JSON.stringify({ action: 'opened', n: 'ü' });
    let answered = false;
    const response = post(body).then((r) => {
      answered = true;
      return r;
    });
    while (received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(answered).toBe(false); // not before the intake resolved
    finish();
    expect((await response).status).toBe(200);
    expect(received).toEqual([
      { id: 'd-1', name: 'issues', payload: { action: 'opened', n: 'ü' } },
    ]);
  });

  it('refuses what GitHub would not send, and the intake sees none of it', async () => {
    const { received, post, logs } = await serve({ maxBytes: 1000 });
    const body = JSON.stringify({ action: 'opened' });
    const cases: [Promise<Response>, number][] = [
      [post(body, { 'x-hub-signature-256': undefined }), 400],
      [post(body, { 'x-github-delivery': undefined }), 400],
      [post(body, { 'x-github-event': undefined }), 400],
      [post(body, { 'x-hub-signature-256': sign(`${body} `) }), 400],
      [post(body, { 'content-type': 'application/x-www-form-urlencoded' }), 415],
      [post('not json', { 'x-hub-signature-256': sign('not json') }), 400],
      [post('', { 'x-hub-signature-256': sign('') }), 400],
      // Signed, but under an id that could take another job's key in the queue.
      [post(body, { 'x-github-delivery': 'a3c4e5f6-0000-4000-8000-000000000001:review' }), 400],
      [
        post(body, { 'x-github-delivery': 'scan-schedule:octo/shop:2026-12-06t03:00:00.000z' }),
        400,
      ],
    ];
    const big = JSON.stringify({ filler: 'x'.repeat(2000) });
    cases.push([post(big, { 'x-hub-signature-256': sign(big) }), 413]);
    for (const [response, status] of cases) expect((await response).status).toBe(status);
    expect(received).toEqual([]);
    expect(logs.filter((entry) => entry.msg === 'webhook refused')).toHaveLength(cases.length);
    for (const entry of logs) expect(JSON.stringify(entry)).not.toContain('filler');
  });

  it('holds at most maxBytesInFlight of unverified bodies at once, and frees them after', async () => {
    const { received, post, url } = await serve({ maxBytes: 900, maxBytesInFlight: 1_000 });
    const slowBody = JSON.stringify({ action: 'opened', filler: 'x'.repeat(580) });
    // A body that arrives slowly: its first 600 bytes held, the rest not yet sent.
    const { port } = new URL(url);
    const slow = connect(Number(port), '127.0.0.1');
    let slowAnswer = '';
    slow.setEncoding('utf8');
    slow.on('data', (chunk: string) => (slowAnswer += chunk));
    const slowClosed = new Promise((resolve) => slow.on('close', resolve));
    slow.write(
      [
        'POST /hooks HTTP/1.1',
        'Host: 127.0.0.1',
        'Connection: close',
        'Content-Type: application/json',
        'X-GitHub-Event: issues',
        'X-GitHub-Delivery: d-slow',
        `X-Hub-Signature-256: ${sign(slowBody)}`,
        `Content-Length: ${Buffer.byteLength(slowBody)}`,
        '',
        slowBody.slice(0, 600),
      ].join('\r\n'),
    );
    // Another body of 600 bytes does not fit beside it (the order of arrival is the server's).
    const other = JSON.stringify({ action: 'opened', filler: 'y'.repeat(570) });
    let refused: Response | undefined;
    for (let tries = 0; tries < 200 && refused === undefined; tries++) {
      const response = await post(other, { 'x-github-delivery': `d-${tries}` });
      if (response.status === 503) refused = response;
      else await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(refused?.status).toBe(503);
    expect(received.map((delivery) => delivery.id)).not.toContain('d-slow');

    slow.end(slowBody.slice(600));
    await slowClosed;
    expect(slowAnswer).toMatch(/^HTTP\/1\.1 200 /);
    // The slow body's bytes were given back: a delivery of the same size fits again.
    expect((await post(other, { 'x-github-delivery': 'd-after' })).status).toBe(200);
    expect(received.map((delivery) => delivery.id)).toContain('d-slow');
  });

  it('answers 500 when the delivery could not be stored, so GitHub may redeliver', async () => {
    const { post, logs } = await serve({
      intake: () => Promise.reject(new Error('the disk is full')),
    });
    const response = await post(JSON.stringify({ action: 'opened' }));
    expect(response.status).toBe(500);
    expect(logs).toContainEqual(
      expect.objectContaining({
        msg: 'webhook not stored',
        error: expect.stringContaining('the disk is full') as unknown,
      }),
    );
  });

  it('leaves other paths and methods to the caller', async () => {
    const { received, post, url } = await serve();
    expect((await post('{}', {}, '/elsewhere')).status).toBe(404);
    expect((await fetch(`${url}/hooks`)).status).toBe(404);
    expect(received).toEqual([]);
  });
});
