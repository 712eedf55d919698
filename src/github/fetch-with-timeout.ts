/**
 * A fetch that gives up on one attempt after `timeoutMs` (headers and body). octokit turns
 * the abort into a 500-status RequestError, which the retry plugin retries; a caller's own
 * signal still aborts at once. The global fetch is looked up per call, so nock sees it.
 */
export function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return globalThis.fetch(input, { ...init, signal });
  };
}
