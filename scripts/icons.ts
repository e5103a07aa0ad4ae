/**
 * Regenerates the committed icons: images/extension-icon.png (128×128, the Marketplace icon) and
 * images/default-task-icon.png (32×32, used by the build for a task folder without icon.png).
 * The glyph is a small pipeline graph (three stages joined by arrows) on an Azure-blue tile.
 *
 *   npx tsc -p . && node out/scripts/icons.js
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { findRepoRoot } from "../devkit/repoRoot";

type Rgba = readonly [number, number, number, number];

const AZURE_BLUE: Rgba = [0, 120, 212, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const LIGHT_BLUE: Rgba = [80, 230, 255, 255];

/** A shape as a coverage test in unit coordinates (0..1 across the icon). */
interface Layer {
  color: Rgba;
  contains(x: number, y: number): boolean;
}

function roundedSquare(margin: number, radius: number): (x: number, y: number) => boolean {
  return (x, y) => {
    const left = margin + radius;
    const right = 1 - margin - radius;
    const cx = Math.min(Math.max(x, left), right);
    const cy = Math.min(Math.max(y, left), right);
    return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2 && x >= margin && x <= 1 - margin && y >= margin && y <= 1 - margin;
  };
}

function circle(cx: number, cy: number, r: number): (x: number, y: number) => boolean {
  return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function segment(x1: number, y1: number, x2: number, y2: number, halfWidth: number): (x: number, y: number) => boolean {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const lengthSquared = dx * dx + dy * dy;
  return (x, y) => {
    const t = Math.min(1, Math.max(0, ((x - x1) * dx + (y - y1) * dy) / lengthSquared));
    return (x - (x1 + t * dx)) ** 2 + (y - (y1 + t * dy)) ** 2 <= halfWidth * halfWidth;
  };
}

function triangle(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): (x: number, y: number) => boolean {
  const sign = (px: number, py: number, qx: number, qy: number, rx: number, ry: number) => (px - rx) * (qy - ry) - (qx - rx) * (py - ry);
  return (x, y) => {
    const d1 = sign(x, y, ax, ay, bx, by);
    const d2 = sign(x, y, bx, by, cx, cy);
    const d3 = sign(x, y, cx, cy, ax, ay);
    return !((d1 < 0 || d2 < 0 || d3 < 0) && (d1 > 0 || d2 > 0 || d3 > 0));
  };
}

function anyOf(...shapes: ((x: number, y: number) => boolean)[]): (x: number, y: number) => boolean {
  return (x, y) => shapes.some((shape) => shape(x, y));
}

/** Three stages (data → train → deploy) joined by arrows, the last one highlighted. */
function pipelineGlyph(): Layer[] {
  const stroke = 0.045;
  const nodes = [
    { x: 0.22, y: 0.62 },
    { x: 0.5, y: 0.32 },
    { x: 0.78, y: 0.62 },
  ];
  const arrow = (from: { x: number; y: number }, to: { x: number; y: number }) => {
    const dx = to.x - from.x;
    const dy = to.y - from.y;
    const length = Math.hypot(dx, dy);
    const ux = dx / length;
    const uy = dy / length;
    const start = { x: from.x + ux * 0.14, y: from.y + uy * 0.14 };
    const tip = { x: to.x - ux * 0.15, y: to.y - uy * 0.15 };
    const base = { x: tip.x - ux * 0.08, y: tip.y - uy * 0.08 };
    return anyOf(
      segment(start.x, start.y, base.x, base.y, stroke),
      triangle(tip.x, tip.y, base.x - uy * 0.05, base.y + ux * 0.06, base.x + uy * 0.06, base.y - ux * 0.06),
    );
  };
  return [
    { color: AZURE_BLUE, contains: roundedSquare(0.02, 0.16) },
    { color: WHITE, contains: anyOf(arrow(nodes[0], nodes[1]), arrow(nodes[1], nodes[2])) },
    { color: WHITE, contains: anyOf(circle(nodes[0].x, nodes[0].y, 0.12), circle(nodes[1].x, nodes[1].y, 0.12)) },
    { color: AZURE_BLUE, contains: anyOf(circle(nodes[0].x, nodes[0].y, 0.06), circle(nodes[1].x, nodes[1].y, 0.06)) },
    { color: LIGHT_BLUE, contains: circle(nodes[2].x, nodes[2].y, 0.12) },
    { color: WHITE, contains: segment(0.18, 0.84, 0.82, 0.84, stroke * 0.8) },
  ];
}

/** Rasterises layers (painter's order) with 4×4 supersampling; returns RGBA rows. */
function rasterize(layers: Layer[], size: number): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const samples = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size;
          const y = (py + (sy + 0.5) / samples) / size;
          let color: Rgba | undefined;
          for (const layer of layers) {
            if (layer.contains(x, y)) {
              color = layer.color;
            }
          }
          if (color) {
            r += color[0];
            g += color[1];
            b += color[2];
            a += color[3];
          }
        }
      }
      const n = samples * samples;
      const coverage = a / 255;
      const offset = (py * size + px) * 4;
      // Average colour of the covered samples (straight alpha), alpha = coverage.
      pixels[offset] = coverage > 0 ? Math.round(r / coverage) : 0;
      pixels[offset + 1] = coverage > 0 ? Math.round(g / coverage) : 0;
      pixels[offset + 2] = coverage > 0 ? Math.round(b / coverage) : 0;
      pixels[offset + 3] = Math.round(a / n);
    }
  }
  return pixels;
}

function crc32(data: Buffer): number {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  let crc = 0xffffffff;
  for (const byte of data) {
    crc = table[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}

/** A minimal PNG encoder: 8-bit RGBA, no interlace, filter 0 on every row. */
export function encodePng(rgba: Buffer, width: number, height: number): Buffer {
  if (rgba.length !== width * height * 4) {
    throw new RangeError(`Expected ${width * height * 4} bytes of RGBA, got ${rgba.length}.`);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type RGBA
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(rows, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The committed icons: file name under images/ and size in pixels. */
export const ICONS = [
  { file: "extension-icon.png", size: 128 },
  { file: "default-task-icon.png", size: 32 },
] as const;

/** The pipeline glyph as a PNG of `size`×`size` pixels. */
export function renderIcon(size: number): Buffer {
  return encodePng(rasterize(pipelineGlyph(), size), size, size);
}

function main(): void {
  const images = path.join(findRepoRoot(__dirname), "images");
  fs.mkdirSync(images, { recursive: true });
  for (const { file, size } of ICONS) {
    fs.writeFileSync(path.join(images, file), renderIcon(size));
    console.log(`wrote images/${file} (${size}x${size})`);
  }
}

if (require.main === module) {
  main();
}
