/**
 * The pair labeler's page. It renders the state the host sends and turns keys and clicks into intents;
 * it never edits anything itself (the host writes the document, so VS Code keeps undo and save).
 */
import { registerToolkit } from '../shared/toolkit';
import { isHostMessage, isLabelKey, type ItemView, type LabelKey, type ViewState, type WebviewMessage } from './protocol';
import { el } from '../shared/dom';
import { count, counted } from '../../src/core/counted';

registerToolkit();
const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

let state: ViewState | undefined;

function send(m: WebviewMessage): void {
  vscode.postMessage(m);
}

const press = (key: LabelKey) => send({ type: 'key', key });

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  // Only the host posts here, but the data is still checked before use.
  if (!isHostMessage(e.data)) return;
  state = e.data.state;
  // How much of the file had been read when the first item showed (tests check a big file shows it early).
  if (state.item && !app.dataset.firstItem) {
    app.dataset.firstItem = state.reading ? `${state.reading.lines} of ${state.reading.of} lines` : state.readBeforePage ? 'read before the page was up' : 'after reading every line';
  }
  render();
});

document.addEventListener('keydown', (e) => {
  // The labeler's keys are VS Code keybindings (styletune.labeler.key): VS Code gets every key pressed
  // here and runs them, also the ones pressed while its focus is still on the way in. Handling them here
  // too would apply them twice; only keep the page from scrolling on the arrows.
  if (!e.ctrlKey && !e.metaKey && !e.altKey && isLabelKey(e.key)) e.preventDefault();
});

// ---- whether keys reach the labeler ----------------------------------------------------------------

/**
 * Keys label only while the labeler has focus. Say so, and when focus is elsewhere, say how to bring it
 * back. A tab click passes focus through the webview's outer frame for a moment: only a blur that lasts
 * counts, so the hint does not flicker.
 */
const focusState = el('button', { id: 'focus-state', type: 'button' });
focusState.addEventListener('click', () => app.focus());
let blurTimer: ReturnType<typeof setTimeout> | undefined;

function showFocus(focused: boolean): void {
  // The host pulls focus in when a key reaches the labeler while the page says it is elsewhere.
  if (focusState.dataset.focused !== String(focused)) send({ type: 'focus', focused });
  focusState.dataset.focused = String(focused);
  focusState.textContent = focused ? '⌨ Keys label here' : 'Keys go elsewhere: click here to label with the keyboard';
  focusState.title = focused ? 'Press 1, 2, t, s… (see the keys below)' : 'Focus is outside the labeler, so its keys do nothing';
  document.body.classList.toggle('blurred', !focused);
}

window.addEventListener('focus', () => {
  clearTimeout(blurTimer);
  showFocus(true);
});
window.addEventListener('blur', () => {
  clearTimeout(blurTimer);
  blurTimer = setTimeout(() => showFocus(document.hasFocus()), 300);
});
showFocus(true);
if (!document.hasFocus()) blurTimer = setTimeout(() => showFocus(document.hasFocus()), 300);

function button(label: string, key: LabelKey, appearance = 'secondary'): HTMLElement {
  // A toolkit element: not in the DOM's tag map, so made by hand.
  const b = document.createElement('vscode-button');
  b.setAttribute('appearance', appearance);
  b.setAttribute('title', `${label} (${key})`);
  b.append(`${label} `, el('span', { class: 'key' }, key));
  b.addEventListener('click', () => press(key));
  return b;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x))}`;

function render(): void {
  const s = state;
  if (!s) return;
  const p = s.progress;
  const done = p.labeled + p.skipped;
  // Set through the CSSOM: the CSP refuses inline style attributes.
  const fill = el('div', { class: 'bar-fill' });
  fill.style.width = `${p.total ? (100 * done) / p.total : 0}%`;
  const reading = s.reading;
  // While a big file is read, the counts are of the part read so far: say so rather than show a total.
  const progress = reading
    ? el('div', { class: 'progress' }, el('span', { id: 'progress', class: 'muted' }, `reading ${count(reading.lines)} of ${count(reading.of)} lines…`), el('div', { class: 'bar-wrap loading', role: 'progressbar', 'aria-label': 'Reading the file' }, fill))
    : el(
        'div',
        { class: 'progress' },
        el('span', { id: 'progress' }, `${p.labeled} labeled${p.skipped ? ` · ${p.skipped} skipped` : ''} / ${p.total}`),
        el('div', { class: 'bar-wrap', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(p.total), 'aria-valuenow': String(done) }, fill),
      );
  if (reading) fill.style.width = `${reading.of ? (100 * reading.lines) / reading.of : 0}%`;
  const position = s.item ? (reading ? `Item ${s.item.position}` : `Item ${s.item.position} of ${p.total}`) : reading ? 'Reading…' : `${p.total} items`;
  const header = el(
    'header',
    {},
    el('h1', {}, s.file),
    el('span', { id: 'position' }, position),
    progress,
    p.invalid && !reading ? el('span', { class: 'muted' }, `${counted(p.invalid, 'line')} not labelable`) : '',
    focusState,
  );
  const body: Node[] = [header];
  if (s.item) body.push(...renderItem(s.item, s.ranking));
  else if (!reading) body.push(el('section', {}, el('p', {}, 'No items to label. A line needs `responses: [a, b, …]` or `chosen`/`rejected`.')));
  body.push(keysHelp(s.item));
  app.replaceChildren(...body);
  app.setAttribute('aria-busy', String(!!reading && !s.item));
}

function renderItem(item: ItemView, ranking: number[]): Node[] {
  const out: Node[] = [];
  const n = item.candidates.length;
  out.push(
    el(
      'section',
      { 'aria-label': 'Conversation so far' },
      el('h2', {}, 'Conversation so far'),
      ...(item.prompt.length ? item.prompt.map((m) => el('div', { class: 'turn' }, el('span', { class: 'role' }, m.role), m.content)) : [el('p', { class: 'muted' }, 'No prompt on this line.')]),
    ),
  );

  const label = item.label;
  const rankOf = (c: number) => (label?.ranking ? label.ranking.indexOf(c) + 1 : 0);
  const cards = item.candidates.map((text, i) => {
    const c = i + 1;
    let cls = 'card';
    let tag = '';
    if (label?.choice === String(c)) [cls, tag] = ['card chosen', 'chosen'];
    else if ((label?.choice === '1' || label?.choice === '2') && n === 2) [cls, tag] = ['card rejected', 'rejected'];
    else if (label?.choice === 'rank') [cls, tag] = [rankOf(c) === 1 ? 'card chosen' : 'card', `rank ${rankOf(c)}`];
    else if (ranking.includes(c)) tag = `rank ${ranking.indexOf(c) + 1}`;
    const score = item.hint ? el('span', { class: 'score', title: 'Reward model score' }, `reward ${fmt(item.hint.scores[i])}`) : '';
    return el(
      'article',
      { class: cls, 'aria-label': `Candidate ${c}`, 'data-candidate': String(c) },
      el('div', { class: 'card-head' }, el('span', { class: 'key' }, String(c)), el('strong', {}, `Candidate ${c}`), tag ? el('span', { class: 'tag' }, tag) : '', score),
      el('div', { class: 'response' }, text),
    );
  });
  out.push(el('section', { 'aria-label': 'Candidates' }, el('h2', {}, n === 2 ? 'Which reply is more human?' : 'Rank the replies, most human first'), el('div', { class: 'candidates' }, ...cards)));

  const status: Node[] = [];
  if (label) {
    const what = label.choice === 'rank' ? `ranked ${label.ranking?.join(' > ')}` : label.choice === 'tie' ? 'a tie' : label.choice === 'skip' ? 'skipped' : `candidate ${label.choice} chosen`;
    status.push(el('div', { class: 'status', id: 'label-status' }, `Labeled: ${what}${label.annotator ? ` by ${label.annotator}` : ''}${label.time ? `, ${new Date(label.time).toLocaleString()}` : ''}. Press a key to relabel.`));
  }
  if (ranking.length) status.push(el('div', { class: 'status' }, `Ranking so far: ${ranking.join(' > ')} … (Esc clears)`));
  const hint = item.hint
    ? el('div', { class: 'hint', id: 'hint' }, `Hint: the reward model prefers candidate ${item.hint.preferred}`, el('span', { class: 'muted' }, ` · ${item.hint.model}`))
    : el('div', { class: 'hint muted', id: 'hint' }, item.hintError ? `No reward hint: ${item.hintError}` : 'Scoring with the reward model…');
  const actions =
    n === 2
      ? [button('Candidate 1', '1', 'primary'), button('Candidate 2', '2', 'primary')]
      : item.candidates.slice(0, 9).map((_, i) => button(`${i + 1}`, String(i + 1) as LabelKey, 'primary'));
  out.push(
    el(
      'section',
      { class: 'actions' },
      ...actions,
      button('Tie', 't'),
      button('Skip', 's'),
      button('Undo', 'u'),
    ),
    ...status.map((s) => el('section', {}, s)),
    el('section', {}, hint),
  );
  if (item.traits.length) out.push(traitTable(item));
  return out;
}

function traitTable(item: ItemView): Node {
  const n = item.candidates.length;
  const withContrib = item.traits.some((t) => t.contributions);
  const head = el('tr', {}, el('th', {}, 'Trait'), ...item.candidates.map((_, i) => el('th', {}, `${i + 1}`)), withContrib ? el('th', {}, n === 2 ? 'Reward Δ (2 − 1)' : 'Reward spread') : '');
  const rows = item.traits.map((t) => {
    let delta: Node | string = '';
    if (withContrib) {
      if (!t.contributions) delta = el('td', { class: 'muted' }, 'not in model');
      else {
        const d = n === 2 ? t.contributions[1] - t.contributions[0] : Math.max(...t.contributions) - Math.min(...t.contributions);
        delta = el('td', { class: d > 0 ? 'pos' : d < 0 ? 'neg' : '' }, signed(d));
      }
    }
    return el('tr', { title: t.description }, el('td', {}, t.label), ...t.values.map((v, i) => el('td', { title: t.contributions ? `adds ${signed(t.contributions[i])} to candidate ${i + 1}'s reward` : '' }, fmt(v))), delta);
  });
  return el('section', { 'aria-label': 'Trait differences' }, el('h2', {}, 'Traits that differ most'), el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
}

function keysHelp(item: ItemView | undefined): Node {
  const k = (key: string) => el('span', { class: 'key' }, key);
  const choose = item && item.candidates.length > 2 ? ['press ', k('1'), '…', k(String(item.candidates.length)), ' in order of preference'] : [k('1'), ' / ', k('2'), ' choose'];
  return el('p', { class: 'keys muted' }, ...choose, ' · ', k('t'), ' tie · ', k('s'), ' skip · ', k('u'), ' undo · ', k('←'), k('→'), ' or ', k('k'), k('j'), ' navigate · ', k('n'), ' next unlabeled');
}

app.focus();
send({ type: 'ready' });
