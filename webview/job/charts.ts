/** The job's live charts, drawn with uPlot (canvas; small, no dependencies). Colours follow the VS Code theme. */
import uPlot from 'uplot';
import type { Point, StepRange } from './protocol';
import { plainNumber } from '../../src/core/plainNumber';

type Key = Exclude<keyof Point, 'step' | 'time'>;

interface ChartSpec {
  id: string;
  title: string;
  /** dash: drawn dashed and across missing steps (eval points come every eval_steps only). */
  series: { key: Key; label: string; color: string; dash?: boolean }[];
  format?: (v: number) => string;
  /** Draw the y = 0 line: for rewards, the sign matters. */
  zero?: boolean;
  /** A fixed y range: a share stays on 0-100 % (uPlot pads a flat line of 1.0 out to 0-2). */
  range?: [number, number];
}

const GIB = 1024 ** 3;

export const CHARTS: ChartSpec[] = [
  {
    id: 'loss', title: 'Loss', series: [
      { key: 'loss', label: 'train', color: '--vscode-charts-blue' },
      { key: 'eval/loss', label: 'eval (held out)', color: '--vscode-charts-orange', dash: true },
    ],
  },
  {
    id: 'rewards', title: 'Rewards', zero: true, series: [
      { key: 'rewards/margins', label: 'margins', color: '--vscode-charts-green' },
      { key: 'rewards/chosen', label: 'chosen', color: '--vscode-charts-blue' },
      { key: 'rewards/rejected', label: 'rejected', color: '--vscode-charts-red' },
    ],
  },
  {
    id: 'accuracies', title: 'Reward accuracy', range: [0, 1], format: (v) => `${Math.round(v * 100)} %`, series: [
      { key: 'rewards/accuracies', label: 'train', color: '--vscode-charts-purple' },
      { key: 'eval/rewards/accuracies', label: 'eval (held out)', color: '--vscode-charts-orange', dash: true },
    ],
  },
  { id: 'throughput', title: 'Tokens per second', series: [{ key: 'tokens_per_s', label: 'tokens/s', color: '--vscode-charts-orange' }], format: (v) => v.toFixed(0) },
  {
    id: 'gpu', title: 'GPU memory (peak)', series: [{ key: 'gpu_mem_bytes', label: 'GiB', color: '--vscode-charts-yellow' }],
    format: (v) => `${(v / GIB).toFixed(2)} GiB`,
  },
];

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

export class Chart {
  readonly root: HTMLElement;
  private plot: uPlot | undefined;
  private readonly body: HTMLElement;
  private readonly note: HTMLElement;

  /**
   * `zoom`: the steps to show (none: all). `onZoom`: the user dragged across this chart (a range) or
   * double-clicked it (undefined); the page applies it to every chart, so all show the same steps.
   */
  constructor(private readonly spec: ChartSpec, private zoom: StepRange | undefined, private readonly onZoom: (r: StepRange | undefined) => void) {
    this.root = document.createElement('figure');
    this.root.className = 'chart';
    this.root.dataset.chart = spec.id;
    const caption = document.createElement('figcaption');
    caption.textContent = `${spec.title} by step`;
    if (spec.series.length > 1) {
      // Series without any value (no eval set) get no key; set in update().
      // A static key instead of uPlot's hover legend: the table has the values.
      const keys = document.createElement('div');
      keys.className = 'keys';
      caption.append(keys);
      for (const s of spec.series) {
        const key = document.createElement('span');
        key.className = 'key';
        key.style.setProperty('--key-color', `var(${s.color})`);
        key.textContent = s.label;
        key.dataset.key = s.key;
        keys.append(key);
      }
    }
    this.body = document.createElement('div');
    this.body.className = 'chart-body';
    this.note = document.createElement('p');
    this.note.className = 'chart-note';
    this.root.append(caption, this.body, this.note);
  }

  update(points: Point[]): void {
    const xs = points.map((p) => p.step);
    const cols = this.spec.series.map((s) => points.map((p) => p[s.key]));
    const any = cols.some((c) => c.some((v) => v !== null));
    this.root.dataset.points = String(points.length);
    this.spec.series.forEach((s, i) => {
      const key = this.root.querySelector<HTMLElement>(`.key[data-key="${s.key}"]`);
      if (key) key.hidden = !cols[i].some((v) => v !== null);
    });
    if (!any) {
      this.note.textContent = points.length === 0 ? 'Waiting for the first step…'
        : this.spec.id === 'gpu' ? 'No GPU memory: this job runs on the CPU.' : 'No values yet.';
      this.body.hidden = true;
      return;
    }
    this.note.textContent = '';
    this.body.hidden = false;
    const data = [xs, ...cols] as uPlot.AlignedData;
    if (!this.plot) this.plot = this.create(data);
    else this.plot.setData(data);
    // setData fits the x axis to every step; a zoomed chart keeps its steps while new ones arrive.
    if (this.zoom) this.plot.setScale('x', this.zoom);
  }

  /** Shows these steps (undefined: all), as another chart was zoomed or the page asked. */
  setZoom(r: StepRange | undefined): void {
    this.zoom = r;
    if (!this.plot) return;
    if (r) this.plot.setScale('x', r);
    else this.plot.setData(this.plot.data);
  }

  resize(): void {
    if (this.plot) this.plot.setSize(this.size());
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(200, this.root.clientWidth - 8), height: 150 };
  }

  private create(data: uPlot.AlignedData): uPlot {
    const fg = cssVar('--vscode-foreground', '#ccc');
    const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
    const fmt = this.spec.format ?? plainNumber;
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      ...this.size(),
      scales: { x: { time: false }, ...(this.spec.range ? { y: { range: this.spec.range } } : {}) },
      legend: { show: false },
      axes: [
        // Steps are whole numbers: no 2.5 ticks.
        { ...axis, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000] },
        { ...axis, size: 60, space: 20, values: (_u, ticks) => ticks.map((t) => (t === null ? '' : fmt(t))) },
      ],
      series: [
        { label: 'step', value: (_u, v) => (v === null ? '' : String(v)) },
        ...this.spec.series.map((s) => ({
          label: s.label,
          stroke: cssVar(s.color, '#3794ff'),
          width: 2,
          ...(s.dash ? { dash: [6, 4], spanGaps: true } : {}),
          // Dots while there are few steps; a line alone once there are many.
          points: { show: (u: uPlot) => u.data[0].length < 40 },
          value: (_u: uPlot, v: number | null) => (v === null ? '—' : fmt(v)),
        })),
      ],
      hooks: {
        ...(this.spec.zero ? { drawAxes: [(u: uPlot) => drawZero(u, grid)] } : {}),
        // uPlot zooms the chart dragged across (the selection, fired on mouseup before the scale is set).
        setSelect: [(u: uPlot) => {
          if (u.select.width <= 0) return;
          this.onZoom({ min: u.posToVal(u.select.left, 'x'), max: u.posToVal(u.select.left + u.select.width, 'x') });
        }],
        // The steps shown, for tests and for whoever reads the page.
        setScale: [(u: uPlot, key: string) => {
          if (key !== 'x') return;
          this.root.dataset.xMin = String(u.scales.x.min);
          this.root.dataset.xMax = String(u.scales.x.max);
        }],
      },
    };
    const plot = new uPlot(opts, data, this.body);
    // uPlot's double-click shows every step again in this chart; the others follow.
    plot.over.addEventListener('dblclick', () => this.onZoom(undefined));
    plot.over.title = 'Drag across to zoom into steps; double-click to see all';
    if (this.zoom) plot.setScale('x', this.zoom);
    return plot;
  }
}

function drawZero(u: uPlot, color: string): void {
  const y = u.valToPos(0, 'y', true);
  if (y < u.bbox.top || y > u.bbox.top + u.bbox.height) return;
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = color;
  ctx.setLineDash([4, 4]);
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.beginPath();
  ctx.moveTo(u.bbox.left, y);
  ctx.lineTo(u.bbox.left + u.bbox.width, y);
  ctx.stroke();
  ctx.restore();
}
