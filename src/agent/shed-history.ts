import type { ConversationItem, MessageContent } from '../model/types.js';
import { loadPrompt } from './load-prompt.js';

/**
 * How many images the conversation may carry. Counted in base64 characters, which is
 * what goes over the wire.
 *
 * 4 MB and 40 images: a video frame or screenshot re-encoded by src/images/ is 50-300 KB,
 * so this keeps the last 15-40 images, enough to compare a frame with its neighbours.
 * The largest request then stays near 5 MB (the images plus a full context window of
 * text), a tenth of OpenAI's 50 MB request limit and far below the hundreds of images
 * OpenAI and Gemini accept in one request, so no provider limit is ever approached.
 */
export interface ImageBudget {
  readonly maxBytes: number;
  readonly maxImages: number;
}

export const DEFAULT_IMAGE_BUDGET: ImageBudget = { maxBytes: 4_000_000, maxImages: 40 };

/** What the too-large fallback keeps: the newest images, and recent tool output in full. */
const KEEP_IMAGES_WHEN_TOO_LARGE = 2;
const KEEP_RECENT_ITEMS_WHEN_TOO_LARGE = 8;
const OUTPUT_KEEP_CHARS = 2000;

export interface ShedResult {
  readonly history: ConversationItem[];
  readonly imagesDropped: number;
  readonly outputsShortened: number;
}

/**
 * Keeps the history's images within `budget`. Nothing changes while the images fit; once
 * they do not, the oldest ones are replaced by a one-line stub naming the file (the model
 * can `view_image` it again) until what is left fits in HALF the budget.
 *
 * Shedding in blocks is what keeps the provider's prompt cache useful: each stub changes
 * the request's prefix from that image on, so stubbing one image per turn would break the
 * cache on every turn, while stubbing half the budget at once breaks it once every
 * (budget / 2) worth of images, and the requests in between grow byte for byte.
 *
 * Images in the head (the task's own, `exec -i`) are never stubbed: they are the task.
 * Returns undefined when nothing had to change.
 */
export function boundImages(
  history: readonly ConversationItem[],
  headLength: number,
  budget: ImageBudget = DEFAULT_IMAGE_BUDGET,
): ShedResult | undefined {
  const images = imagesOf(history);
  const total = images.reduce((sum, image) => sum + image.bytes, 0);
  if (total <= budget.maxBytes && images.length <= budget.maxImages) return undefined;

  let bytes = total;
  let count = images.length;
  const drop = new Set<string>();
  for (const image of images) {
    if (bytes <= budget.maxBytes / 2 && count <= budget.maxImages / 2) break;
    if (image.item < headLength) continue;
    drop.add(image.key);
    bytes -= image.bytes;
    count -= 1;
  }
  if (drop.size === 0) return undefined;
  return { history: stubImages(history, drop), imagesDropped: drop.size, outputsShortened: 0 };
}

/**
 * The provider said the request is too large (HTTP 413, or a 400 about image count or
 * size): keep only the newest images and shorten the output of all but the most recent
 * tool calls. One deliberate, logged break of the prompt cache, instead of a failed run.
 * Returns undefined when there is nothing left to shed.
 */
export function shedForSize(
  history: readonly ConversationItem[],
  headLength: number,
): ShedResult | undefined {
  const bodyImages = imagesOf(history).filter((image) => image.item >= headLength);
  const drop = new Set(
    bodyImages
      .slice(0, Math.max(0, bodyImages.length - KEEP_IMAGES_WHEN_TOO_LARGE))
      .map((image) => image.key),
  );
  const recentFrom = Math.max(headLength, history.length - KEEP_RECENT_ITEMS_WHEN_TOO_LARGE);
  let outputsShortened = 0;
  const shed = stubImages(history, drop).map((item, index): ConversationItem => {
    if (index < headLength || index >= recentFrom || item.type !== 'function_call_output') {
      return item;
    }
    if (item.output.length <= OUTPUT_KEEP_CHARS * 1.5) return item;
    outputsShortened += 1;
    return { ...item, output: shortenOutput(item.output) };
  });
  if (drop.size === 0 && outputsShortened === 0) return undefined;
  return { history: shed, imagesDropped: drop.size, outputsShortened };
}

/** The images of a history in order: where each sits, and its base64 length. */
export function imagesOf(
  history: readonly ConversationItem[],
): { key: string; item: number; bytes: number }[] {
  return history.flatMap((item, index) =>
    item.type === 'message'
      ? item.content.flatMap((part, partIndex) =>
          part.type === 'image'
            ? [{ key: `${index}:${partIndex}`, item: index, bytes: part.dataBase64.length }]
            : [],
        )
      : [],
  );
}

function stubImages(history: readonly ConversationItem[], drop: ReadonlySet<string>) {
  return history.map((item, index): ConversationItem => {
    if (item.type !== 'message' || !item.content.some((_, p) => drop.has(`${index}:${p}`))) {
      return item;
    }
    const content = item.content.map((part, p): MessageContent =>
      part.type === 'image' && drop.has(`${index}:${p}`)
        ? { type: 'text', text: loadPrompt('image-stub', { label: part.label ?? 'an image' }) }
        : part,
    );
    return { ...item, content };
  });
}

function shortenOutput(output: string): string {
  // Cut at a line end where there is one, so a half line does not read as the real output.
  const cut = output.lastIndexOf('\n', OUTPUT_KEEP_CHARS);
  const head = output.slice(0, cut > OUTPUT_KEEP_CHARS / 2 ? cut : OUTPUT_KEEP_CHARS);
  return loadPrompt('output-shed', { head, dropped: String(output.length - head.length) });
}
