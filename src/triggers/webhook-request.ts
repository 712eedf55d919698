import type { IncomingMessage, ServerResponse } from 'node:http';
import { verify } from '@octokit/webhooks-methods';
import { describeError } from '../errors.js';
import type { VerifiedDelivery } from './webhook-intake.js';

/** GitHub caps a webhook payload at 25 MB; anything larger is not from GitHub. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;
/**
 * Bodies held at once before their signatures are checked, all requests together: anyone
 * can send a body, so without it many slow connections could each hold 25 MB. Four of
 * GitHub's largest fit; its deliveries are rarely above a few hundred kilobytes.
 */
export const MAX_WEBHOOK_BYTES_IN_FLIGHT = 4 * MAX_WEBHOOK_BYTES;

/**
 * GitHub's delivery ids are GUIDs. The header is not signed, and the queue keys jobs on it
 * with `:` as a separator (`<delivery>:<kind>` for a routed job, `scan-schedule:…` for a
 * scheduled scan): a replayed body under a crafted id could take a real job's key, which
 * the queue would then drop as a duplicate. Letters, digits and dashes only.
 */
const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,99}$/;

export interface WebhookRequestOptions {
  readonly secret: string;
  /** The webhook's path, e.g. /api/github/webhooks. */
  readonly path: string;
  /** Stores the delivery; the 200 waits for it, a rejection answers 500 (GitHub can redeliver). */
  readonly intake: (delivery: VerifiedDelivery) => Promise<unknown>;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly maxBytes?: number;
  readonly maxBytesInFlight?: number;
}

/** The bytes held by bodies being read, shared by one handler's requests. */
interface InFlight {
  take(bytes: number): boolean;
  give(bytes: number): void;
}

/**
 * The webhook endpoint as GitHub speaks to it: a POST with the raw JSON body, signed with
 * the App's secret (X-Hub-Signature-256, checked with @octokit/webhooks-methods, the check
 * Probot used, on the exact bytes), the event in X-GitHub-Event and the delivery's
 * id in X-GitHub-Delivery. Nothing else happens before the answer: no Octokit per event,
 * no routing; the answer is 200 once the delivery is stored.
 * Returns false for a request that is not for the webhook path, for the caller to answer.
 */
export function createWebhookHandler(
  options: WebhookRequestOptions,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  const limit = options.maxBytesInFlight ?? MAX_WEBHOOK_BYTES_IN_FLIGHT;
  let held = 0;
  const inFlight: InFlight = {
    take: (bytes) => {
      if (held + bytes > limit) return false;
      held += bytes;
      return true;
    },
    give: (bytes) => {
      held -= bytes;
    },
  };
  return (request, response) => {
    const pathname = (request.url ?? '/').split('?', 1)[0];
    if (pathname !== options.path || request.method !== 'POST') return false;
    handle(request, response, options, inFlight).catch((error: unknown) => {
      options.log({ msg: 'webhook failed', level: 'error', error: describeError(error) });
      if (!response.headersSent) answer(response, 500, 'internal error');
    });
    return true;
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: WebhookRequestOptions,
  inFlight: InFlight,
): Promise<void> {
  const name = header(request, 'x-github-event');
  const id = header(request, 'x-github-delivery');
  const signature = header(request, 'x-hub-signature-256');
  const refuse = (status: number, error: string) => {
    options.log({ msg: 'webhook refused', level: 'error', deliveryId: id, event: name, error });
    request.resume();
    answer(response, status, error);
  };
  const missing = [
    ...(name ? [] : ['x-github-event']),
    ...(id ? [] : ['x-github-delivery']),
    ...(signature ? [] : ['x-hub-signature-256']),
  ];
  if (missing.length > 0) return refuse(400, `required headers missing: ${missing.join(', ')}`);
  if (!DELIVERY_ID.test(id!)) {
    return refuse(400, 'malformed x-github-delivery: GitHub sends a GUID');
  }
  const type = header(request, 'content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    return refuse(415, 'unsupported content type: the webhook must send application/json');
  }
  const read = await readBody(request, options.maxBytes ?? MAX_WEBHOOK_BYTES, inFlight);
  if (read.kind === 'too_large') {
    return refuse(413, `payload larger than ${options.maxBytes ?? MAX_WEBHOOK_BYTES} bytes`);
  }
  if (read.kind === 'busy') {
    return refuse(503, 'too many webhook bodies being received at once; GitHub can redeliver');
  }
  const body = read.body;
  const valid = body.length > 0 && (await verify(options.secret, body, signature!));
  if (!valid) return refuse(400, 'signature does not match event payload and secret');
  let payload: unknown;
  try {
    payload = JSON.parse(body);
  } catch {
    return refuse(400, 'the payload is not JSON');
  }
  try {
    await options.intake({ id: id!, name: name!, payload });
  } catch (error) {
    options.log({
      msg: 'webhook not stored',
      level: 'error',
      deliveryId: id,
      event: name,
      error: describeError(error),
    });
    answer(response, 500, 'the delivery could not be stored');
    return;
  }
  answer(response, 200, 'ok');
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

type ReadBody =
  | { readonly kind: 'read'; readonly body: string }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'busy' };

/**
 * The body as UTF-8 (what GitHub signs); too_large past maxBytes, busy when the bodies
 * being read together would hold more than their limit. Either way the rest is read to
 * its end without being kept, so the client still gets its answer.
 */
async function readBody(
  request: IncomingMessage,
  maxBytes: number,
  inFlight: InFlight,
): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  let kept = 0;
  let refused: 'too_large' | 'busy' | undefined;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (refused !== undefined) continue;
      if (size > maxBytes) refused = 'too_large';
      else if (!inFlight.take(chunk.length)) refused = 'busy';
      else {
        kept += chunk.length;
        chunks.push(chunk);
        continue;
      }
      chunks.length = 0;
      inFlight.give(kept);
      kept = 0;
    }
    return refused !== undefined
      ? { kind: refused }
      : { kind: 'read', body: Buffer.concat(chunks, size).toString('utf8') };
  } finally {
    inFlight.give(kept);
  }
}

function answer(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
}
