/**
 * Image grids (first-layer filters, misclassified examples) as SVG with one PNG data URI per
 * tile: images, not charts, so they are drawn directly. PNGs are encoded by fast-png
 * (pure JS, built on fflate which the project already uses); far smaller than a rect per pixel.
 */
import { encode } from 'fast-png';
import { showShape, type Tensor } from '../tensor.ts';
import { escapeHtml } from './html.ts';

/** One tile, grayscale or RGB: row-major values (RGB: three planes, as NCHW), its size and a caption. */
export interface Tile {
  readonly pixels: ArrayLike<number>;
  readonly height: number;
  readonly width: number;
  /** 1 (default): grayscale; 3: red, green and blue planes. */
  readonly channels?: 1 | 3;
  /** Pixel values mapping to black and white (default: the tile's min and max). */
  readonly range?: readonly [number, number];
  readonly caption?: string;
}

/** A base64 PNG data URI of a tile. */
export const pngDataUri = (tile: Tile): string => {
  const plane = tile.height * tile.width;
  const channels = tile.channels ?? 1;
  const n = plane * channels;
  let lo = tile.range?.[0] ?? Infinity;
  let hi = tile.range?.[1] ?? -Infinity;
  if (!tile.range) for (let i = 0; i < n; i++) { lo = Math.min(lo, tile.pixels[i]); hi = Math.max(hi, tile.pixels[i]); }
  const data = new Uint8Array(n);
  const span = hi > lo ? hi - lo : 1;
  // PNG interleaves channels per pixel; tiles hold planes
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < plane; i++) data[i * channels + c] = Math.round(255 * Math.min(1, Math.max(0, (tile.pixels[c * plane + i] - lo) / span)));
  }
  const png = encode({ width: tile.width, height: tile.height, data, channels, depth: 8 });
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
};

/** Options of `imageGrid`. */
export interface GridOptions {
  readonly columns?: number;
  /** Screen pixels per image pixel. */
  readonly zoom?: number;
}

/** Tiles in a grid as one SVG, captions under each tile, pixels kept sharp. */
export const imageGrid = (tiles: readonly Tile[], options: GridOptions = {}): string => {
  const columns = Math.max(1, Math.min(options.columns ?? 10, tiles.length));
  const zoom = options.zoom ?? 2;
  const tw = Math.max(...tiles.map((t) => t.width), 1) * zoom;
  const th = Math.max(...tiles.map((t) => t.height), 1) * zoom;
  const captioned = tiles.some((t) => t.caption !== undefined);
  const cellW = Math.max(tw, captioned ? 70 : 0) + 8;
  const cellH = th + (captioned ? 16 : 0) + 8;
  const rows = Math.ceil(tiles.length / columns);
  const body = tiles.map((t, i) => {
    const x = (i % columns) * cellW + (cellW - t.width * zoom) / 2;
    const y = Math.floor(i / columns) * cellH + 4;
    const caption = t.caption === undefined ? '' : escapeHtml(t.caption);
    return `<g>${caption ? `<title>${caption}</title>` : ''}<image x="${x}" y="${y}" width="${t.width * zoom}" height="${t.height * zoom}" `
      + `style="image-rendering:pixelated" href="${pngDataUri(t)}"/>`
      + (caption ? `<text x="${(i % columns) * cellW + cellW / 2}" y="${y + th + 13}" text-anchor="middle" font-size="11" font-family="sans-serif">${caption}</text>` : '')
      + '</g>';
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${columns * cellW}" height="${rows * cellH}" viewBox="0 0 ${columns * cellW} ${rows * cellH}">`
    + `<rect width="100%" height="100%" fill="white"/>${body.join('')}</svg>`;
};

/** First-layer conv filters W (out, in, kh, kw) as tiles of their first input channel, each scaled to its own range (as the book's visualize_filter). */
export const filterTiles = (w: Tensor): readonly Tile[] => {
  if (w.shape.length !== 4) throw new Error(`filterTiles: expects conv weights (out, in, kh, kw), got shape ${showShape(w.shape)}`);
  const [out, inC, kh, kw] = w.shape;
  return Array.from({ length: out }, (_, o) => {
    const start = o * inC * kh * kw;
    return { pixels: Array.from({ length: kh * kw }, (_, i) => w.data[start + i]), height: kh, width: kw };
  });
};

/**
 * The image at `index` of a batch (N, C, H, W) or flat (N, D) with `image` = [C, H, W], pixels in
 * [0, 1]: in colour when it has 3 channels, else its first channel.
 */
export const exampleTile = (x: Tensor, index: number, image: readonly number[], caption: string): Tile => {
  const [c, h, w] = image;
  const per = x.size / Math.max(1, x.shape[0]);
  if (image.length !== 3 || c * h * w !== per) throw new Error(`exampleTile: image shape ${showShape(image)} does not fit inputs of shape ${showShape(x.shape)}`);
  const channels = c === 3 ? 3 : 1;
  const start = index * per;
  return { pixels: Array.from({ length: channels * h * w }, (_, i) => x.data[start + i]), height: h, width: w, channels, range: [0, 1], caption };
};
