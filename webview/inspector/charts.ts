/** Histograms of the whole file: one per trait column, the scores (or margins), and for pairs the agreement. */
import { share } from '../../src/core/percent';
import { fmt, h } from './dom';
import type { HistogramData, HostMessage, Kind, TraitInfo } from './protocol';

type Stats = Extract<HostMessage, { type: 'stats' }>;

export function renderCharts(stats: Stats, shown: TraitInfo[], kind: Kind | 'empty', showDisagreements: () => void): HTMLElement[] {
  const pairs = kind !== 'dialogue' && kind !== 'empty';
  const out: HTMLElement[] = [];
  if (pairs && stats.agreement !== undefined) {
    const { agree, of } = stats.agreement;
    const who = kind === 'pair' ? 'the chosen response' : 'the human side';
    const noun = kind === 'pair' ? 'pairs' : 'conversations';
    const count = (n: number) => n.toLocaleString('en-US');
    const line = h('div', { class: 'agreement', attrs: { role: 'status' }, text: `The reward prefers ${who} in ${share(agree, of)} of ${noun}` });
    if (agree < of) {
      // The exceptions are what a reader wants next: one click filters the table to them (margin ≤ 0).
      const rest = of - agree;
      const link = h('a', { text: `show ${rest === 1 ? 'it' : 'them'}`, attrs: { href: '#', role: 'button', id: 'show-disagreements' } });
      link.addEventListener('click', (e) => {
        e.preventDefault();
        showDisagreements();
      });
      line.append(`; in ${count(rest)} of ${count(of)} it does not (`, link, ')');
    } else line.append(` (${count(of)})`);
    out.push(line);
  }
  out.push(chart(pairs ? `Margin (${kind === 'pair' ? 'chosen − rejected' : 'human − ai'})` : 'Score', stats.scores, pairs ? 0 : undefined));
  for (const t of shown) {
    const hist = stats.traits[t.id];
    if (hist) out.push(chart(pairs ? `${t.label} (difference)` : t.label, hist, pairs ? 0 : undefined));
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
