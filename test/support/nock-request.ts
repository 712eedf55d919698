/**
 * nock 15 hands reply functions, the scope's 'request' event and the 'no match' event a
 * fetch `Request` (nock 14 gave `(uri, body)` and a Node request). These read from it what
 * the tests check: the body as GitHub would parse it, the path with its query, a header.
 *
 * A reply function must take ONE parameter: nock treats a two-parameter function as
 * callback-style and waits for a callback that never comes.
 */

/** The request's body: parsed JSON, the raw text when it is not JSON, undefined when empty. */
export async function bodyOf(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A reply function that gets the parsed body (see bodyOf), for `.reply(withBody(...))`. */
export function withBody<T>(
  reply: (body: unknown, request: Request) => T,
): (request: Request) => Promise<T> {
  return async (request: Request) => reply(await bodyOf(request), request);
}

/** The path and query, as `req.path` gave them. */
export function pathOf(request: Request): string {
  const url = new URL(request.url);
  return `${url.pathname}${url.search}`;
}

/** The host (with its port when not the default), as `req.host` gave it. */
export function hostOf(request: Request): string {
  return new URL(request.url).host;
}

/** A header's value, or undefined when absent. */
export function headerOf(request: Request, name: string): string | undefined {
  return request.headers.get(name) ?? undefined;
}
