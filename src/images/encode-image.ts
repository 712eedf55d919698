import { describeError } from '../errors.js';
import { ImageError, ImageTimeoutError } from './image-errors.js';

/** A path to an image file, or its bytes. */
export type ImageInput = Buffer | string;

export interface EncodeLimits {
  /** Neither side of the result exceeds this; smaller images are never enlarged. */
  readonly maxDimension: number;
  /** The encoded result must be at most this many bytes. */
  readonly maxOutputBytes: number;
  /** Refuse inputs whose header claims more pixels than this (decompression bombs). */
  readonly maxInputPixels: number;
  /** Handed to libvips too, so work the caller gave up on stops instead of running on. */
  readonly timeoutMs: number;
}

export interface EncodedImage {
  readonly data: Buffer;
  readonly mimeType: 'image/png' | 'image/jpeg';
  readonly width: number;
  readonly height: number;
  /** Size of the input after auto-orientation, before resizing. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

/** The seam prepareImage runs through; tests swap in slow or instrumented encoders. */
export type ImageEncoder = (input: ImageInput, limits: EncodeLimits) => Promise<EncodedImage>;

// Raster formats a model can look at. SVG and PDF are refused: SVG is text the model can
// read_file, and rendering either pulls in far more decoder surface than screenshots need.
const ACCEPTED_FORMATS: ReadonlySet<string> = new Set([
  'png',
  'jpeg',
  'webp',
  'gif',
  'tiff',
  'heif',
]);

// Tried in order when PNG is too big or the source is a photo.
const JPEG_QUALITIES = [85, 70, 55, 40] as const;
// When even the lowest quality is over the cap, shrink further rather than give up.
const EXTRA_SCALES = [1, 0.75, 0.5, 0.35, 0.25] as const;

/**
 * Decodes, auto-orients and shrinks an image to fit `maxDimension`, then encodes it under
 * `maxOutputBytes`: PNG when the source is not a photo (screenshots and diagrams stay crisp)
 * and the PNG fits, JPEG with falling quality otherwise.
 */
export const encodeImage: ImageEncoder = async (input, limits) => {
  try {
    return await encode(input, limits);
  } catch (error) {
    throw toImageError(error, limits);
  }
};

async function encode(input: ImageInput, limits: EncodeLimits): Promise<EncodedImage> {
  // Loaded on first use: libvips costs ~60 ms and ~20 MiB at startup, and most runs
  // attach no image.
  const { default: sharp } = await import('sharp');
  const decodeOptions = { limitInputPixels: limits.maxInputPixels, failOn: 'error' } as const;
  const seconds = Math.min(3600, Math.max(1, Math.ceil(limits.timeoutMs / 1000)));

  const metadata = await sharp(input, decodeOptions).metadata();
  if (!ACCEPTED_FORMATS.has(metadata.format)) {
    throw new ImageError(
      metadata.format === 'svg'
        ? 'SVG images are not attached; SVG is text, so read it with read_file.'
        : `Unsupported image format "${metadata.format}"; use PNG, JPEG, WebP, GIF, TIFF or AVIF.`,
      { reason: 'unsupported_format' },
    );
  }
  const sourceWidth = metadata.autoOrient.width;
  const sourceHeight = metadata.autoOrient.height;
  // sharp already refuses a bomb at metadata() from the header; checking here too keeps the
  // guard (and its message) ours if a decoder ever reports size only after orientation.
  if (sourceWidth * sourceHeight > limits.maxInputPixels) {
    throw tooManyPixels(sourceWidth, sourceHeight, limits.maxInputPixels);
  }

  // Decode once to raw pixels; every encoding attempt below starts from them.
  const { data: pixels, info } = await sharp(input, { ...decodeOptions, autoOrient: true })
    .resize({
      width: limits.maxDimension,
      height: limits.maxDimension,
      fit: 'inside',
      withoutEnlargement: true,
    })
    .timeout({ seconds })
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const raw = { width: info.width, height: info.height, channels: info.channels };
  const fromPixels = () => sharp(pixels, { raw }).timeout({ seconds });
  const result = (
    data: Buffer,
    mimeType: EncodedImage['mimeType'],
    width: number,
    height: number,
  ) => ({ data, mimeType, width, height, sourceWidth, sourceHeight }) satisfies EncodedImage;

  if (metadata.format !== 'jpeg') {
    const png = await fromPixels().png().toBuffer();
    if (png.length <= limits.maxOutputBytes) return result(png, 'image/png', raw.width, raw.height);
  }
  for (const scale of EXTRA_SCALES) {
    const width = Math.max(1, Math.round(raw.width * scale));
    const height = Math.max(1, Math.round(raw.height * scale));
    for (const quality of JPEG_QUALITIES) {
      // JPEG has no alpha: flatten onto white, the usual page background of screenshots.
      const jpeg = await fromPixels()
        .resize(width, height)
        .flatten({ background: '#ffffff' })
        .jpeg({ quality })
        .toBuffer();
      if (jpeg.length <= limits.maxOutputBytes) return result(jpeg, 'image/jpeg', width, height);
    }
  }
  throw new ImageError(
    `The image could not be encoded under ${limits.maxOutputBytes} bytes even at low quality.`,
    { reason: 'cannot_fit_byte_cap' },
  );
}

function tooManyPixels(width: number, height: number, limit: number): ImageError {
  return new ImageError(
    `The image is ${width}x${height} pixels, more than the limit of ${limit} pixels.`,
    { reason: 'too_many_pixels' },
  );
}

/** Turns sharp's terse messages into errors that say what is wrong with the input. */
function toImageError(error: unknown, limits: EncodeLimits): Error {
  if (error instanceof ImageError || error instanceof ImageTimeoutError) return error;
  const message = describeError(error);
  if (/unsupported image format/i.test(message)) {
    return new ImageError('The file is not an image in a format that can be decoded.', {
      reason: 'unsupported_format',
      cause: error,
    });
  }
  if (/pixel limit/i.test(message)) {
    return new ImageError(`The image has more than the limit of ${limits.maxInputPixels} pixels.`, {
      reason: 'too_many_pixels',
      cause: error,
    });
  }
  if (/^timeout/i.test(message)) {
    return new ImageTimeoutError(
      `Processing the image took longer than ${limits.timeoutMs} ms.`,
      limits.timeoutMs,
    );
  }
  return new ImageError(`The image could not be decoded: ${message}`, {
    reason: 'undecodable',
    cause: error,
  });
}
