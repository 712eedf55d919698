import { UserError } from '../../errors.js';

export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

const TRAILER_LINE = /^[A-Za-z0-9-]+: /;

/**
 * The message with a `Co-authored-by:` trailer for each co-author (GitHub credits them on
 * the commit). Co-authors are deduplicated by email, the author is left out, and one
 * already named in the message is not repeated. Names come from GitHub profiles, so line
 * breaks and angle brackets are removed: a name cannot forge another trailer.
 */
export function formatCommitMessage(
  message: string,
  author: GitIdentity,
  coAuthors: readonly GitIdentity[],
): string {
  const body = message.replace(/\s+$/, '');
  if (body.trim() === '') throw new UserError('A commit needs a message.');
  const seen = new Set([author.email.toLowerCase()]);
  const trailers: string[] = [];
  for (const coAuthor of coAuthors) {
    const identity = checkIdentity(coAuthor, 'co-author');
    const key = identity.email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const trailer = `Co-authored-by: ${identity.name} <${identity.email}>`;
    if (body.toLowerCase().includes(trailer.toLowerCase())) continue;
    trailers.push(trailer);
  }
  if (trailers.length === 0) return `${body}\n`;
  // Join an existing trailer block rather than start a second one.
  const lastParagraph = body.split(/\n\s*\n/).pop() ?? '';
  const endsWithTrailers =
    body.includes('\n\n') && lastParagraph.split('\n').every((line) => TRAILER_LINE.test(line));
  return `${body}${endsWithTrailers ? '\n' : '\n\n'}${trailers.join('\n')}\n`;
}

/** A name and email git and GitHub will take, with the name cleaned of line breaks. */
export function checkIdentity(identity: GitIdentity, what: string): GitIdentity {
  const name = identity.name
    .replace(/[\p{Cc}<>]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const email = identity.email.trim();
  if (name === '') throw new UserError(`The ${what} needs a name.`);
  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(email)) {
    throw new UserError(`The ${what}'s email ${JSON.stringify(identity.email)} is not an address.`);
  }
  return { name, email };
}
