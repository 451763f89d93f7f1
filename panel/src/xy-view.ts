/**
 * The XY trajectory view: where an event with `x` and `y` (odometry) has been over
 * the plot's window, drawn from above at equal scale, with the start, the path, and
 * the newest pose (an arrow when the event carries a heading: yaw, theta, heading).
 * Plain canvas: uPlot draws against time, this draws position against position.
 */

export interface XYPath {
  xs: Array<number | null>;
  ys: Array<number | null>;
  /** Heading in radians, counter-clockwise from +x, when the event has one. */
  headings?: Array<number | null>;
}

/** Smallest span shown, in the data's units: one sample is a dot in a sane square, not an infinite zoom. */
const MIN_SPAN = 1;

/** A round grid step for a span: 1, 2 or 5 times a power of ten, about 6 lines across. */
function gridStep(span: number): number {
  const raw = span / 6;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? p * 10;
}

export class XYView {
  private readonly canvas = document.createElement('canvas');

  constructor(private readonly box: HTMLElement) {
    this.canvas.className = 'xy-canvas';
    this.box.append(this.canvas);
  }

  draw(path: XYPath, height: number, colors: { path: string; grid: string; text: string; now: string }): void {
    const points: Array<[number, number, number | null]> = [];
    path.xs.forEach((x, i) => {
      const y = path.ys[i];
      if (x !== null && y !== null && y !== undefined && Number.isFinite(x) && Number.isFinite(y)) points.push([x, y, path.headings?.[i] ?? null]);
    });
    this.box.dataset.points = String(points.length);
    const width = Math.max(200, this.box.clientWidth);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(width * dpr);
    this.canvas.height = Math.round(height * dpr);
    this.canvas.style.width = `${width}px`;
    this.canvas.style.height = `${height}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (points.length === 0) return;

    // Bounds at equal scale, padded, never smaller than MIN_SPAN.
    let [minX, maxX, minY, maxY] = [Infinity, -Infinity, Infinity, -Infinity];
    for (const [x, y] of points) [minX, maxX, minY, maxY] = [Math.min(minX, x), Math.max(maxX, x), Math.min(minY, y), Math.max(maxY, y)];
    const margin = 28;
    const plotW = width - 2 * margin;
    const plotH = height - 2 * margin;
    const span = Math.max(MIN_SPAN, (maxX - minX) * 1.15, ((maxY - minY) * 1.15 * plotW) / plotH);
    const scale = plotW / span;
    const cx = (minX + maxX) / 2;
    const cy = (minY + maxY) / 2;
    const toX = (x: number) => margin + plotW / 2 + (x - cx) * scale;
    const toY = (y: number) => margin + plotH / 2 - (y - cy) * scale; // +y up, as on a map

    // Grid and labels.
    const step = gridStep(span);
    ctx.strokeStyle = colors.grid;
    ctx.fillStyle = colors.text;
    ctx.lineWidth = 1;
    ctx.font = '11px system-ui, sans-serif';
    const x0 = cx - plotW / 2 / scale;
    const y0 = cy - plotH / 2 / scale;
    for (let gx = Math.ceil(x0 / step) * step; gx <= x0 + plotW / scale; gx += step) {
      ctx.beginPath();
      ctx.moveTo(toX(gx), margin);
      ctx.lineTo(toX(gx), height - margin);
      ctx.stroke();
      ctx.fillText(label(gx, step), toX(gx) + 2, height - margin + 13);
    }
    for (let gy = Math.ceil(y0 / step) * step; gy <= y0 + plotH / scale; gy += step) {
      ctx.beginPath();
      ctx.moveTo(margin, toY(gy));
      ctx.lineTo(width - margin, toY(gy));
      ctx.stroke();
      ctx.fillText(label(gy, step), 2, toY(gy) - 2);
    }
    ctx.fillText('x →', width - margin - 20, height - 4);
    ctx.fillText('y ↑', 4, margin - 10);

    // The path, the start (hollow) and the newest pose (filled, with its heading).
    ctx.strokeStyle = colors.path;
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(toX(x), toY(y)) : ctx.lineTo(toX(x), toY(y))));
    ctx.stroke();
    const [sx, sy] = points[0]!;
    ctx.beginPath();
    ctx.arc(toX(sx), toY(sy), 4, 0, 2 * Math.PI);
    ctx.stroke();
    const [nx, ny, heading] = points[points.length - 1]!;
    ctx.fillStyle = colors.now;
    ctx.beginPath();
    ctx.arc(toX(nx), toY(ny), 5, 0, 2 * Math.PI);
    ctx.fill();
    if (heading !== null && Number.isFinite(heading)) {
      ctx.strokeStyle = colors.now;
      ctx.beginPath();
      ctx.moveTo(toX(nx), toY(ny));
      ctx.lineTo(toX(nx) + Math.cos(heading) * 18, toY(ny) - Math.sin(heading) * 18);
      ctx.stroke();
    }
  }
}

function label(v: number, step: number): string {
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  return (Math.abs(v) < step / 1e6 ? 0 : v).toFixed(digits);
}
