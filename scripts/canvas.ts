/**
 * A tiny anti-aliased raster canvas for the generated pictures (task icons, the lifecycle diagram):
 * shapes are coverage tests in pixel coordinates, painted in order with 4×4 supersampling inside
 * their bounding box and blended over what is there; text uses a 5×7 bitmap font. `toPng()` goes
 * through the PNG encoder of scripts/icons.ts.
 */
import { encodePng } from "./icons";

export type Rgba = readonly [number, number, number, number];
type Contains = (x: number, y: number) => boolean;

export interface Shape {
  contains: Contains;
  /** Bounding box: left, top, right, bottom (pixels). */
  box: [number, number, number, number];
}

export const rect = (x: number, y: number, w: number, h: number): Shape => ({
  contains: (px, py) => px >= x && px <= x + w && py >= y && py <= y + h,
  box: [x, y, x + w, y + h],
});

export const roundRect = (x: number, y: number, w: number, h: number, r: number): Shape => ({
  contains: (px, py) => {
    const cx = Math.min(Math.max(px, x + r), x + w - r);
    const cy = Math.min(Math.max(py, y + r), y + h - r);
    return (px - cx) ** 2 + (py - cy) ** 2 <= r * r && px >= x && px <= x + w && py >= y && py <= y + h;
  },
  box: [x, y, x + w, y + h],
});

export const circle = (cx: number, cy: number, r: number): Shape => ({
  contains: (px, py) => (px - cx) ** 2 + (py - cy) ** 2 <= r * r,
  box: [cx - r, cy - r, cx + r, cy + r],
});

export const ring = (cx: number, cy: number, r: number, width: number): Shape => ({
  contains: (px, py) => {
    const d = Math.hypot(px - cx, py - cy);
    return d <= r && d >= r - width;
  },
  box: [cx - r, cy - r, cx + r, cy + r],
});

export const line = (x1: number, y1: number, x2: number, y2: number, width: number): Shape => {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const lengthSquared = dx * dx + dy * dy || 1;
  const h = width / 2;
  return {
    contains: (px, py) => {
      const t = Math.min(1, Math.max(0, ((px - x1) * dx + (py - y1) * dy) / lengthSquared));
      return (px - (x1 + t * dx)) ** 2 + (py - (y1 + t * dy)) ** 2 <= h * h;
    },
    box: [Math.min(x1, x2) - h, Math.min(y1, y2) - h, Math.max(x1, x2) + h, Math.max(y1, y2) + h],
  };
};

/** A polygon (even-odd rule). */
export const polygon = (points: [number, number][]): Shape => ({
  contains: (px, py) => {
    let inside = false;
    for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
      const [xi, yi] = points[i];
      const [xj, yj] = points[j];
      if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  },
  box: [Math.min(...points.map((p) => p[0])), Math.min(...points.map((p) => p[1])), Math.max(...points.map((p) => p[0])), Math.max(...points.map((p) => p[1]))],
});

/** 5×7 glyphs, rows top to bottom, "#" = ink. Lower case is drawn as upper case. */
const FONT: Record<string, string> = {
  A: ".###.#...##...#######...##...##...#",
  B: "####.#...#####.#...##...##...#####.",
  C: ".#####....#....#....#....#.....####",
  D: "####.#...##...##...##...##...#####.",
  E: "######....####.#....#....#....#####",
  F: "######....####.#....#....#....#....",
  G: ".#####....#....#..###...##...#.####",
  H: "#...##...#######...##...##...##...#",
  I: ".###...#....#....#....#....#...###.",
  J: "..###...#....#....#....##...#.###..",
  K: "#...##..#.#.#..##...#.#..#..#.#...#",
  L: "#....#....#....#....#....#....#####",
  M: "#...###.###.#.##...##...##...##...#",
  N: "#...###..##.#.##..###...##...##...#",
  O: ".###.#...##...##...##...##...#.###.",
  P: "####.#...##...#####.#....#....#....",
  Q: ".###.#...##...##...##.#.##..#..##.#",
  R: "####.#...##...#####.#.#..#..#.#...#",
  S: ".#####....#.....###.....#....#####.",
  T: "#####..#....#....#....#....#....#..",
  U: "#...##...##...##...##...##...#.###.",
  V: "#...##...##...##...##...#.#.#...#..",
  W: "#...##...##...##.#.##.#.###.###...#",
  X: "#...##...#.#.#...#...#.#.#...##...#",
  Y: "#...##...#.#.#...#....#....#....#..",
  Z: "#####....#...#...#...#...#....#####",
  "0": ".###.#...##..###.#.###..##...#.###.",
  "1": "..#...##....#....#....#....#...###.",
  "2": ".###.#...#....#...#...#...#...#####",
  "3": "####.....#....#.###.....#....#####.",
  "4": "#...##...##...######....#....#....#",
  "5": "######....####.....#....#....#####.",
  "6": ".###.#....####.#...##...##...#.###.",
  "7": "#####....#...#...#...#....#....#...",
  "8": ".###.#...##...#.###.#...##...#.###.",
  "9": ".###.#...##...#.####....#....#.###.",
  " ": ".".repeat(35),
  "-": "...............#####...............",
  ".": "..............................##...",
  ":": "......##...##.........##...##......",
  "(": "...#...#...#....#....#.....#.....#.",
  ")": ".#.....#.....#....#....#...#...#...",
  "/": "....#....#...#...#...#...#....#....",
  _: "..............................#####",
  "@": ".###.#...##.####.#.##.####....####.",
  ">": ".#.....#.....#.....#...#...#...#...",
  $: "..#...#####.#...###...#.#####...#..",
  "=": "..........#####.....#####..........",
  "'": "..#....#....#......................",
};

export class Canvas {
  readonly pixels: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgba = [0, 0, 0, 0],
  ) {
    this.pixels = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) this.pixels.set(background, i * 4);
  }

  fill(shape: Shape, color: Rgba): void {
    const samples = 4;
    const [l, t, r, b] = shape.box;
    for (let py = Math.max(0, Math.floor(t)); py < Math.min(this.height, Math.ceil(b) + 1); py++) {
      for (let px = Math.max(0, Math.floor(l)); px < Math.min(this.width, Math.ceil(r) + 1); px++) {
        let hits = 0;
        for (let sy = 0; sy < samples; sy++) {
          for (let sx = 0; sx < samples; sx++) if (shape.contains(px + (sx + 0.5) / samples, py + (sy + 0.5) / samples)) hits++;
        }
        if (hits > 0) this.blend(px, py, color, ((color[3] / 255) * hits) / (samples * samples));
      }
    }
  }

  private blend(px: number, py: number, color: Rgba, alpha: number): void {
    const o = (py * this.width + px) * 4;
    const below = this.pixels[o + 3] / 255;
    const outAlpha = alpha + below * (1 - alpha);
    for (let c = 0; c < 3; c++) {
      const mixed = outAlpha > 0 ? (color[c] * alpha + this.pixels[o + c] * below * (1 - alpha)) / outAlpha : 0;
      this.pixels[o + c] = Math.round(mixed);
    }
    this.pixels[o + 3] = Math.round(outAlpha * 255);
  }

  /** Width in pixels of `text` at `scale` (each font pixel is scale×scale). */
  static textWidth(text: string, scale: number): number {
    return text.length * 6 * scale - scale;
  }

  /** Draws text with its top-left at (x, y); unknown characters throw, so a typo cannot go unseen. */
  text(text: string, x: number, y: number, scale: number, color: Rgba): void {
    for (const [i, ch] of [...text.toUpperCase()].entries()) {
      const glyph = FONT[ch];
      if (!glyph) throw new Error(`The bitmap font has no '${ch}'.`);
      for (let row = 0; row < 7; row++) {
        for (let col = 0; col < 5; col++) {
          if (glyph[row * 5 + col] === "#") this.fill(rect(x + (i * 6 + col) * scale, y + row * scale, scale - 0.01, scale - 0.01), color);
        }
      }
    }
  }

  /** Text centred on x. */
  centredText(text: string, cx: number, y: number, scale: number, color: Rgba): void {
    this.text(text, Math.round(cx - Canvas.textWidth(text, scale) / 2), y, scale, color);
  }

  toPng(): Buffer {
    return encodePng(this.pixels, this.width, this.height);
  }
}
