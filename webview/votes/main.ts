/**
 * The blind vote page and the vote report page (one bundle, the host says which to draw).
 *
 * Voting is keyboard-first: A or ← picks the left reply, B or → the right one, then 1 (likely) or
 * 2 (certainly) records the vote with that confidence, Enter without one; Shift with the pick records
 * "certainly" at once; T is a tie; U takes the last vote back. The host writes every vote.
 */
import { registerToolkit } from '../shared/toolkit';
import { isHostMessage, type Confidence, type ReportView, type RevealRow, type Side, type VoteState, type WebviewMessage } from './protocol';
import { percent as pct } from '../../src/core/percent';
import { el } from '../shared/dom';
import { counted } from '../../src/core/counted';

registerToolkit();
const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;

let vote: VoteState | undefined;
let report: ReportView | undefined;
let error: string | undefined;
/** The side picked on this comparison, waiting for its confidence. */
let picked: 'A' | 'B' | undefined;
/** The comparison a vote was sent for, until the host moves on: a second key press must not vote again. */
let sentFor: string | undefined;

function send(m: WebviewMessage): void {
  vscode.postMessage(m);
}

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  // Only the host posts here, but the data is still checked before use.
  if (!isHostMessage(e.data)) return;
  const m = e.data;
  if (m.type === 'restore') return vscode.setState(m.state);
  if (m.type === 'error') {
    error = m.message;
    // The vote was not recorded: let the same comparison be voted again.
    sentFor = undefined;
  }
  else if (m.type === 'report') {
    report = m.report;
    error = undefined;
  } else {
    if (vote?.task?.key !== m.state.task?.key) picked = undefined;
    vote = m.state;
    sentFor = undefined;
    error = undefined;
  }
  render();
});

function cast(side: Side, confidence: Confidence): void {
  const task = vote?.task;
  if (!task || sentFor === task.key) return;
  sentFor = task.key;
  send({ type: 'vote', key: task.key, side, confidence });
}

function pick(side: 'A' | 'B'): void {
  if (!vote?.task) return;
  picked = side;
  render();
}

document.addEventListener('keydown', (e) => {
  // Shortcuts with Ctrl/Cmd/Alt belong to VS Code, which the webview forwards them to.
  if (e.ctrlKey || e.metaKey || e.altKey || report) return;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  let handled = true;
  if (vote && !vote.task) {
    if (k === 'r') send({ type: 'openReport' });
    else if (k === 'u' && vote.canUndo) send({ type: 'undo' });
    else handled = false;
  } else if (k === 'a' || k === 'ArrowLeft' || k === 'b' || k === 'ArrowRight') {
    const side = k === 'a' || k === 'ArrowLeft' ? 'A' : 'B';
    if (e.shiftKey) cast(side, 'certainly');
    else pick(side);
  } else if (k === 't') cast('tie', null);
  else if ((k === '1' || k === '2') && picked) cast(picked, k === '1' ? 'likely' : 'certainly');
  else if ((k === 'Enter' || k === ' ') && picked) cast(picked, null);
  else if (k === 'Escape' && picked) {
    picked = undefined;
    render();
  } else if (k === 'u' && vote?.canUndo) {
    picked = undefined;
    send({ type: 'undo' });
  } else handled = false;
  if (handled) e.preventDefault();
});

const key = (k: string) => el('span', { class: 'key' }, k);

function button(label: string, keys: string, onClick: () => void, appearance = 'secondary', id = ''): HTMLElement {
  // A toolkit element: not in the DOM's tag map, so made by hand.
  const b = document.createElement('vscode-button');
  b.setAttribute('appearance', appearance);
  b.setAttribute('title', `${label} (${keys})`);
  if (id) b.id = id;
  b.append(`${label} `, key(keys));
  b.addEventListener('click', onClick);
  return b;
}


function render(): void {
  if (report) return app.replaceChildren(...renderReport(report));
  const body: Node[] = [];
  if (error) body.push(el('section', {}, el('div', { class: 'error', id: 'error' }, error)));
  if (vote) body.unshift(...renderVote(vote));
  else if (!error) body.push(el('p', { class: 'muted' }, 'Loading…'));
  app.replaceChildren(...body);
}

function renderVote(s: VoteState): Node[] {
  const fill = el('div', { class: 'bar-fill' });
  // Set through the CSSOM: the CSP refuses inline style attributes.
  fill.style.width = `${s.total ? (100 * s.done) / s.total : 0}%`;
  const header = el(
    'header',
    {},
    el('h1', {}, `Blind vote · ${s.title}`),
    el(
      'div',
      { class: 'progress' },
      el('span', { id: 'progress' }, `${s.done} / ${s.total}`),
      el('div', { class: 'bar-wrap', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(s.total), 'aria-valuenow': String(s.done) }, fill),
    ),
    el('span', { class: 'muted' }, `${s.annotator || 'no annotator name'} → ${s.votesFile}`),
    s.problems ? el('span', { class: 'muted' }, `${counted(s.problems, 'problem')} in the items (Problems panel)`) : '',
  );
  if (!s.task) return [header, ...renderReveal(s)];
  const t = s.task;
  const card = (side: 'A' | 'B', text: string) => {
    const c = el(
      'article',
      { class: picked === side ? 'card selected' : 'card', id: `card-${side.toLowerCase()}`, 'aria-label': `Reply ${side}` },
      el('div', { class: 'card-head' }, key(side), el('strong', {}, `Reply ${side}`), picked === side ? el('span', { class: 'tag' }, 'your pick') : ''),
      el('div', { class: 'response' }, text),
    );
    c.addEventListener('click', () => pick(side));
    return c;
  };
  const out: Node[] = [
    header,
    el('section', { 'aria-label': 'Prompt' }, el('h2', {}, 'Prompt'), ...t.prompt.map((m) => el('div', { class: 'turn' }, el('span', { class: 'role' }, m.role), el('span', { class: 'content' }, m.content)))),
    el('section', { 'aria-label': 'Replies' }, el('h2', {}, 'Which reply reads more like a human wrote it?'), el('div', { class: 'candidates' }, card('A', t.a), card('B', t.b))),
  ];
  const actions = picked
    ? [
        el('span', { class: 'status', id: 'pending' }, `Reply ${picked} picked. How sure are you?`),
        button('Likely', '1', () => cast(picked!, 'likely'), 'primary'),
        button('Certainly', '2', () => cast(picked!, 'certainly'), 'primary'),
        button('No answer', '↵', () => cast(picked!, null)),
        button('Back', 'Esc', () => {
          picked = undefined;
          render();
        }),
      ]
    : [button('A is more human', 'A', () => pick('A'), 'primary'), button('B is more human', 'B', () => pick('B'), 'primary'), button('Tie', 'T', () => cast('tie', null))];
  if (s.canUndo) actions.push(button('Undo last vote', 'U', () => send({ type: 'undo' })));
  out.push(el('section', { class: 'actions' }, ...actions));
  out.push(
    el(
      'p',
      { class: 'keys muted' },
      key('A'), ' or ', key('←'), ' pick A · ', key('B'), ' or ', key('→'), ' pick B · then ', key('1'), ' likely, ', key('2'), ' certainly, ', key('Enter'), ' no answer · ',
      key('Shift'), '+', key('A'), '/', key('B'), ' certainly at once · ', key('T'), ' tie · ', key('U'), ' undo last vote · ', key('Esc'), ' change your pick',
      el('br'),
      'The systems are hidden until every comparison is voted; each vote is saved at once (closing the view keeps your place).',
    ),
  );
  return out;
}

function renderReveal(s: VoteState): Node[] {
  const rows = s.reveal ?? [];
  const tally = new Map<string, number>();
  for (const r of rows) {
    for (const sys of [r.a, r.b]) tally.set(sys, tally.get(sys) ?? 0);
    if (r.winner === 'tie') {
      tally.set(r.a, tally.get(r.a)! + 0.5);
      tally.set(r.b, tally.get(r.b)! + 0.5);
    } else tally.set(r.winner, tally.get(r.winner)! + 1);
  }
  const pickText = (r: RevealRow) => (r.winner === 'tie' ? 'tie' : `${r.winner === r.a ? 'A' : 'B'} = ${r.winner}${r.confidence ? ` (${r.confidence})` : ''}`);
  const actions = [button('Open the report', 'R', () => send({ type: 'openReport' }), 'primary', 'open-report')];
  if (s.canUndo) actions.push(button('Undo last vote', 'U', () => send({ type: 'undo' })));
  return [
    el('section', {}, el('div', { class: 'status', id: 'done' }, `All ${s.total} comparisons voted. Here is who was who.`)),
    el(
      'section',
      { 'aria-label': 'Your picks by system' },
      el('h2', {}, 'Your picks (a tie counts half)'),
      el('div', { class: 'cards', id: 'tally' }, ...[...tally].sort((x, y) => y[1] - x[1]).map(([sys, n]) => el('div', { 'data-system': sys }, el('div', { class: 'muted' }, sys), el('div', { class: 'figure' }, `${n} of ${rows.length}`)))),
    ),
    el(
      'section',
      { 'aria-label': 'Revealed' },
      el('h2', {}, 'Revealed'),
      el(
        'table',
        { id: 'reveal' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Prompt'), el('th', { class: 'text' }, 'A'), el('th', { class: 'text' }, 'B'), el('th', { class: 'text' }, 'Your pick'))),
        el('tbody', {}, ...rows.map((r) => el('tr', {}, el('td', {}, r.prompt), el('td', { class: 'text' }, r.a), el('td', { class: 'text' }, r.b), el('td', { class: 'text' }, pickText(r))))),
      ),
    ),
    el('section', { class: 'actions' }, ...actions),
  ];
}

function ciBar(rate: number, low: number, high: number): HTMLElement {
  const range = el('div', { class: 'ci-range' });
  range.style.left = `${100 * low}%`;
  range.style.width = `${100 * (high - low)}%`;
  const point = el('div', { class: 'ci-point' });
  point.style.left = `calc(${100 * rate}% - 1px)`;
  return el('div', { class: 'ci', title: `${pct(rate)}, 95 % interval ${pct(low)} – ${pct(high)}; the line marks 50 %` }, el('div', { class: 'ci-half' }), range, point);
}

function renderReport(r: ReportView): Node[] {
  const out: Node[] = [el('header', {}, el('h1', {}, `Vote report · ${r.title}`), el('span', { class: 'muted' }, r.sources.join(' · ')))];
  if (error) out.push(el('section', {}, el('div', { class: 'error', id: 'error' }, error)));
  const annotators = Object.entries(r.annotators);
  out.push(
    el(
      'section',
      {},
      el(
        'p',
        { id: 'summary' },
        `${counted(r.votes, 'vote')} (${counted(r.ties, 'tie')}) by ${counted(annotators.length, 'annotator')}: ${annotators.map(([a, n]) => `${a || '(no name)'} ${n}`).join(', ')}`,
        r.duplicates ? ` · ${counted(r.duplicates, 'older duplicate')} ignored` : '',
        ` · confidence: ${r.confidence.certainly} certainly, ${r.confidence.likely} likely, ${r.confidence.none} not given`,
      ),
    ),
  );
  const withReward = r.systems.some((x) => x.meanReward !== undefined);
  out.push(
    el(
      'section',
      { 'aria-label': 'Selection rate' },
      el('h2', {}, 'Selection rate (a tie counts half) with 95 % Wilson interval'),
      el(
        'table',
        { id: 'systems' },
        el(
          'thead',
          {},
          el('tr', {}, el('th', {}, 'System'), el('th', {}, 'Selected'), el('th', {}, '95 % interval'), el('th', { class: 'text' }, ''), el('th', {}, 'Won–tied–lost'), el('th', {}, 'Votes'), el('th', {}, 'Won, certain'), withReward ? el('th', {}, 'Mean reward') : ''),
        ),
        el(
          'tbody',
          {},
          ...r.systems.map((x) =>
            el(
              'tr',
              { 'data-system': x.system },
              el('td', {}, x.system),
              el('td', { class: 'rate' }, pct(x.rate)),
              el('td', { class: 'interval' }, `${pct(x.interval.low)} – ${pct(x.interval.high)}`),
              el('td', { class: 'text' }, ciBar(x.rate, x.interval.low, x.interval.high)),
              el('td', { class: 'record' }, `${x.wins}–${x.ties}–${x.losses}`),
              el('td', {}, String(x.votes)),
              el('td', {}, String(x.certain)),
              withReward ? el('td', { class: 'reward' }, x.meanReward === undefined ? '' : x.meanReward.toFixed(3)) : '',
            ),
          ),
        ),
      ),
    ),
  );
  if (r.ratings) {
    out.push(
      el(
        'section',
        { 'aria-label': 'Ratings' },
        el('h2', {}, `Bradley-Terry ratings${r.ratings.regularized ? ' (regularized)' : ''}`),
        el(
          'table',
          { id: 'ratings' },
          el('thead', {}, el('tr', {}, el('th', {}, 'System'), el('th', {}, 'Elo'), el('th', {}, 'Strength'))),
          el('tbody', {}, ...r.ratings.rows.map((x) => el('tr', { 'data-system': x.system }, el('td', {}, x.system), el('td', { class: 'elo' }, x.elo.toFixed(0)), el('td', {}, x.strength.toFixed(3))))),
        ),
      ),
    );
  }
  if (r.agreement) {
    const a = r.agreement;
    out.push(
      el(
        'section',
        { 'aria-label': 'Reward model agreement' },
        el('h2', {}, 'Reward model agreement'),
        el(
          'div',
          { id: 'agreement' },
          el('span', { class: 'figure' }, pct(a.rate)),
          ` of ${counted(a.votes, 'decisive vote')} (ties left out): the higher-scored reply is the one picked · 95 % interval ${pct(a.interval.low)} – ${pct(a.interval.high)} · `,
          el('span', { class: 'muted' }, a.model),
        ),
      ),
    );
  }
  const systems = r.systems.map((x) => x.system);
  const withRewards = r.prompts.some((p) => p.rewards);
  out.push(
    el(
      'section',
      { 'aria-label': 'Per prompt' },
      el('h2', {}, 'Per prompt (picks; a tie counts half)'),
      el(
        'table',
        { id: 'prompts' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Prompt'), el('th', {}, 'Votes'), ...systems.map((sys) => el('th', {}, sys)), el('th', { class: 'text' }, 'Leader'), ...(withRewards ? systems.map((sys) => el('th', {}, `reward ${sys}`)) : []))),
        el(
          'tbody',
          {},
          ...r.prompts.map((p) =>
            el(
              'tr',
              { 'data-item': p.item_id },
              el('td', { title: p.item_id }, p.prompt ?? p.item_id),
              el('td', {}, String(p.votes)),
              ...systems.map((sys) => el('td', p.leader === sys ? { class: 'win' } : {}, p.picks[sys] === undefined ? '' : String(p.picks[sys]))),
              el('td', { class: 'text leader' }, p.leader),
              ...(withRewards ? systems.map((sys) => el('td', {}, p.rewards?.[sys] === undefined ? '' : p.rewards[sys].toFixed(2))) : []),
            ),
          ),
        ),
      ),
    ),
  );
  if (r.notes.length) out.push(el('section', {}, el('h2', {}, 'Notes'), el('ul', { class: 'notes', id: 'notes' }, ...r.notes.map((n) => el('li', {}, n)))));
  return out;
}

app.focus();
send({ type: 'ready' });
