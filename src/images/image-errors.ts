import { SystemError, UserError } from '../errors.js';

/** Why an image was refused; lets callers (and tests) branch without parsing messages. */
export type ImageErrorReason =
  | 'unreadable'
  | 'unsupported_format'
  | 'undecodable'
  | 'too_many_bytes'
  | 'too_many_pixels'
  | 'cannot_fit_byte_cap';

/** The input is not an image we will send: wrong format, corrupt, or too big. Not retryable. */
export class ImageError extends UserError {
  readonly reason: ImageErrorReason;

  constructor(message: string, options: { reason: ImageErrorReason; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.reason = options.reason;
  }
}

/**
 * Decoding or encoding took longer than allowed. A SystemError: the image may be fine and
 * the machine merely busy, but retrying at once would most likely time out again.
 */
export class ImageTimeoutError extends SystemError {
  readonly timeoutMs: number;

  constructor(message: string, timeoutMs: number) {
    super(message, { retryable: false });
    this.timeoutMs = timeoutMs;
  }
}
