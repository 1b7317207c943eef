import zlib from 'node:zlib';

/** A tiny PNG encoder (8-bit RGBA, no interlace): enough to draw the Teams icons in code. */
export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  if (rgba.length !== width * height * 4) throw new Error('rgba must hold width × height × 4 bytes');
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type: RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length, 0);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([len, body, crc]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

type Rgba = [number, number, number, number];

/**
 * The app's mark: a ring with a key-hole dot (recovering access), anti-aliased.
 * `background` fills a rounded square behind it, or nothing (transparent) for the outline icon.
 */
export function drawIcon(size: number, fg: Rgba, background?: Rgba): Buffer {
  const px = new Uint8Array(size * size * 4);
  const c = (size - 1) / 2;
  const outer = size * 0.36;
  const inner = size * 0.24;
  const dot = size * 0.09;
  const corner = size * 0.18;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - c, y - c);
      // coverage of the ring and the centre dot, with a one-pixel soft edge
      const ring = clamp(outer - d + 0.5) * clamp(d - inner + 0.5);
      const centre = clamp(dot - d + 0.5);
      const cover = Math.max(ring, centre);
      let out: Rgba = [0, 0, 0, 0];
      if (background) {
        const bx = Math.max(corner - x, 0, x - (size - 1 - corner));
        const by = Math.max(corner - y, 0, y - (size - 1 - corner));
        const inside = clamp(corner - Math.hypot(bx, by) + 0.5);
        out = [background[0], background[1], background[2], Math.round(background[3] * inside)];
      }
      const o = (y * size + x) * 4;
      const a = cover * (fg[3] / 255);
      px[o] = Math.round(fg[0] * a + out[0] * (1 - a));
      px[o + 1] = Math.round(fg[1] * a + out[1] * (1 - a));
      px[o + 2] = Math.round(fg[2] * a + out[2] * (1 - a));
      px[o + 3] = Math.round(Math.max(fg[3] * cover, out[3]));
    }
  }
  return encodePng(size, size, px);
}

const clamp = (v: number) => Math.min(1, Math.max(0, v));
