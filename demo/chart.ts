/** A small line chart on a canvas: one or more series over a shared x axis, redrawn whole. */

/** One line: its label, colour and points. */
export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

/** Draws the series into the canvas, with the y range given or taken from the data. */
export const drawChart = (canvas: HTMLCanvasElement, title: string, series: readonly Series[], yRange?: readonly [number, number]): void => {
  const g = canvas.getContext('2d');
  if (g === null) return;
  const { width, height } = canvas;
  const pad = { left: 44, right: 8, top: 20, bottom: 20 };
  g.clearRect(0, 0, width, height);
  g.font = '12px system-ui, sans-serif';
  g.fillStyle = '#333';
  g.fillText(title, pad.left, 13);
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return;
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1e-9)];
  const [y0, y1] = yRange ?? [Math.min(...ys), Math.max(...ys, Math.min(...ys) + 1e-9)];
  const px = (x: number): number => pad.left + ((x - x0) / (x1 - x0)) * (width - pad.left - pad.right);
  const py = (y: number): number => height - pad.bottom - ((y - y0) / (y1 - y0)) * (height - pad.top - pad.bottom);
  g.strokeStyle = '#ccc';
  g.strokeRect(pad.left, pad.top, width - pad.left - pad.right, height - pad.top - pad.bottom);
  g.fillStyle = '#666';
  g.fillText(y1.toPrecision(3), 2, pad.top + 8);
  g.fillText(y0.toPrecision(3), 2, height - pad.bottom);
  series.forEach((s, i) => {
    g.strokeStyle = s.color;
    g.beginPath();
    s.points.forEach(([x, y], j) => (j === 0 ? g.moveTo(px(x), py(y)) : g.lineTo(px(x), py(y))));
    g.stroke();
    g.fillStyle = s.color;
    for (const [x, y] of s.points.length <= 50 ? s.points : []) g.fillRect(px(x) - 2, py(y) - 2, 4, 4);
    g.fillText(s.label, width - pad.right - 110, pad.top + 14 + 14 * i);
  });
};
