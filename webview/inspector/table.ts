/**
 * The virtualized table: only the rows in view (plus a few) exist in the DOM, positioned inside a spacer
 * as tall as all rows together. Rows come from the extension host by window (`getRows`), cached by
 * position for the current order `version`.
 */
import { fmt, h, signed } from './dom';
import type { FileKind, HistogramData, RowData, TraitInfo } from './protocol';
import { counted } from '../../src/core/counted';

export const ROW_HEIGHT = 26;
/** Narrow enough for ten trait columns beside the numbers in a half-width editor, wide enough for a bar. */
const TRAIT_MIN = 28;
const OVERSCAN = 20;

export interface Column {
  key: string;
  label: string;
  title: string;
  /** A trait column draws a bar; the others show a number. */
  trait?: { index: number; info: TraitInfo };
}

export interface TableHost {
  requestRows(version: number, start: number, end: number): void;
  onSort(key: string): void;
  onSelect(line: number): void;
  onReveal(line: number): void;
}

export class VirtualTable {
  /** The table and, over its corner, how many trait columns are out of view to the right. */
  readonly root: HTMLElement;
  /** role=grid: scrolls sideways when the columns need more room than the panel has. */
  private readonly grid: HTMLElement;
  private readonly more: HTMLButtonElement;
  private readonly head: HTMLElement;
  private readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private columns: Column[] = [];
  private cache = new Map<number, RowData>();
  private requested = new Set<number>();
  private version = 0;
  private total = 0;
  /** Position of the keyboard cursor in the current order. */
  private cursor = 0;
  private selectedLine: number | undefined;
  private sort = { key: 'line', desc: false };
  private scales: Record<string, HistogramData> = {};
  private frame = 0;
  /** The order asked for has not come back yet (setAwaiting): what shows is an older one. */
  private awaitingView = false;

  constructor(private readonly host: TableHost) {
    this.head = h('div', { class: 'thead', attrs: { role: 'row' } });
    this.spacer = h('div', { class: 'spacer', attrs: { role: 'rowgroup' } });
    this.viewport = h('div', { class: 'viewport', attrs: { tabindex: '0', 'aria-label': 'Rows; arrow keys move, Enter shows the conversation' } }, [this.spacer]);
    this.grid = h('div', { class: 'table', attrs: { role: 'grid', 'aria-rowcount': '0' } }, [this.head, this.viewport]);
    this.more = h('button', { class: 'more-cols', attrs: { type: 'button', hidden: '' } });
    this.more.addEventListener('click', () => this.grid.scrollBy({ left: Math.max(this.grid.clientWidth - 160, 80) }));
    this.root = h('div', { class: 'table-wrap' }, [this.grid, this.more]);
    this.viewport.addEventListener('scroll', () => this.schedule());
    this.viewport.addEventListener('keydown', (e) => this.onKey(e));
    this.grid.addEventListener('scroll', () => this.countHidden());
    new ResizeObserver(() => {
      this.schedule();
      this.countHidden();
    }).observe(this.grid);
  }

  setColumns(columns: Column[], sort: { key: string; desc: boolean }): void {
    this.columns = columns;
    this.sort = sort;
    // Every column keeps a minimum width; a panel narrower than their sum scrolls sideways (countHidden).
    const widths = columns.map((c) => (c.trait ? TRAIT_MIN : c.key === 'line' ? 64 : 68));
    this.grid.style.setProperty('--cols', columns.map((c, i) => (c.trait ? `minmax(${TRAIT_MIN}px, 1fr)` : `${widths[i]}px`)).join(' '));
    this.grid.style.setProperty('--min-width', `${widths.reduce((a, b) => a + b, 0)}px`);
    this.head.replaceChildren(
      ...columns.map((c) => {
        const active = c.key === sort.key;
        const b = h('button', {
          class: `th${c.trait ? ' trait' : ''}${active ? ' sorted' : ''}`,
          text: `${c.label}${active ? (sort.desc ? ' ▼' : ' ▲') : ''}`,
          attrs: {
            role: 'columnheader',
            'data-key': c.key,
            title: c.title,
            'aria-sort': active ? (sort.desc ? 'descending' : 'ascending') : 'none',
          },
        });
        b.addEventListener('click', () => this.host.onSort(c.key));
        return b;
      }),
    );
    this.render();
    requestAnimationFrame(() => this.countHidden());
  }

  setScales(scales: Record<string, HistogramData>): void {
    this.scales = scales;
    this.render();
  }

  /**
   * Whether the order shown is still not the one asked for: a query is on its way, or a view of an older
   * query came first, or typed input waits for its debounce. The page knows which; the table shows it.
   */
  setAwaiting(awaiting: boolean): void {
    this.awaitingView = awaiting;
    this.syncBusy();
  }

  /** Busy until the order asked for is in and every row in view belongs to it (tests and screen readers wait on it). */
  private syncBusy(): void {
    this.grid.setAttribute('aria-busy', String(this.awaitingView || [...this.spacer.children].some((c) => !(c as HTMLElement).dataset.line)));
  }

  /** A new order: everything cached belongs to the old one. */
  setView(version: number, total: number): void {
    this.version = version;
    this.total = total;
    this.cache.clear();
    this.requested.clear();
    this.cursor = Math.min(this.cursor, Math.max(total - 1, 0));
    this.spacer.style.height = `${total * ROW_HEIGHT}px`;
    this.grid.setAttribute('aria-rowcount', String(total));
    this.render();
  }

  addRows(version: number, start: number, rows: RowData[]): void {
    if (version !== this.version) return;
    rows.forEach((r, i) => this.cache.set(start + i, r));
    this.render();
  }

  setSelected(line: number | undefined): void {
    this.selectedLine = line;
    this.render();
  }

  focus(): void {
    this.viewport.focus();
  }

  /** Says how many trait columns lie beyond the right edge, as a button that scrolls to them. */
  private countHidden(): void {
    const right = this.grid.scrollLeft + this.grid.clientWidth;
    const hidden = [...this.head.querySelectorAll<HTMLElement>('.th.trait')].filter((th) => th.offsetLeft + th.offsetWidth / 2 > right).length;
    this.more.hidden = hidden === 0;
    this.more.textContent = `${counted(hidden, 'more column')} →`;
    this.more.title = 'Trait columns out of view: click (or scroll sideways) to see them';
    this.more.dataset.hidden = String(hidden);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private range(): [number, number] {
    const height = this.viewport.clientHeight || 600;
    const first = Math.floor(this.viewport.scrollTop / ROW_HEIGHT);
    return [Math.max(0, first - OVERSCAN), Math.min(this.total, first + Math.ceil(height / ROW_HEIGHT) + OVERSCAN)];
  }

  private render(): void {
    const [start, end] = this.range();
    let missingFrom = -1;
    let missingTo = -1;
    const children: HTMLElement[] = [];
    for (let p = start; p < end; p++) {
      const row = this.cache.get(p);
      if (!row) {
        if (!this.requested.has(p)) {
          if (missingFrom < 0) missingFrom = p;
          missingTo = p + 1;
        }
        children.push(this.placeholder(p));
      } else children.push(this.rowElement(p, row));
    }
    this.spacer.replaceChildren(...children);
    this.syncBusy();
    if (missingFrom >= 0) {
      for (let p = missingFrom; p < missingTo; p++) this.requested.add(p);
      this.host.requestRows(this.version, missingFrom, missingTo);
    }
  }

  private placeholder(p: number): HTMLElement {
    const el = h('div', { class: 'row loading', text: '…', attrs: { role: 'row', 'aria-rowindex': String(p + 1) } });
    el.style.top = `${p * ROW_HEIGHT}px`;
    return el;
  }

  private rowElement(p: number, row: RowData): HTMLElement {
    const cls = ['row'];
    if (row.line === this.selectedLine) cls.push('selected');
    if (p === this.cursor) cls.push('cursor');
    const el = h('div', {
      class: cls.join(' '),
      attrs: { role: 'row', 'aria-rowindex': String(p + 1), 'data-line': String(row.line), 'aria-selected': String(row.line === this.selectedLine) },
    });
    el.style.top = `${p * ROW_HEIGHT}px`;
    for (const c of this.columns) el.append(this.cell(c, row));
    el.addEventListener('click', () => {
      this.cursor = p;
      this.host.onSelect(row.line);
      this.viewport.focus();
    });
    el.addEventListener('dblclick', () => this.host.onReveal(row.line));
    return el;
  }

  private cell(c: Column, row: RowData): HTMLElement {
    if (!c.trait) {
      const v = c.key === 'line' ? row.line : c.key === 'a' ? row.a : c.key === 'b' ? row.b : row.score;
      const text = c.key === 'line' ? String(v) : fmt(v);
      const cell = h('div', { class: `td num${c.key === 'score' && (v ?? 0) < 0 ? ' negative' : ''}`, text, attrs: { role: 'gridcell', 'data-key': c.key, 'data-value': String(v) } });
      // A candidate set's best and worst say which candidate they are.
      const which = row.candidates && (c.key === 'a' ? row.candidates.best : c.key === 'b' ? row.candidates.worst : undefined);
      if (which) {
        cell.append(h('span', { class: 'which', text: ` #${which}` }));
        cell.title = `candidate ${which} of ${row.candidates!.n}`;
      }
      return cell;
    }
    const j = c.trait.index;
    const value = row.values[j];
    const contribution = row.contributions[j];
    const diff = row.kind !== 'dialogue';
    const scale = this.scales[c.trait.info.id];
    const bar = h('div', { class: `bar ${contribution >= 0 ? 'up' : 'down'}` });
    // Dialogues: from the column's minimum; pairs: a difference, drawn both ways from the middle.
    if (diff) {
      const m = Math.max(Math.abs(scale?.min ?? 0), Math.abs(scale?.max ?? 0), Math.abs(value), 1e-9);
      const w = (50 * Math.abs(value)) / m;
      bar.style.left = `${value >= 0 ? 50 : 50 - w}%`;
      bar.style.width = `${w}%`;
    } else {
      const lo = Math.min(scale?.min ?? 0, value);
      const hi = Math.max(scale?.max ?? value, value);
      bar.style.left = '0';
      bar.style.width = `${hi > lo ? (100 * (value - lo)) / (hi - lo) : 0}%`;
    }
    const title = `${c.trait.info.label}: ${diff ? 'difference ' : ''}${fmt(value, 3)} · ${signed(contribution)} to the ${row.kind === 'candidates' ? 'spread' : diff ? 'margin' : 'score'}`;
    return h('div', { class: 'td trait', attrs: { role: 'gridcell', 'data-key': c.key, 'data-value': String(value), title, 'aria-label': title } }, [
      h('div', { class: `track${diff ? ' centered' : ''}` }, [bar]),
    ]);
  }

  private onKey(e: KeyboardEvent): void {
    const page = Math.max(1, Math.floor(this.viewport.clientHeight / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page, Home: -Infinity, End: Infinity, j: 1, k: -1 };
    if (e.key in moves) {
      e.preventDefault();
      this.cursor = Math.max(0, Math.min(this.total - 1, this.cursor + moves[e.key]));
      this.ensureVisible(this.cursor);
      const row = this.cache.get(this.cursor);
      if (row) this.host.onSelect(row.line);
      this.render();
    } else if (e.key === 'Enter') {
      const row = this.cache.get(this.cursor);
      if (row) (e.altKey ? this.host.onReveal : this.host.onSelect)(row.line);
    }
  }

  private ensureVisible(p: number): void {
    const top = p * ROW_HEIGHT;
    const vp = this.viewport;
    if (top < vp.scrollTop) vp.scrollTop = top;
    else if (top + ROW_HEIGHT > vp.scrollTop + vp.clientHeight) vp.scrollTop = top + ROW_HEIGHT - vp.clientHeight;
  }
}

export function baseColumns(kind: FileKind): Column[] {
  const line: Column = { key: 'line', label: 'Line', title: 'Line in the file' };
  switch (kind) {
    case 'pair':
      return [
        line,
        { key: 'score', label: 'Margin', title: 'Reward of chosen − rejected' },
        { key: 'a', label: 'Chosen', title: 'Reward of the chosen response' },
        { key: 'b', label: 'Rejected', title: 'Reward of the rejected response' },
      ];
    case 'contrastive':
      return [
        line,
        { key: 'score', label: 'Margin', title: 'Reward of human − ai' },
        { key: 'a', label: 'Human', title: 'Reward of the human side' },
        { key: 'b', label: 'AI', title: 'Reward of the AI side' },
      ];
    case 'candidates':
      return [
        line,
        { key: 'score', label: 'Spread', title: 'Reward of the best candidate − the worst: how decisive the reward is' },
        { key: 'a', label: 'Best', title: 'Reward of the best candidate (#: which one)' },
        { key: 'b', label: 'Worst', title: 'Reward of the worst candidate (#: which one)' },
      ];
    case 'mixed':
      // Decided pairs beside candidate sets (a pairs file being labeled): both read as first − second.
      return [
        line,
        { key: 'score', label: 'Margin', title: 'Pairs: reward of chosen − rejected. Candidate sets: best − worst (the spread)' },
        { key: 'a', label: 'First', title: 'Pairs: the chosen reply. Candidate sets: the best (#: which one)' },
        { key: 'b', label: 'Second', title: 'Pairs: the rejected reply. Candidate sets: the worst (#: which one)' },
      ];
    default:
      return [line, { key: 'score', label: 'Score', title: 'Reward (logit): higher is more human-like' }];
  }
}
