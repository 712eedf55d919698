import { UserError } from '../../errors.js';

/**
 * Checks a remote URL before git sees it. Only http(s): the token travels as an HTTP
 * header, and the forced `protocol.allow` settings refuse every other transport anyway.
 * Credentials inside the URL are refused, because git would write them into
 * `.git/config` and print them in its messages.
 */
export function parseRemoteUrl(remoteUrl: string): URL {
  let url: URL;
  try {
    url = new URL(remoteUrl);
  } catch {
    throw new UserError(`Not a valid remote URL: ${JSON.stringify(redactUserinfo(remoteUrl))}.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UserError(
      `Remote URL ${JSON.stringify(redactUserinfo(remoteUrl))} must use https (or http); git over ${url.protocol.replace(/:$/, '')} is not supported.`,
    );
  }
  if (url.username || url.password) {
    throw new UserError(
      `Remote URL ${JSON.stringify(redactUserinfo(remoteUrl))} holds credentials; pass the token separately, it is given to git per command.`,
    );
  }
  if (url.search || url.hash) {
    throw new UserError(
      `Remote URL ${JSON.stringify(remoteUrl)} must not have a query or fragment.`,
    );
  }
  return url;
}

/** The URL with any `user:password@` part replaced, for error messages. */
function redactUserinfo(remoteUrl: string): string {
  return remoteUrl.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1[REDACTED]@');
}
