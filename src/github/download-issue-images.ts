import { describeError } from '../errors.js';

/** Images taken from one issue at most: screenshots, not a gallery. */
export const MAX_ISSUE_IMAGES = 8;
export const DEFAULT_IMAGE_DOWNLOAD_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_IMAGE_DOWNLOAD_BYTES = 10 * 1024 * 1024;
const DOWNLOAD_CONCURRENCY = 4;

/**
 * Where GitHub keeps what people paste into issues. Anything else in an issue body is a
 * link its author chose, and Patchling does not fetch arbitrary addresses for them.
 */
const ATTACHMENT_HOSTS: readonly ((url: URL) => boolean)[] = [
  (url) => url.hostname === 'github.com' && url.pathname.startsWith('/user-attachments/'),
  (url) => url.hostname === 'github.com' && /^\/[^/]+\/[^/]+\/assets\//.test(url.pathname),
  (url) => url.hostname === 'user-images.githubusercontent.com',
  (url) => url.hostname === 'private-user-images.githubusercontent.com',
];

/** The attachment image URLs in issue markdown (`![alt](url)` and `<img src>`), first seen first. */
export function findIssueImageUrls(markdown: string): string[] {
  const found: string[] = [];
  const patterns = [
    /!\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g,
    /<img\b[^>]*\bsrc\s*=\s*["']([^"']+)["']/gi,
  ];
  for (const pattern of patterns) {
    for (const match of markdown.matchAll(pattern)) {
      const url = parseAttachmentUrl(match[1] ?? '');
      if (url !== undefined && !found.includes(url)) found.push(url);
    }
  }
  return found.slice(0, MAX_ISSUE_IMAGES);
}

function parseAttachmentUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username || url.password) return undefined;
  return ATTACHMENT_HOSTS.some((allowed) => allowed(url)) ? url.href : undefined;
}

export type DownloadedImage =
  | { readonly ok: true; readonly url: string; readonly bytes: Buffer }
  | { readonly ok: false; readonly url: string; readonly error: string };

export interface DownloadImagesOptions {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  readonly signal?: AbortSignal;
}

/**
 * Downloads the images by Patchling itself (never from the sandbox, which has no
 * network): a few at a time, each with its own timeout and size cap, and without any
 * credential (an attachment redirects to storage that must not see a token). A failed
 * image is a result, not an error: the others still count.
 */
export async function downloadIssueImages(
  urls: readonly string[],
  options: DownloadImagesOptions = {},
): Promise<DownloadedImage[]> {
  const results: DownloadedImage[] = new Array<DownloadedImage>(urls.length);
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const index = next++;
      const url = urls[index] as string;
      try {
        results[index] = { ok: true, url, bytes: await downloadOne(url, options) };
      } catch (error) {
        options.signal?.throwIfAborted();
        results[index] = { ok: false, url, error: describeError(error) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(DOWNLOAD_CONCURRENCY, urls.length) }, worker));
  return results;
}

async function downloadOne(url: string, options: DownloadImagesOptions): Promise<Buffer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_IMAGE_DOWNLOAD_TIMEOUT_MS;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_IMAGE_DOWNLOAD_BYTES;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { signal, redirect: 'follow', headers: { accept: 'image/*' } });
  } catch (error) {
    throw timeout.aborted ? new Error(`timed out after ${timeoutMs / 1000}s`) : error;
  }
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new Error(`${declared} bytes is over the ${maxBytes}-byte limit`);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response.body ?? []) {
      total += (chunk as Uint8Array).byteLength;
      if (total > maxBytes) throw new Error(`over the ${maxBytes}-byte limit`);
      chunks.push(Buffer.from(chunk as Uint8Array));
    }
  } catch (error) {
    await response.body?.cancel().catch(() => undefined);
    throw timeout.aborted ? new Error(`timed out after ${timeoutMs / 1000}s`) : error;
  }
  return Buffer.concat(chunks);
}
