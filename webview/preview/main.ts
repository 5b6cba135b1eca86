/**
 * The rewrite preview: the prompt, the base model's and the tuned model's replies side by side with
 * their rewards, and the traits whose contribution to the reward changed most. It renders what the
 * host sends and turns clicks and keys into intents; the host does the writing.
 */
import { registerToolkit } from '../shared/toolkit';
import { isHostMessage, type Message, type PreviewView, type SideView, type TraitRow, type ViewMessage } from './protocol';
import { el } from '../shared/dom';
import { counted } from '../../src/core/counted';

registerToolkit();
const vscode = acquireVsCodeApi();
const app = document.getElementById('app') as HTMLElement;
let state: PreviewView | undefined;

/** Earlier turns of a long conversation are folded: the reply answers the last few. */
const SHOWN_TURNS = 4;
const SHOWN_TRAITS = 10;

const send = (m: ViewMessage) => vscode.postMessage(m);

window.addEventListener('message', (e: MessageEvent<unknown>) => {
  if (!isHostMessage(e.data)) return;
  state = e.data.state;
  render(state);
  const s = state;
  send({
    type: 'rendered',
    id: s.id,
    status: s.status,
    base: app.querySelector('[data-side="base"] .response')?.textContent ?? undefined,
    tuned: app.querySelector('[data-side="tuned"] .response')?.textContent ?? undefined,
    scores: [...app.querySelectorAll('.card .reward[data-score]')].map((n) => Number((n as HTMLElement).dataset.score)),
    traits: app.querySelectorAll('#traits tbody tr').length,
  });
});

document.addEventListener('keydown', (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || !state) return;
  const busy = state.status === 'generating';
  if (e.key === 'a' && state.status === 'done') send({ type: 'append' });
  else if (e.key === 'l') send({ type: 'openLabeler' });
  else if (e.key === 'r' && !busy) send({ type: 'regenerate' });
  else return;
  e.preventDefault();
});

function button(label: string, key: string, onClick: () => void, opts: { appearance?: string; disabled?: boolean; id: string }): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = opts.id;
  b.setAttribute('appearance', opts.appearance ?? 'secondary');
  b.setAttribute('title', `${label} (${key})`);
  if (opts.disabled) b.setAttribute('disabled', '');
  b.append(`${label} `, el('span', { class: 'key' }, key));
  b.addEventListener('click', onClick);
  return b;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(2));
const signed = (x: number) => `${x < 0 ? '−' : '+'}${fmt(Math.abs(x))}`;

function render(s: PreviewView): void {
  const header = el(
    'header',
    {},
    el('h1', {}, 'Preview: base vs tuned'),
    el('span', { class: 'meta', title: 'Base model' }, s.model),
    el('span', { class: 'meta', title: 'Adapter' }, `+ ${s.adapter}`),
    el('span', { class: 'meta', title: 'Reward model' }, `reward: ${s.rewardModel}`),
    el('span', { class: 'meta' }, `seed ${s.seed}`),
  );
  const body: Node[] = [header];
  if (s.tinyTestModel) {
    body.push(
      el(
        'div',
        { class: 'status notice', id: 'tiny-model', role: 'note' },
        `${s.model} is StyleTune's tiny test model: random weights, made for trying things out. Its replies are noise, and so are their rewards and the difference tuning made; use a real model to judge the tuning.`,
      ),
    );
  }
  if (s.status !== 'done' || s.message) {
    const cls = s.status === 'error' ? 'status error' : 'status';
    const ring = s.status === 'generating' ? [document.createElement('vscode-progress-ring')] : [];
    body.push(el('div', { class: cls, id: 'status', role: 'status' }, ...ring, s.message ?? (s.status === 'cancelled' ? 'Cancelled.' : 'Generating…')));
  }
  body.push(promptSection(s.prompt));
  body.push(
    el(
      'section',
      { class: 'sides', 'aria-label': 'Responses' },
      card('base', 'Base', s.model, s.base, undefined),
      card('tuned', 'Tuned', s.adapter, s.tuned, s.rewardDelta),
    ),
  );
  if (s.traits.length) body.push(traitTable(s.traits));
  const done = s.status === 'done';
  body.push(
    el(
      'section',
      { class: 'actions' },
      button('Append as pair to…', 'a', () => send({ type: 'append' }), { appearance: 'primary', disabled: !done, id: 'append' }),
      button('Open in Labeler', 'l', () => send({ type: 'openLabeler' }), { id: 'open-labeler' }),
      button('Regenerate', 'r', () => send({ type: 'regenerate' }), { disabled: s.status === 'generating', id: 'regenerate' }),
    ),
  );
  if (s.appended) {
    const what = s.appended.choice === 'unlabeled' ? 'an unlabeled pair (label it in the Pair Labeler)' : `a pair with the ${s.appended.choice} reply chosen`;
    body.push(el('div', { class: 'status', id: 'appended' }, `Appended ${what} to ${s.appended.file}, line ${s.appended.line}.`));
  }
  app.replaceChildren(...body);
}

function promptSection(prompt: Message[]): Node {
  const hidden = Math.max(0, prompt.length - SHOWN_TURNS);
  const turns = prompt.slice(hidden).map((m) => el('div', { class: `turn role-${m.role}` }, el('span', { class: 'role' }, m.role), m.content));
  return el(
    'section',
    { 'aria-label': 'Prompt', id: 'prompt' },
    el('h2', {}, 'Prompt'),
    ...(hidden ? [el('p', { class: 'muted' }, `… ${counted(hidden, 'earlier turn')}`)] : []),
    ...turns,
  );
}

function card(side: 'base' | 'tuned', title: string, name: string, v: SideView | undefined, delta: number | undefined): HTMLElement {
  const reward = v?.score !== undefined ? el('span', { class: 'reward', 'data-score': String(v.score), title: 'Reward model score' }, `reward ${fmt(v.score)}`) : '';
  const tag = delta !== undefined ? el('span', { class: `tag ${delta >= 0 ? 'pos' : 'neg'}`, id: 'reward-delta', title: 'Reward difference: tuned − base' }, signed(delta)) : '';
  const text = v ? el('div', { class: 'response' }, v.text || '(empty reply)') : el('div', { class: 'response muted' }, 'Generating…');
  return el(
    'article',
    { class: `card ${side}`, 'data-side': side, 'aria-label': `${title} reply` },
    el('div', { class: 'card-head' }, el('strong', {}, title), el('span', { class: 'muted name', title: name }, name), el('span', { class: 'right' }, reward, tag)),
    text,
    v?.tokens !== undefined ? el('div', { class: 'muted small' }, counted(v.tokens, 'token')) : '',
  );
}

function traitTable(traits: TraitRow[]): Node {
  const shown = traits.slice(0, SHOWN_TRAITS);
  const max = Math.max(...shown.map((t) => Math.abs(t.delta)), 1e-9);
  const rows = shown.map((t) => {
    const bar = el('span', { class: `bar ${t.delta >= 0 ? 'up' : 'down'}` });
    // Through the CSSOM: the CSP refuses inline style attributes.
    bar.style.width = `${(50 * Math.abs(t.delta)) / max}%`;
    return el(
      'tr',
      { title: t.description, 'data-trait': t.id },
      el('td', {}, t.label),
      el('td', {}, fmt(t.base)),
      el('td', {}, fmt(t.tuned)),
      el('td', { class: 'track-cell' }, el('span', { class: 'track' }, el('span', { class: 'axis' }), bar)),
      el('td', { class: t.delta > 0.005 ? 'pos' : t.delta < -0.005 ? 'neg' : 'muted' }, signed(t.delta)),
    );
  });
  return el(
    'section',
    { 'aria-label': 'What changed', id: 'traits' },
    el('h2', {}, 'What changed: traits whose contribution to the reward moved most'),
    el(
      'table',
      {},
      el('thead', {}, el('tr', {}, el('th', {}, 'Trait'), el('th', {}, 'Base'), el('th', {}, 'Tuned'), el('th', {}, ''), el('th', { title: 'tuned − base contribution' }, 'Δ reward'))),
      el('tbody', {}, ...rows),
    ),
  );
}

app.focus();
send({ type: 'ready' });
