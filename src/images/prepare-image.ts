import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describeError } from '../errors.js';
import type { ImageContent } from '../model/types.js';
import { encodeImage } from './encode-image.js';
import type { ImageEncoder, ImageInput } from './encode-image.js';
import { ImageError, ImageTimeoutError } from './image-errors.js';
import { withDeadline } from './with-deadline.js';
import type { Deadline } from './with-deadline.js';

export const IMAGE_DEFAULTS = {
  maxDimension: 2048,
  maxOutputBytes: 1.5 * 1024 * 1024,
  maxInputBytes: 20 * 1024 * 1024,
  // ~50 megapixels: a 48 MP phone photo passes, a forged 100000x100000 header does not.
  maxInputPixels: 50_000_000,
  timeoutMs: 30_000,
} as const;

export interface PrepareImageOptions {
  readonly maxDimension?: number;
  readonly maxOutputBytes?: number;
  /** Refuse files (or buffers) larger than this before decoding anything. */
  readonly maxInputBytes?: number;
  readonly maxInputPixels?: number;
  readonly timeoutMs?: number;
  /** Defaults to the file's base name for a path input, none for a buffer. */
  readonly label?: string;
  /** Replaces the sharp pipeline; a seam for tests and benchmarks. */
  readonly encoder?: ImageEncoder;
}

export interface PreparedImageInfo {
  readonly width: number;
  readonly height: number;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  /** Encoded size, before base64. */
  readonly bytes: number;
  readonly resized: boolean;
}

/** An ImageContent plus what happened to it, for messages and logs. */
export interface PreparedImage extends ImageContent {
  readonly info: PreparedImageInfo;
}

/**
 * Decodes, auto-orients, shrinks and re-encodes one image so it can go to a model.
 * Rejects with ImageError (bad input) or ImageTimeoutError.
 */
export function prepareImage(
  input: ImageInput,
  options: PrepareImageOptions = {},
): Promise<PreparedImage> {
  return startImagePreparation(input, options).result;
}

/** prepareImage, also telling when the underlying work has really stopped (see Deadline). */
export function startImagePreparation(
  input: ImageInput,
  options: PrepareImageOptions = {},
): Deadline<PreparedImage> {
  const timeoutMs = options.timeoutMs ?? IMAGE_DEFAULTS.timeoutMs;
  return withDeadline(
    () => prepare(input, options, timeoutMs),
    timeoutMs,
    () =>
      new ImageTimeoutError(`Processing the image took longer than ${timeoutMs} ms.`, timeoutMs),
  );
}

/** The plain ImageContent, without `info`, for handing to a model client. */
export function toImageContent(image: PreparedImage): ImageContent {
  const { type, mimeType, dataBase64, label } = image;
  return label === undefined
    ? { type, mimeType, dataBase64 }
    : { type, mimeType, dataBase64, label };
}

async function prepare(
  input: ImageInput,
  options: PrepareImageOptions,
  timeoutMs: number,
): Promise<PreparedImage> {
  const maxInputBytes = options.maxInputBytes ?? IMAGE_DEFAULTS.maxInputBytes;
  const inputBytes = typeof input === 'string' ? await fileSize(input) : input.length;
  if (inputBytes > maxInputBytes) {
    throw new ImageError(
      `The image is ${inputBytes} bytes, more than the limit of ${maxInputBytes} bytes.`,
      { reason: 'too_many_bytes' },
    );
  }
  const encoder = options.encoder ?? encodeImage;
  const encoded = await encoder(input, {
    maxDimension: options.maxDimension ?? IMAGE_DEFAULTS.maxDimension,
    maxOutputBytes: options.maxOutputBytes ?? IMAGE_DEFAULTS.maxOutputBytes,
    maxInputPixels: options.maxInputPixels ?? IMAGE_DEFAULTS.maxInputPixels,
    timeoutMs,
  });
  const label = options.label ?? (typeof input === 'string' ? path.basename(input) : undefined);
  return {
    type: 'image',
    mimeType: encoded.mimeType,
    dataBase64: encoded.data.toString('base64'),
    ...(label === undefined ? {} : { label }),
    info: {
      width: encoded.width,
      height: encoded.height,
      sourceWidth: encoded.sourceWidth,
      sourceHeight: encoded.sourceHeight,
      bytes: encoded.data.length,
      resized: encoded.width !== encoded.sourceWidth || encoded.height !== encoded.sourceHeight,
    },
  };
}

async function fileSize(file: string): Promise<number> {
  try {
    const stats = await stat(file);
    if (!stats.isFile()) throw new ImageError('The path is not a file.', { reason: 'unreadable' });
    return stats.size;
  } catch (error) {
    if (error instanceof ImageError) throw error;
    throw new ImageError(`The image file could not be read: ${describeError(error)}`, {
      reason: 'unreadable',
      cause: error,
    });
  }
}
