/** Histograms of the whole file: one per trait column, the scores (or margins), and for pairs the agreement. */
import { share } from '../../src/core/percent';
import { fmt, h } from './dom';
import type { FileKind, HistogramData, HostMessage, TraitInfo } from './protocol';
import { count } from '../../src/core/counted';

type Stats = Extract<HostMessage, { type: 'stats' }>;

export function renderCharts(stats: Stats, shown: TraitInfo[], kind: FileKind, showDisagreements: () => void): HTMLElement[] {
  const sides = kind !== 'dialogue' && kind !== 'empty';
  const out: HTMLElement[] = [];
  if (stats.agreement !== undefined) {
    const { agree, of } = stats.agreement;
    const who = kind === 'contrastive' ? 'the human side' : 'the chosen response';
    const noun = kind === 'contrastive' ? 'conversations' : 'pairs';
    const line = h('div', { class: 'agreement', attrs: { role: 'status' }, text: `The reward prefers ${who} in ${share(agree, of)} of ${noun}` });
    if (agree < of && kind !== 'mixed') {
      // The exceptions are what a reader wants next: one click filters the table to them (margin ≤ 0).
      const rest = of - agree;
      const link = h('a', { text: `show ${rest === 1 ? 'it' : 'them'}`, attrs: { href: '#', role: 'button', id: 'show-disagreements' } });
      link.addEventListener('click', (e) => {
        e.preventDefault();
        showDisagreements();
      });
      line.append(`; in ${count(rest)} of ${count(of)} it does not (`, link, ')');
    } else line.append(agree < of ? `; in ${count(of - agree)} of ${count(of)} it does not` : ` (${count(of)})`);
    out.push(line);
  }
  if (stats.ranked !== undefined) {
    const { agree, of } = stats.ranked;
    out.push(h('div', { class: 'agreement', attrs: { role: 'status' }, text: `The reward's best candidate is the one ranked first in ${share(agree, of)} of ranked sets (${count(agree)} of ${count(of)})` }));
  }
  const measure = kind === 'pair' ? 'Margin (chosen − rejected)' : kind === 'contrastive' ? 'Margin (human − ai)' : kind === 'candidates' ? 'Spread (best − worst)' : 'Margin or spread';
  const diff = kind === 'candidates' ? 'best − worst' : 'difference';
  out.push(chart(sides ? measure : 'Score', stats.scores, sides ? 0 : undefined));
  for (const t of shown) {
    const hist = stats.traits[t.id];
    if (hist) out.push(chart(sides ? `${t.label} (${diff})` : t.label, hist, sides ? 0 : undefined));
  }
  return out;
}

function chart(title: string, hist: HistogramData, mark: number | undefined): HTMLElement {
  const max = Math.max(...hist.counts, 1);
  const total = hist.counts.reduce((a, b) => a + b, 0);
  const width = (hist.max - hist.min) / hist.counts.length;
  const bars = hist.counts.map((c, i) => {
    const lo = hist.min + i * width;
    const bar = h('div', { class: `hbar${mark !== undefined && lo + width <= mark ? ' below' : ''}`, attrs: { title: `${fmt(lo)} … ${fmt(lo + width)}: ${c} of ${total}` } });
    bar.style.height = `${(100 * c) / max}%`;
    return bar;
  });
  return h('figure', { class: 'hist', attrs: { 'aria-label': `${title}: ${total} values from ${fmt(hist.min)} to ${fmt(hist.max)}` } }, [
    h('figcaption', { text: title }),
    h('div', { class: 'hbars' }, bars),
    h('div', { class: 'haxis' }, [h('span', { text: fmt(hist.min) }), h('span', { text: fmt(hist.max) })]),
  ]);
}
