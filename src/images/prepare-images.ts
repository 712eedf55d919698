import type { ImageInput } from './encode-image.js';
import { startImagePreparation } from './prepare-image.js';
import type { PrepareImageOptions, PreparedImage } from './prepare-image.js';

/** One input's outcome; a bad image is a result, so it never costs the others. */
export type ImageResult =
  | { readonly ok: true; readonly input: ImageInput; readonly image: PreparedImage }
  | { readonly ok: false; readonly input: ImageInput; readonly error: Error };

export interface ImageProgress {
  readonly done: number;
  readonly failed: number;
  readonly total: number;
}

export interface PrepareImagesOptions extends Omit<PrepareImageOptions, 'label'> {
  /** Images decoded at once, at most. Default 4. */
  readonly concurrency?: number;
  /** Called after each image, in completion order. Must not throw. */
  readonly onProgress?: (progress: ImageProgress) => void;
}

export const DEFAULT_IMAGE_CONCURRENCY = 4;

/**
 * Prepares many images with at most `concurrency` in flight, so hundreds of screenshots
 * never sit decoded in memory together. Results come back in input order.
 *
 * A worker keeps its slot until the image's work has really stopped, not merely until
 * its timeout fired: sharp cannot be cancelled, and freeing the slot early would let
 * abandoned decodes pile up past the bound. libvips' own timeout ends such work.
 */
export async function prepareImages(
  inputs: readonly ImageInput[],
  options: PrepareImagesOptions = {},
): Promise<ImageResult[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULT_IMAGE_CONCURRENCY));
  const results: ImageResult[] = new Array<ImageResult>(inputs.length);
  let next = 0;
  let done = 0;
  let failed = 0;

  const worker = async (): Promise<void> => {
    while (next < inputs.length) {
      const index = next++;
      const input = inputs[index] as ImageInput;
      const job = startImagePreparation(input, options);
      try {
        results[index] = { ok: true, input, image: await job.result };
      } catch (error) {
        failed++;
        results[index] = { ok: false, input, error: asError(error) };
      }
      done++;
      options.onProgress?.({ done, failed, total: inputs.length });
      await job.settled;
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  return results;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
