/**
 * The drawing pad: a 280×280 CSS-pixel canvas, drawn with the pen the stroke fixtures assume
 * (spec/fixtures/strokes: black, round caps and joins, PEN_WIDTH CSS pixels, on white).
 */

/** The pen's width in CSS pixels. */
export const PEN_WIDTH = 18;
/** The pad's side in CSS pixels. */
export const PAD_SIDE = 280;

/** Sets up drawing with pointer events; `onStroke` runs after each stroke ends. */
export const setUpPad = (canvas: HTMLCanvasElement, onStroke: () => void): { readonly clear: () => void } => {
  const scale = window.devicePixelRatio || 1;
  canvas.style.width = `${PAD_SIDE}px`;
  canvas.style.height = `${PAD_SIDE}px`;
  canvas.width = Math.round(PAD_SIDE * scale);
  canvas.height = Math.round(PAD_SIDE * scale);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  if (g === null) throw new Error('the drawing pad has no 2D context');
  const clear = (): void => {
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.fillStyle = '#fff';
    g.fillRect(0, 0, canvas.width, canvas.height);
    g.setTransform(scale, 0, 0, scale, 0, 0);
    g.strokeStyle = '#000';
    g.lineWidth = PEN_WIDTH;
    g.lineCap = 'round';
    g.lineJoin = 'round';
  };
  clear();
  let last: readonly [number, number] | undefined;
  const at = (e: PointerEvent): readonly [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left - canvas.clientLeft, e.clientY - r.top - canvas.clientTop]; // inside the border
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    g.beginPath();
    g.moveTo(...last);
    g.lineTo(...last); // a dot, when the pen does not move
    g.stroke();
  });
  canvas.addEventListener('pointermove', (e) => {
    if (last === undefined) return;
    const p = at(e);
    g.beginPath();
    g.moveTo(...last);
    g.lineTo(...p);
    g.stroke();
    last = p;
  });
  const end = (): void => {
    if (last === undefined) return;
    last = undefined;
    onStroke();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  return { clear };
};
