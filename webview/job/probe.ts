/**
 * The style probe in the job view: the mean reward of the probe replies by step (click a point, or a
 * step button, to read that step's replies), the traits that moved most since step 0, and the replies
 * beside the chart with their reward and length, each next to what step 0 said. Reward climbing while
 * the replies grow longer or fill with slang is reward hacking: visible here while the job runs.
 */
import uPlot from 'uplot';
import type { MovedTraitView, ProbeView } from './protocol';
import { plainNumber } from '../../src/core/plainNumber';
import { el } from '../shared/dom';
import { counted } from '../../src/core/counted';


function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

const signed = (v: number, digits = 2): string => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;

export class ProbePanel {
  readonly root = el('section', { class: 'probe' });
  private readonly note = el('p', { class: 'probe-note' });
  private readonly steps = el('div', { class: 'probe-steps' });
  private readonly chartBody = el('div', { class: 'chart-body' });
  private readonly moved = el('div', { class: 'probe-moved' });
  private readonly replies = el('div', { class: 'probe-replies' });
  /** Steps whose replies were all empty: they have no point on the chart, so the caption names them. */
  private readonly silentSteps = el('span', { class: 'probe-silent' });
  private plot: uPlot | undefined;
  private probes: ProbeView[] = [];
  /** The step whose replies are shown; undefined: follow the newest. */
  private chosen: number | undefined;

  constructor(private readonly onChange: () => void) {
    this.root.hidden = true;
    this.root.dataset.probes = '0';
    const chart = el('figure', { class: 'chart probe-chart' });
    const caption = el('figcaption', {}, 'Probe reward by step');
    caption.append(el('span', { class: 'probe-hint' }, ' · click a point to read its replies'), this.silentSteps);
    chart.append(caption, this.chartBody, this.steps);
    const left = el('div', { class: 'probe-left' });
    left.append(chart, el('h3', {}, 'Moved most since step 0'), this.moved);
    const right = el('div', { class: 'probe-right' });
    right.append(this.replies);
    const body = el('div', { class: 'probe-body' });
    body.append(left, right);
    this.root.append(el('h2', {}, 'Style probe'), this.note, body);
  }

  get count(): number {
    return this.probes.length;
  }

  get selectedStep(): number | undefined {
    return this.current()?.step;
  }

  /** The step the user picked; undefined while the panel follows the newest. */
  get pickedStep(): number | undefined {
    return this.chosen;
  }

  /** The step picked before the page was made again (it shows once that step's probe is in). */
  restore(step: number | undefined): void {
    this.chosen = step;
  }

  update(probes: ProbeView[], model: string, error?: string): void {
    this.probes = probes;
    this.root.hidden = probes.length === 0 && !error;
    this.root.dataset.probes = String(probes.length);
    this.note.textContent = error
      ? `The probe replies could not be scored: ${error}`
      : `The same ${probes[0]?.replies.length ?? 0} prompts answered greedily at step 0 and every few steps, scored with ${model}. `
        + 'A reward that climbs while the replies grow longer or fill with slang is the reward being gamed; '
        + 'replies that go empty are not scored and are counted instead.';
    this.note.classList.toggle('error', !!error);
    if (this.chosen !== undefined && !probes.some((p) => p.step === this.chosen)) this.chosen = undefined;
    this.render();
  }

  resize(): void {
    this.plot?.setSize(this.size());
  }

  private current(): ProbeView | undefined {
    return this.probes.find((p) => p.step === this.chosen) ?? this.probes[this.probes.length - 1];
  }

  select(step: number): void {
    this.chosen = step;
    this.render();
    this.onChange();
  }

  private size(): { width: number; height: number } {
    return { width: Math.max(240, this.chartBody.parentElement!.clientWidth - 8), height: 170 };
  }

  private render(): void {
    if (!this.probes.length) return;
    const cur = this.current()!;
    this.root.dataset.step = String(cur.step);
    const data: uPlot.AlignedData = [this.probes.map((p) => p.step), this.probes.map((p) => p.reward)];
    // Made anew each time (a probe comes every few steps): a plot made from step 0's single point kept
    // that point's degenerate scales through setData.
    this.plot?.destroy();
    this.plot = this.create(data);
    const silent = this.probes.filter((p) => p.reward === null).map((p) => p.step);
    this.silentSteps.textContent = silent.length ? ` · no point at ${silent.length === 1 ? 'step' : 'steps'} ${silent.join(', ')}: every reply empty` : '';
    this.steps.replaceChildren(...this.probes.map((p) => {
      const b = el('button', { class: p.step === cur.step ? 'primary' : 'secondary' }, `step ${p.step}${p.reward === null ? ' (empty)' : ''}`);
      b.dataset.step = String(p.step);
      b.setAttribute('aria-pressed', String(p.step === cur.step));
      b.title = `${rewardText(p.reward)}${p.empty ? ` · ${p.empty} of ${p.replies.length} empty` : ''} · ${tokens(Math.round(p.tokens))} per reply`;
      b.addEventListener('click', () => this.select(p.step));
      return b;
    }));
    this.renderMoved(cur);
    this.renderReplies(cur);
  }

  private renderMoved(cur: ProbeView): void {
    const base = this.probes[0];
    if (cur === base) {
      this.moved.replaceChildren(...emptyNote(base), el('p', { class: 'probe-note' }, `Step ${base.step} is the baseline: pick a later step.`));
      return;
    }
    const head = el('p', { class: 'probe-summary' }, `Step ${cur.step}: ${rewardText(cur.reward)}${change(cur.reward, base.reward)}, `
      + `${tokens(Math.round(cur.tokens))} per reply (${signed(cur.tokens - base.tokens, 0)})`
      + (cur.truncated ? `, ${cur.truncated} of ${cur.replies.length} cut off at ${cur.maxNewTokens}` : ''));
    const list = el('ul', { class: 'moved-list' });
    list.append(...(cur.moved.length ? cur.moved.map((m) => movedItem(m)) : [el('li', {}, 'No trait moved.')]));
    this.moved.replaceChildren(...emptyNote(cur), head, list);
  }

  private renderReplies(cur: ProbeView): void {
    const base = this.probes[0];
    const title = el('h3', {}, `Replies at step ${cur.step}`);
    const items = cur.replies.map((r) => {
      const before = base.replies.find((b) => b.index === r.index);
      const card = el('article', { class: 'reply' });
      card.dataset.index = String(r.index);
      const meta = el('div', { class: 'reply-meta' });
      meta.append(el('span', { class: 'reward' }, r.reward === null ? 'empty: not scored' : `${rewardText(r.reward)}${before && cur !== base ? change(r.reward, before.reward) : ''}`),
        el('span', {}, `${tokens(r.tokens)}${r.truncated ? ' · cut off' : ''}`));
      card.append(el('div', { class: 'reply-prompt' }, r.prompt), el('div', { class: 'reply-text' }, r.text || '(empty reply)'), meta);
      if (before && cur !== base) {
        const was = el('details', { class: 'reply-before' });
        was.append(el('summary', {}, `step ${base.step} said`), el('div', { class: 'reply-text' }, before.text || '(empty reply)'));
        card.append(was);
      }
      return card;
    });
    this.replies.replaceChildren(title, ...items);
  }

  private create(data: uPlot.AlignedData): uPlot {
    const fg = cssVar('--vscode-foreground', '#ccc');
    const grid = cssVar('--vscode-editorWidget-border', 'rgba(128,128,128,0.25)');
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const plot = new uPlot({
      ...this.size(),
      scales: {
        x: { time: false, range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
        y: { range: (_u, min, max) => { const pad = Math.max(0.1, (max - min) * 0.15); return [min - pad, max + pad]; } },
      },
      legend: { show: false },
      cursor: { points: { size: 10 } },
      axes: [
        { ...axis, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000] },
        { ...axis, size: 60, space: 20, values: (_u, ticks) => ticks.map((t) => (t === null ? '' : plainNumber(t))) },
      ],
      series: [
        { label: 'step' },
        { label: 'reward', stroke: cssVar('--vscode-charts-green', '#89d185'), width: 2, points: { show: true, size: 8 } },
      ],
      hooks: { drawSeries: [(u: uPlot) => this.markSelected(u)] },
    }, data, this.chartBody);
    // A click picks the step nearest the cursor.
    plot.over.addEventListener('click', () => {
      const i = plot.cursor.idx;
      if (i !== null && i !== undefined && this.probes[i]) this.select(this.probes[i].step);
    });
    return plot;
  }

  /** A ring around the step whose replies are shown. */
  private markSelected(u: uPlot): void {
    const cur = this.current();
    if (!cur) return;
    const x = u.valToPos(cur.step, 'x', true);
    if (cur.reward === null) return;
    const y = u.valToPos(cur.reward, 'y', true);
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = cssVar('--vscode-focusBorder', '#007fd4');
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    ctx.arc(x, y, 7 * devicePixelRatio, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.restore();
  }
}

function movedItem(m: MovedTraitView): HTMLLIElement {
  const li = el('li');
  li.dataset.trait = m.id;
  li.append(el('span', { class: 'trait' }, m.label), el('span', { class: 'num' }, ` ${plainNumber(m.from)} → ${plainNumber(m.to)}`));
  if (m.rewardDelta !== undefined) li.append(el('span', { class: 'effect' }, ` (reward ${signed(m.rewardDelta)})`));
  return li;
}

function rewardText(r: number | null): string {
  return r === null ? 'no reward (every reply empty)' : `reward ${r.toFixed(2)}`;
}

/** " (+0.40)" from `was` to `now`; nothing when either has no reward. */
function change(now: number | null, was: number | null): string {
  return now === null || was === null ? '' : ` (${signed(now - was)})`;
}

/**
 * Empty replies are not scored (their traits are nobody's style), so the reward line shows only the rest:
 * say how many were left out, above everything, since a model that stops answering is the first thing to know.
 */
function emptyNote(p: ProbeView): HTMLElement[] {
  if (!p.empty) return [];
  return [el('p', { class: 'probe-empty' }, `${p.empty} of ${counted(p.replies.length, 'reply', 'replies')} at step ${p.step} ${p.empty === 1 ? 'is' : 'are'} empty: not scored, so the reward is of the rest.`)];
}

function tokens(n: number): string {
  return counted(n, 'token');
}
