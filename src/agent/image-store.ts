import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { ImageContent } from '../model/types.js';

/** What the run log keeps in place of an image: its content hash, not its bytes. */
export interface ImageRef {
  readonly type: 'image_ref';
  readonly mimeType: ImageContent['mimeType'];
  readonly sha256: string;
  readonly label?: string;
}

/**
 * Images of a run log, stored once each by content hash beside the logs
 * (`<state>/images/<sha256>`). A 300-frame run logs each frame once instead of its base64
 * in every line that carries the history, and a frame seen twice is stored once. Files
 * are written before the log line that names them, so a crash never leaves a dangling
 * reference.
 */
export class ImageStore {
  constructor(readonly dir: string) {}

  put(image: ImageContent): ImageRef {
    const bytes = Buffer.from(image.dataBase64, 'base64');
    const sha256 = sha256Of(bytes);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path.join(this.dir, sha256), bytes, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      // Already stored: the same content under the same name.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    return {
      type: 'image_ref',
      mimeType: image.mimeType,
      sha256,
      ...(image.label === undefined ? {} : { label: image.label }),
    };
  }

  get(ref: ImageRef): ImageContent {
    if (!/^[0-9a-f]{64}$/.test(ref.sha256)) {
      throw new UserError(`The run log names an image by an invalid hash: ${ref.sha256}.`);
    }
    let bytes: Buffer;
    try {
      bytes = readFileSync(path.join(this.dir, ref.sha256));
    } catch {
      throw new UserError(
        `The run log refers to an image (${ref.label ?? ref.sha256}) that is missing from ${this.dir}.`,
      );
    }
    return {
      type: 'image',
      mimeType: ref.mimeType,
      dataBase64: bytes.toString('base64'),
      ...(ref.label === undefined ? {} : { label: ref.label }),
    };
  }
}

/** A JSON.stringify replacer that turns every image into a reference (stored, if a store is given). */
export function imagesToRefs(store?: ImageStore): (key: string, value: unknown) => unknown {
  return (_key, value) => {
    if (!isImage(value)) return value;
    if (store) return store.put(value);
    // Without a store (--json on stdout): the hash still says which image it was.
    const sha256 = sha256Of(Buffer.from(value.dataBase64, 'base64'));
    return { type: 'image_ref', mimeType: value.mimeType, sha256, label: value.label };
  };
}

/** A JSON.parse reviver that turns references back into images from the store. */
export function refsToImages(store: ImageStore): (key: string, value: unknown) => unknown {
  return (_key, value) => (isImageRef(value) ? store.get(value) : value);
}

/** The name an image is stored under: the hash of its decoded bytes. */
function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function isImage(value: unknown): value is ImageContent {
  const v = value as Partial<ImageContent> | null;
  return (
    typeof v === 'object' && v !== null && v.type === 'image' && typeof v.dataBase64 === 'string'
  );
}

function isImageRef(value: unknown): value is ImageRef {
  const v = value as Partial<ImageRef> | null;
  return (
    typeof v === 'object' && v !== null && v.type === 'image_ref' && typeof v.sha256 === 'string'
  );
}
