import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';

/** A noisy photo-like JPEG: noise defeats compression, so it exercises the byte cap. */
export async function photoJpeg(width: number, height: number, orientation?: number) {
  const image = sharp(randomBytes(width * height * 3), { raw: { width, height, channels: 3 } });
  const oriented = orientation === undefined ? image : image.withMetadata({ orientation });
  return oriented.jpeg({ quality: 90 }).toBuffer();
}

/** A screenshot-like PNG: flat panels and thin "text" stripes, compresses well. */
export async function screenshotPng(width: number, height: number, seed = 0) {
  const pixels = Buffer.alloc(width * height * 3, 0xf4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const offset = (y * width + x) * 3;
      if (x < width / 6) pixels.fill(0x24 + (seed % 32), offset, offset + 3);
      else if (y % 18 < 2 && (x + seed * 7) % 97 < 80) pixels.fill(0x30, offset, offset + 3);
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** A PNG whose left half is fully transparent. */
export async function transparentPng(width: number, height: number) {
  const pixels = Buffer.alloc(width * height * 4, 0);
  for (let i = 0; i < width * height; i++) {
    if (i % width >= width / 2) pixels.writeUInt32BE(0x3366ccff, i * 4);
  }
  return sharp(pixels, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

/**
 * A tiny PNG whose header claims width x height pixels: a decompression bomb as far as
 * any decoder that trusts the header is concerned.
 */
export function bombPng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export async function dimensionsOf(base64: string) {
  const metadata = await sharp(Buffer.from(base64, 'base64')).metadata();
  return { width: metadata.width, height: metadata.height, format: metadata.format };
}
