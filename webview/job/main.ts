/**
 * The job view: where the job stands, what it can do next (Stop, Resume, …), the latest metrics with a
 * one-line meaning each, and live charts. The host sends the points of events.jsonl, so a finished job
 * shows the same as a running one.
 */
import 'uplot/dist/uPlot.min.css';
import './job.css';
import { Chart, CHARTS } from './charts';
import { ProbePanel } from './probe';
import { isHostMessage, isPageState, METRICS, type JobAction, type JobInfo, type Point, type StepRange, type ViewMessage } from './protocol';
import { percent } from '../../src/core/percent';
import { el } from '../shared/dom';

const vscode = acquireVsCodeApi();
const post = (m: ViewMessage): void => vscode.postMessage(m);

let job: JobInfo | undefined;
let points: Point[] = [];
let scheduled = false;

const app = document.getElementById('app')!;
const header = el('header', { class: 'job-header' });
const summary = el('div', { class: 'summary' });
// The buttons outlive the header's re-renders (one per step, many a second on a fast run): a button
// replaced between a click's mousedown and mouseup gets no click, and Stop was lost that way.
const actions = el('div', { class: 'actions' });
let actionsKey = '';
header.append(summary, actions);
const failure = el('section', { class: 'failure' });
const table = el('table', { class: 'metrics' });
// The page is made again each time its tab is shown (no retainContextWhenHidden): the host sends the job,
// its points and probes again on `ready`, and the page state brings back what the user chose.
const saved = vscode.getState();
const restored = isPageState(saved) ? saved : undefined;
/** The steps every training curve shows (a drag across any of them), kept while new steps arrive. */
let zoom: StepRange | undefined = restored?.zoom;
const grid = el('section', { class: 'charts' });
const charts = CHARTS.map((spec) => new Chart(spec, zoom, zoomTo));
grid.append(...charts.map((c) => c.root));
const showAll = el('button', { class: 'secondary show-all' }, 'Show all steps');
showAll.addEventListener('click', () => zoomTo(undefined));
const zoomHint = el('span', { class: 'zoom-hint' });
const curvesHeading = el('h2', {}, 'Training curves');
curvesHeading.append(' ', zoomHint, showAll);
syncZoomControls();
const probe = new ProbePanel(() => {
  saveState();
  schedule();
});
probe.restore(restored?.probeStep);

function zoomTo(r: StepRange | undefined): void {
  zoom = r;
  for (const c of charts) c.setZoom(r);
  syncZoomControls();
  saveState();
}

function syncZoomControls(): void {
  showAll.hidden = !zoom;
  if (!zoom) {
    zoomHint.textContent = 'drag across a chart to zoom into steps';
    return;
  }
  const [first, last] = [Math.ceil(zoom.min), Math.floor(zoom.max)];
  zoomHint.textContent = first <= last ? `steps ${first}–${last}` : `between steps ${last} and ${first}`;
}

/** Where to scroll once the page is tall enough (the charts and the probe arrive after the first paint). */
let pendingScroll = restored?.scrollY;

/** Scrolls where the page was once it is tall enough: its parts (charts, probe) come in over several paints. */
function restoreScroll(): void {
  if (pendingScroll === undefined || document.documentElement.scrollHeight - window.innerHeight < pendingScroll) return;
  window.scrollTo(0, pendingScroll);
  pendingScroll = undefined;
}

function saveState(): void {
  if (!job) return;
  vscode.setState({ dir: job.dir, probeStep: probe.pickedStep, scrollY: pendingScroll ?? Math.round(window.scrollY), zoom });
}
app.replaceChildren(header, failure, curvesHeading, grid, probe.root, el('h2', {}, 'Latest metrics'), table);
app.removeAttribute('aria-busy');


function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function button(label: string, action: JobAction, primary = false): HTMLButtonElement {
  const b = el('button', { class: primary ? 'primary' : 'secondary' }, label);
  b.dataset.action = action;
  b.addEventListener('click', () => post({ type: 'action', action }));
  return b;
}

function renderHeader(): void {
  if (!job) return;
  const j = job;
  const title = el('h1', {}, j.name);
  const badge = el('span', { class: `badge state-${j.state}` }, j.state);
  badge.setAttribute('role', 'status');
  title.append(' ', badge);
  const facts: string[] = [];
  if (j.totalSteps) facts.push(`step ${j.step} of ${j.totalSteps}`);
  else if (j.step) facts.push(`step ${j.step}`);
  if ((j.state === 'running') && j.etaS !== undefined && points.length) facts.push(`about ${duration(j.etaS)} left`);
  if (j.device) facts.push(j.device);
  if (j.preset) facts.push(`preset ${j.preset}`);
  const line = el('p', { class: 'facts' }, facts.join(' · '));
  const activity = el('p', { class: 'activity' }, j.activity ?? '');
  activity.hidden = !j.activity || (j.state === 'running' && !!j.totalSteps && points.length > 0);
  const where = el('p', { class: 'where' }, j.dir);
  const progress = el('progress');
  progress.max = j.totalSteps || 1;
  progress.value = j.totalSteps ? j.step : 0;
  progress.hidden = !j.totalSteps;
  const wanted: [string, JobAction, boolean][] = [];
  if (j.state === 'running') wanted.push(['Stop', 'stop', true]);
  if (j.state === 'stopped' || j.state === 'failed') {
    wanted.push([j.resumeStep > 0 ? `Resume from step ${j.resumeStep}` : 'Resume (from scratch)', 'resume', true]);
  }
  if ((j.state === 'done' || j.state === 'stopped') && j.adapter) wanted.push(['Preview Rewrite', 'previewRewrite', false]);
  wanted.push(['Show Log', 'showLog', false], ['Open Folder', 'openFolder', false]);
  const key = JSON.stringify(wanted);
  if (key !== actionsKey) {
    actionsKey = key;
    actions.replaceChildren(...wanted.map(([label, action, primary]) => button(label, action, primary)));
  }
  summary.replaceChildren(title, line, activity, progress, where);

  failure.hidden = j.state !== 'failed' && !(j.state === 'stopped' && j.message);
  failure.className = j.state === 'failed' ? 'failure' : 'notice';
  if (j.state === 'stopped') failure.replaceChildren(el('p', { class: 'message' }, j.message ?? ''));
  if (j.state === 'failed') {
    const pre = el('pre', { class: 'log-tail' }, j.lastLog.join('\n') || '(no log lines)');
    failure.replaceChildren(el('p', { class: 'message' }, j.message ?? 'The job failed.'), el('p', { class: 'hint' }, 'Last log lines:'), pre);
  }
}

function value(key: keyof Point, v: number | null): string {
  if (v === null) return '—';
  if (key === 'gpu_mem_bytes') return `${(v / 1024 ** 3).toFixed(2)} GiB`;
  if (key === 'tokens_per_s') return v.toFixed(0);
  if (key === 'learning_rate') return v.toExponential(2);
  if (key === 'rewards/accuracies' || key === 'eval/rewards/accuracies') return percent(v, 0);
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4);
}

function renderTable(): void {
  const last = points[points.length - 1];
  const head = el('tr');
  head.append(el('th', {}, 'metric'), el('th', { class: 'num' }, last ? `step ${last.step}` : 'latest'), el('th', {}, 'what it means'));
  const rows = METRICS.map((m) => {
    const tr = el('tr');
    tr.dataset.metric = m.key;
    // Eval metrics come every eval_steps only: the newest step that has one.
    const from = m.key.startsWith('eval/') ? [...points].reverse().find((p) => p[m.key] !== null) : last;
    if (m.key.startsWith('eval/') && !from) tr.hidden = true;
    const shown = from ? value(m.key, from[m.key] as number | null) + (from !== last ? ` (step ${from.step})` : '') : '…';
    tr.append(el('td', { class: 'name' }, m.label), el('td', { class: 'num' }, shown), el('td', { class: 'explain' }, m.explain));
    return tr;
  });
  table.replaceChildren(el('thead'), el('tbody'));
  table.tHead!.append(head);
  table.tBodies[0].append(...rows);
}

function render(): void {
  scheduled = false;
  renderHeader();
  renderTable();
  for (const c of charts) c.update(points);
  const last = points[points.length - 1];
  post({ type: 'rendered', step: last?.step ?? 0, points: points.length, probes: probe.count, probeStep: probe.selectedStep });
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(render);
}

window.addEventListener('message', (e: MessageEvent) => {
  const m: unknown = e.data;
  if (!isHostMessage(m)) return; // only data, and only the shapes we know
  if (m.type === 'job') {
    const first = !job;
    job = m.job;
    // Once: the state changes with a probe step picked or a scroll, not with every step.
    if (first) saveState();
  } else if (m.type === 'probes') {
    probe.update(m.probes, m.model, m.error);
  } else {
    points = m.reset ? m.points : mergeSorted(points, m.points);
  }
  schedule();
});

/** Appends newer steps; a step seen again (a resumed run repeating it) replaces the old value. */
function mergeSorted(old: Point[], add: Point[]): Point[] {
  const byStep = new Map(old.map((p) => [p.step, p]));
  for (const p of add) byStep.set(p.step, p);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

let scrollSave: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('scroll', () => {
  // The user scrolled before the page grew tall enough: their scroll wins over the saved one.
  pendingScroll = undefined;
  clearTimeout(scrollSave);
  scrollSave = setTimeout(saveState, 200);
});
// Every growth of the page (a render, the probe arriving, charts laid out) may make the saved scroll reachable.
new ResizeObserver(() => restoreScroll()).observe(app);
new ResizeObserver(() => charts.forEach((c) => c.resize())).observe(grid);
new ResizeObserver(() => probe.resize()).observe(probe.root);
post({ type: 'ready' });
