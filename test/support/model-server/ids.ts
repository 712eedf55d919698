/**
 * Ids shaped like OpenAI's (`resp_…`, `msg_…`, `fc_…`, `call_…`, `chatcmpl-…`, `req_…`) but
 * deterministic: a counter per server instance, so a test run is reproducible and two
 * servers in one process never share state.
 */
export interface IdGenerator {
  /** `prefix` plus a zero-padded hex counter of `digits` digits, e.g. next('msg_', 48). */
  next(prefix: string, digits?: number): string;
}

export function createIdGenerator(): IdGenerator {
  let counter = 0;
  return {
    next(prefix, digits = 48) {
      counter += 1;
      return prefix + counter.toString(16).padStart(digits, '0');
    },
  };
}
