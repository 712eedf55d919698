import { z } from 'zod';
import { ImageError, ImageTimeoutError } from '../images/image-errors.js';
import { IMAGE_DEFAULTS, prepareImage, toImageContent } from '../images/prepare-image.js';
import type { PrepareImageOptions } from '../images/prepare-image.js';
import { locateEntry } from './locate-entry.js';
import type { Tool, ToolOutcome } from './types.js';

export type ViewImageOptions = Omit<PrepareImageOptions, 'label'>;

const parameters = z.object({
  path: z.string().describe('Image file (PNG, JPEG, WebP, GIF), relative to the repository root.'),
});

/**
 * view_image: attaches an image of the workspace to the next model turn, shrunk and
 * re-encoded by src/images/ so a 40 MP photo costs what a screenshot does.
 */
export function createViewImageTool(options: ViewImageOptions = {}): Tool<typeof parameters> {
  const maxInputBytes = options.maxInputBytes ?? IMAGE_DEFAULTS.maxInputBytes;
  return {
    name: 'view_image',
    description:
      'Look at an image file of the repository (a screenshot, diagram or photo); it is attached to your next turn. ' +
      'Large images are scaled down.',
    parameters,
    mutating: false,
    run: async (args, context) => {
      const shown = args.path;
      const located = await locateEntry(context.workspace, args.path, 'file', 'read');
      if (!located.ok) return located.outcome;
      const { absolute: file, stats } = located;
      if (stats.isDirectory()) return failure(`${shown} is a directory, not an image.`);
      if (!stats.isFile()) return failure(`${shown} is not a regular file.`);
      if (stats.size > maxInputBytes) {
        return failure(
          `${shown} is ${formatMiB(stats.size)}, over the ${formatMiB(maxInputBytes)} limit for images.`,
        );
      }

      try {
        const image = await prepareImage(file, { ...options, maxInputBytes, label: shown });
        const { width, height, sourceWidth, sourceHeight, resized } = image.info;
        const from = resized ? `, resized from ${sourceWidth}x${sourceHeight}` : '';
        return {
          ok: true,
          output: `Attached image ${shown} (${width}x${height}${from}).`,
          images: [toImageContent(image)],
        };
      } catch (error) {
        if (error instanceof ImageError || error instanceof ImageTimeoutError) {
          return failure(`Cannot attach ${shown}: ${error.message}`);
        }
        throw error;
      }
    },
  };
}

function formatMiB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

function failure(output: string): ToolOutcome {
  return { ok: false, output };
}
