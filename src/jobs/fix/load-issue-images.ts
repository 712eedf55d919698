import { downloadIssueImages, findIssueImageUrls } from '../../github/download-issue-images.js';
import { toImageContent } from '../../images/prepare-image.js';
import { prepareImages } from '../../images/prepare-images.js';
import type { ImageContent } from '../../model/types.js';

export interface IssueImages {
  readonly images: readonly ImageContent[];
  /** What could not be used and why, one line each (for the log and the task). */
  readonly notes: readonly string[];
}

/**
 * The screenshots attached to an issue and its comments, ready for the model: found in
 * the markdown, downloaded by Patchling, then decoded, shrunk and capped like any image.
 * A model that takes no images gets none, and the notes say so.
 */
export async function loadIssueImages(
  texts: readonly string[],
  acceptsImages: boolean,
  signal?: AbortSignal,
): Promise<IssueImages> {
  const urls = [...new Set(texts.flatMap((text) => findIssueImageUrls(text)))];
  if (urls.length === 0) return { images: [], notes: [] };
  if (!acceptsImages) {
    return {
      images: [],
      notes: [`${urls.length} attached image(s) left out: the model takes no images`],
    };
  }
  const downloaded = await downloadIssueImages(urls, signal ? { signal } : {});
  const notes: string[] = downloaded.flatMap((item) =>
    item.ok ? [] : [`${item.url} could not be downloaded: ${item.error}`],
  );
  const fetched = downloaded.flatMap((item) => (item.ok ? [item] : []));
  const prepared = await prepareImages(fetched.map((item) => item.bytes));
  const images: ImageContent[] = [];
  prepared.forEach((result, index) => {
    if (result.ok) images.push(toImageContent(result.image));
    else
      notes.push(
        `${fetched[index]?.url ?? 'an image'} is not a usable image: ${result.error.message}`,
      );
  });
  return { images, notes };
}
