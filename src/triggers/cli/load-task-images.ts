import { statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../../errors.js';
import { prepareImages } from '../../images/prepare-images.js';
import { toImageContent } from '../../images/prepare-image.js';
import type { ImageContent } from '../../model/types.js';

/**
 * Images attached to the task itself (`-i`), at most. They ride in the conversation's head
 * on every request and are never stubbed (they are the task), so they must stay few: with
 * 300 frames on the command line the first request alone was 30 MB.
 */
export const MAX_TASK_IMAGES = 8;

/** The part of the CLI's io that loading images uses (kept structural: no import cycle). */
export interface ImageLoadIo {
  readonly cwd: string;
  readonly stderrIsTTY: boolean;
  readonly stderr: (text: string) => void;
}

export interface TaskImages {
  /** Attached to the task message. */
  readonly images: ImageContent[];
  /** The rest, as paths relative to the repository, for the model to view_image. */
  readonly listed: string[];
}

/**
 * Prepares the first MAX_TASK_IMAGES images of `-i`; the others are only listed, so the
 * model opens the ones it needs with view_image. Listed files must therefore be inside
 * the repository (view_image reads nothing else); if one is not, nothing runs and the
 * message says what to do.
 */
export async function loadTaskImages(
  files: readonly string[],
  io: ImageLoadIo,
  workspace: string,
): Promise<TaskImages> {
  const attached = files.slice(0, MAX_TASK_IMAGES);
  const rest = files.slice(MAX_TASK_IMAGES);
  const listed: string[] = [];
  const problems: string[] = [];
  for (const file of rest) {
    const absolute = path.resolve(io.cwd, file);
    const relative = path.relative(workspace, absolute);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      problems.push(`${file}: outside the repository, so the model could not view_image it`);
    } else if (!isFile(absolute)) {
      problems.push(`${file}: not a file`);
    } else {
      listed.push(relative.split(path.sep).join('/'));
    }
  }
  if (problems.length > 0) {
    throw new UserError(
      `${files.length} images given: the first ${MAX_TASK_IMAGES} are attached and the rest are listed ` +
        `for the model to open with view_image, which reads files inside the repository only. ` +
        `Copy the images into the repository, or pass at most ${MAX_TASK_IMAGES}.\n${problems.join('\n')}`,
    );
  }
  return { images: await loadImages(attached, io), listed };
}

export async function loadImages(
  files: readonly string[],
  io: ImageLoadIo,
): Promise<ImageContent[]> {
  if (files.length === 0) return [];
  const results = await prepareImages(
    files.map((file) => path.resolve(io.cwd, file)),
    {
      onProgress: ({ done, total }) => {
        if (io.stderrIsTTY && total > 1) io.stderr(`images: ${done}/${total}\r`);
      },
    },
  );
  const failures = results.flatMap((result, i) =>
    result.ok ? [] : [`${files[i]}: ${result.error.message}`],
  );
  if (failures.length > 0)
    throw new UserError(`Some images could not be used:\n${failures.join('\n')}`);
  return results.flatMap((result) => (result.ok ? [toImageContent(result.image)] : []));
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
