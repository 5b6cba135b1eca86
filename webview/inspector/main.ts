/**
 * The dataset inspector's front end (bundled to dist/webview/inspector.js). It owns the query and the
 * columns shown, keeps them in the webview state (restored after a reload), and draws what the
 * extension host sends: rows by window, histograms, and the selected line's detail.
 */
import { registerToolkit } from '../shared/toolkit';
import { renderCharts } from './charts';
import { renderDetail } from './detail';
import { custom, h } from './dom';
import { isHostMessage, isViewState, type FileKind, type HostMessage, type Query, type TraitInfo, type ViewMessage, type ViewState } from './protocol';
import { baseColumns, VirtualTable, type Column } from './table';
import { count, counted } from '../../src/core/counted';

registerToolkit();
const vscode = acquireVsCodeApi();
const send = (m: ViewMessage) => vscode.postMessage(m);

let uri = '';
let kind: FileKind = 'empty';
let traits: TraitInfo[] = [];
let shown: string[] = [];
let query: Query = { sort: 'line', desc: false, search: '' };
let selected: number | undefined;
let stats: Extract<HostMessage, { type: 'stats' }> | undefined;
let started = false;
let lastProgress: Extract<HostMessage, { type: 'progress' }> | undefined;
/** Rows that pass the current search and filter (the host's latest order). */
let shownRows = 0;
/**
 * Queries are numbered (`seq`) and each view says which one it answers: typing "7.5" sends "7" first, and
 * the view of "7" can arrive after "7.5" was sent. Until the view of the last one sent is in, the table
 * is busy, and the status counts for the query the rows shown answer, not for the one typed since.
 */
let sentSeq = 0;
/** Queries sent and not yet answered, by number; 0 is the host's own (from init), before the page's first. */
const sentQueries = new Map<number, Query>();
/** The query the rows shown answer. */
let viewQuery: Query = query;
let answeredSeq = 0;
/** The search and the min/max bounds apply 200 ms after the last key: pending, the rows are about to change. */
let searchTimer: ReturnType<typeof setTimeout> | undefined;
let filterTimer: ReturnType<typeof setTimeout> | undefined;

const table = new VirtualTable({
  requestRows: (version, start, end) => send({ type: 'getRows', version, start, end }),
  onSort: (key) => {
    // A new column sorts high values first (the usual question: which lines score most on this?).
    query = { ...query, sort: key, desc: query.sort === key ? !query.desc : key !== 'line' };
    applyQuery();
  },
  onSelect: (line) => select(line),
  onReveal: (line) => send({ type: 'reveal', line }),
});

// ---- layout ---------------------------------------------------------------------------------------

const fileLabel = h('span', { class: 'file' });
const statusLabel = h('span', { class: 'status', attrs: { role: 'status', 'aria-live': 'polite' } });
const progressFill = h('div', { class: 'fill' });
const progress = h('div', { class: 'progress', attrs: { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-label': 'Scoring' } }, [progressFill]);
const search = custom('vscode-text-field', { placeholder: 'Search the text', 'aria-label': 'Search', id: 'search' }) as HTMLElement & { value: string };
const sortSelect = h('select', { attrs: { id: 'sort', 'aria-label': 'Sort by' } });
const dirButton = custom('vscode-button', { appearance: 'secondary', id: 'direction', 'aria-label': 'Sort direction' });
const filterKey = h('select', { attrs: { id: 'filter-key', 'aria-label': 'Filter on' } });
const filterMin = h('input', { attrs: { type: 'number', step: 'any', placeholder: 'min', 'aria-label': 'Filter minimum', id: 'filter-min' } });
const filterMax = h('input', { attrs: { type: 'number', step: 'any', placeholder: 'max', 'aria-label': 'Filter maximum', id: 'filter-max' } });
const chooserList = h('div', { class: 'chooser-list' });
const chooser = h('details', { class: 'chooser' }, [h('summary', { text: 'Trait columns' }), chooserList]);
const charts = h('section', { class: 'charts', attrs: { 'aria-label': 'Histograms of the whole file' } });
const detail = h('section', { class: 'detail', attrs: { 'aria-label': 'Selected line', tabindex: '-1' } }, [h('p', { class: 'hint', text: 'Select a row to see its conversation with each trait’s evidence highlighted.' })]);
const errorBox = h('div', { class: 'error', attrs: { role: 'alert' } });
/** What to know before reading the table: most lines lack the scored role (with a button per speaker), or the file is out of the reward model's domain; empty otherwise. */
const noticeBox = h('div', { class: 'notice', attrs: { role: 'status' } });
const tooltip = h('div', { class: 'tooltip', attrs: { role: 'tooltip' } });

const app = document.getElementById('app')!;
app.removeAttribute('aria-busy');
app.replaceChildren(
  h('header', { class: 'topbar' }, [fileLabel, progress, statusLabel]),
  h('div', { class: 'controls' }, [
    search,
    h('label', {}, ['Sort ', sortSelect]),
    dirButton,
    h('label', {}, ['Filter ', filterKey]),
    filterMin,
    h('span', { text: '–' }),
    filterMax,
    chooser,
  ]),
  errorBox,
  noticeBox,
  h('main', { class: 'split' }, [h('div', { class: 'left' }, [table.root, charts]), detail]),
  tooltip,
);

// ---- state ----------------------------------------------------------------------------------------

function saveState(): void {
  const state: ViewState = { uri, query, shown, selected };
  vscode.setState(state);
}

function keys(): { key: string; label: string }[] {
  return [...baseColumns(kind).map((c) => ({ key: c.key, label: c.label })), ...traits.map((t) => ({ key: `trait:${t.id}`, label: t.label }))];
}

function columns(): Column[] {
  const byId = new Map(traits.map((t, index) => [t.id, { index, info: t }]));
  const traitColumns = shown.flatMap((id) => {
    const t = byId.get(id);
    return t ? [{ key: `trait:${id}`, label: t.info.label, title: `${t.info.label} (weight ${t.info.weight.toFixed(2)}): ${t.info.description}`, trait: t }] : [];
  });
  return [...baseColumns(kind), ...traitColumns];
}

function syncControls(): void {
  const options = keys();
  const fill = (sel: HTMLSelectElement, value: string) => {
    sel.replaceChildren(...options.map((o) => h('option', { text: o.label, attrs: { value: o.key } })));
    sel.value = value;
  };
  fill(sortSelect, query.sort);
  fill(filterKey, query.filter?.key ?? 'score');
  dirButton.textContent = query.desc ? '▼ High first' : '▲ Low first';
  if (search.value !== query.search) search.value = query.search;
  // Never rewrite a bound while it is being typed ("1." reads as no number yet).
  if (document.activeElement !== filterMin) filterMin.value = query.filter?.min === undefined ? '' : String(query.filter.min);
  if (document.activeElement !== filterMax) filterMax.value = query.filter?.max === undefined ? '' : String(query.filter.max);
  const byWeight = [...traits].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  chooserList.replaceChildren(
    ...byWeight.map((t) => {
      const box = h('input', { attrs: { type: 'checkbox', 'data-trait': t.id } });
      box.checked = shown.includes(t.id);
      box.addEventListener('change', () => {
        shown = box.checked ? [...shown, t.id] : shown.filter((id) => id !== t.id);
        redrawColumns();
        saveState();
      });
      return h('label', { attrs: { title: t.description } }, [box, ` ${t.label} `, h('span', { class: 'weight', text: t.weight.toFixed(2) })]);
    }),
  );
}

function redrawColumns(): void {
  table.setColumns(columns(), { key: query.sort, desc: query.desc });
  drawCharts();
}

function drawCharts(): void {
  if (!stats) return;
  const byId = new Map(traits.map((t) => [t.id, t]));
  charts.replaceChildren(
    ...renderCharts(stats, shown.flatMap((id) => byId.get(id) ?? []), kind, () => {
      query = { ...query, filter: { key: 'score', max: 0 } };
      applyQuery();
    }),
  );
}

function applyQuery(): void {
  table.setColumns(columns(), { key: query.sort, desc: query.desc });
  syncControls();
  saveState();
  sendQuery();
}

function sendQuery(): void {
  sentSeq++;
  sentQueries.set(sentSeq, query);
  send({ type: 'query', query, seq: sentSeq });
  syncBusy();
}

/** Busy while typed input waits for its debounce or the last query sent has no view yet. */
function syncBusy(): void {
  table.setAwaiting(searchTimer !== undefined || filterTimer !== undefined || answeredSeq !== sentSeq);
}

function select(line: number): void {
  selected = line;
  table.setSelected(line);
  saveState();
  send({ type: 'select', line });
}

const NOUNS: Record<FileKind, string> = { pair: 'pairs', contrastive: 'conversation pairs', dialogue: 'dialogues', candidates: 'candidate sets', mixed: 'lines', empty: 'lines' };

/** "4,948 pairs", or "12 of 4,948 pairs" while a search or filter narrows them. */
function renderStatus(): void {
  const m = lastProgress;
  if (!m) return;
  const noun = NOUNS[kind];
  const narrowed = viewQuery.search.trim() !== '' || viewQuery.filter?.min !== undefined || viewQuery.filter?.max !== undefined;
  const problems = m.problems ? ` · ${counted(m.problems, 'line')} with problems (see Problems)` : '';
  // Every line a problem (most often: no turns by the scored role, which the notice explains): not "0 lines".
  const rows = m.rows === 0 && m.problems > 0 ? 'nothing scored' : narrowed ? `${count(shownRows)} of ${count(m.rows)} ${noun}` : `${count(m.rows)} ${noun}`;
  statusLabel.textContent = m.finished ? `${rows}${problems}` : `Scoring… ${count(m.done)} of ${count(m.total)} lines${narrowed ? ` · ${rows} so far` : ''}${problems}`;
}

// ---- controls -------------------------------------------------------------------------------------

search.addEventListener('input', () => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    searchTimer = undefined;
    query = { ...query, search: search.value ?? '' };
    applyQuery();
  }, 200);
  syncBusy();
});
sortSelect.addEventListener('change', () => {
  query = { ...query, sort: sortSelect.value, desc: sortSelect.value !== 'line' };
  applyQuery();
});
dirButton.addEventListener('click', () => {
  query = { ...query, desc: !query.desc };
  applyQuery();
});
// The range applies as you type, like the search. A half-typed number ("-", "1e") is not a bound yet:
// the last complete one stays until it is.
const onFilter = (delayMs: number) => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    filterTimer = undefined;
    const num = (s: string) => (s.trim() === '' || !Number.isFinite(Number(s)) ? undefined : Number(s));
    const min = num(filterMin.value);
    const max = num(filterMax.value);
    const filter = min === undefined && max === undefined ? undefined : { key: filterKey.value, min, max };
    if (filterMin.validity.badInput || filterMax.validity.badInput || JSON.stringify(filter) === JSON.stringify(query.filter)) {
      syncBusy();
      return;
    }
    query = { ...query, filter };
    applyQuery();
  }, delayMs);
  syncBusy();
};
filterKey.addEventListener('change', () => onFilter(0));
for (const input of [filterMin, filterMax]) {
  input.addEventListener('input', () => onFilter(200));
  input.addEventListener('change', () => onFilter(0));
}

// Highlights explain themselves on hover and on keyboard focus alike.
const showTip = (e: Event) => {
  const mark = (e.target as HTMLElement).closest?.('mark.hl, .whole-trait') as HTMLElement | null;
  if (!mark) return;
  tooltip.textContent = mark.dataset.tip ?? '';
  const r = mark.getBoundingClientRect();
  tooltip.classList.add('visible');
  // Above the highlight when there is room, so the tip does not hide the line being read.
  const above = r.top - tooltip.offsetHeight - 4;
  tooltip.style.left = `${Math.max(4, Math.min(r.left, window.innerWidth - tooltip.offsetWidth - 4))}px`;
  tooltip.style.top = `${above >= 0 ? above : r.bottom + 4}px`;
};
const hideTip = (e: Event) => {
  if ((e.target as HTMLElement).closest?.('mark.hl, .whole-trait')) tooltip.classList.remove('visible');
};
detail.addEventListener('mouseover', showTip);
detail.addEventListener('focusin', showTip);
detail.addEventListener('mouseout', hideTip);
detail.addEventListener('focusout', hideTip);

// ---- messages -------------------------------------------------------------------------------------

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const m = event.data;
  if (!isHostMessage(m)) {
    console.warn('StyleTune inspector: ignored an invalid message', m);
    return;
  }
  switch (m.type) {
    case 'init': {
      const saved = vscode.getState();
      const mine = isViewState(saved) && saved.uri === m.uri ? saved : undefined;
      const firstInit = !started;
      started = true;
      uri = m.uri;
      kind = m.kind;
      traits = m.traits;
      fileLabel.textContent = m.file;
      shown = mine?.shown ?? m.shown;
      // What the host orders by until it has the page's first query.
      sentQueries.set(0, m.query);
      query = mine?.query ?? m.query;
      selected = mine?.selected ?? m.selected;
      errorBox.textContent = '';
      table.setColumns(columns(), { key: query.sort, desc: query.desc });
      syncControls();
      saveState();
      // The host's query may be older than ours (a hidden panel comes back): tell it what we show.
      if (firstInit) {
        sendQuery();
        if (selected !== undefined) select(selected);
      }
      break;
    }
    case 'progress': {
      const pct = m.total > 0 ? Math.round((100 * m.done) / m.total) : 100;
      progressFill.style.width = `${pct}%`;
      progress.setAttribute('aria-valuenow', String(pct));
      progress.classList.toggle('done', m.finished);
      lastProgress = m;
      renderStatus();
      break;
    }
    case 'view': {
      // A later view of the same query (rows still arriving from the scoring) answers it as well.
      const answers = sentQueries.get(m.seq);
      if (answers) viewQuery = answers;
      for (const seq of sentQueries.keys()) if (seq < m.seq) sentQueries.delete(seq);
      answeredSeq = m.seq;
      syncBusy();
      table.setView(m.version, m.total);
      shownRows = m.total;
      renderStatus();
      break;
    }
    case 'rows':
      table.addRows(m.version, m.start, m.rows);
      break;
    case 'stats':
      stats = m;
      table.setScales(m.traits);
      drawCharts();
      break;
    case 'detail': {
      if (m.line !== selected) break;
      const byId = new Map(traits.map((t) => [t.id, t]));
      detail.replaceChildren(renderDetail(m, byId));
      break;
    }
    case 'error':
      errorBox.textContent = m.message;
      break;
    case 'notice':
      noticeBox.replaceChildren(m.message, ...(m.speakers ?? []).map((role) => {
        const b = custom('vscode-button', { appearance: 'secondary', class: 'role-choice' });
        b.textContent = `Score ${role}`;
        b.dataset.role = role;
        b.addEventListener('click', () => send({ type: 'chooseRole', role }));
        return b;
      }));
      break;
  }
});

send({ type: 'ready' });
table.focus();
