/**
 * The selected line's conversation, with every model trait's evidence highlighted. A highlight is
 * focusable; hovering or focusing it shows which trait fired and what that trait adds to the score.
 * A trait whose evidence is the whole reply (Long turns, Terse turns) is a badge on the reply and an
 * outline around it, not a highlight over every character: that would bury the word-level evidence.
 *
 * Per-trait pieces (a reply's badges, a row of the drivers list) are made by `traitBadge` and
 * `driverRow`, so a trait's detail can grow (e.g. where its value sits on the trait's curve) in one place.
 */
import { fmt, h, signed, traitColor } from './dom';
import type { DetailSide, HostMessage, Span, TraitInfo } from './protocol';

type Detail = Extract<HostMessage, { type: 'detail' }>;

export function renderDetail(d: Detail, traits: Map<string, TraitInfo>): HTMLElement {
  const sides = d.sides.map((s) => renderSide(s, traits, d.kind !== 'dialogue'));
  const context = d.sides[0]?.context ?? [];
  return h('div', { class: 'detail-body', attrs: { 'data-line': String(d.line) } }, [
    h('h2', { text: `Line ${d.line}` }),
    ...(context.length ? [h('div', { class: 'context' }, context.map((m) => message(m.role, [m.content])))] : []),
    h('div', { class: `sides n${sides.length}` }, sides),
  ]);
}

/** What each trait of one side says about itself: its label, what it adds to the score, its value. */
type Tip = (trait: string) => string;

function renderSide(s: DetailSide, traits: Map<string, TraitInfo>, labelled: boolean): HTMLElement {
  const byId = new Map(s.traits.map((t) => [t.id, t]));
  const label = (trait: string) => traits.get(trait)?.label ?? trait;
  const tip: Tip = (trait) => {
    const t = byId.get(trait);
    return t ? `${label(trait)}: ${signed(t.contribution)} to the score (value ${fmt(t.value, 3)})` : label(trait);
  };
  const messages = s.messages.map((m, turn) => {
    const spans = s.evidence.filter((e) => e.turn === turn);
    const whole = spans.filter((e) => coversReply(m.content, e));
    const wholeIds = [...new Set(whole.map((e) => e.trait))];
    const el = message(
      m.role,
      highlight(
        m.content,
        spans.filter((e) => !whole.includes(e)),
        tip,
      ),
      wholeIds.map((id) => traitBadge(id, label(id), byId.get(id)?.contribution, tip)),
    );
    if (wholeIds.length) el.classList.add('whole', `c${traitColor(wholeIds[0])}`);
    return el;
  });
  const top = [...s.traits].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)).slice(0, 6);
  const max = Math.max(...top.map((t) => Math.abs(t.contribution)), 1e-9);
  return h('section', { class: 'side', attrs: { 'aria-label': s.label } }, [
    h('h3', { text: `${labelled ? `${s.label} · ` : ''}score ${fmt(s.score)}` }),
    h('div', { class: 'messages' }, messages),
    h(
      'ul',
      { class: 'drivers', attrs: { 'aria-label': 'Traits that move the score most' } },
      top.map((t) => driverRow(label(t.id), t.contribution, max, t.shape)),
    ),
  ]);
}

/** Evidence that spans (nearly) the whole reply is about the reply, not about its words. */
function coversReply(text: string, e: Span): boolean {
  const body = text.trim().length;
  return body > 0 && e.end - e.start >= 0.9 * body;
}

/** A whole-reply trait on its reply: named, coloured like its highlights would be, explained on hover and focus. */
function traitBadge(id: string, label: string, contribution: number | undefined, tip: Tip): HTMLElement {
  const text = contribution === undefined ? label : `${label} ${signed(contribution)}`;
  return h('span', { class: `whole-trait c${traitColor(id)}`, text, attrs: { tabindex: '0', 'data-trait': id, 'data-tip': `${tip(id)} · the whole reply`, 'aria-label': `${tip(id)}, for the whole reply` } });
}

/**
 * One row of "traits that move the score most": name, a bar to scale, the signed contribution, and for
 * shape models where the value sits on the trait's shape (● on fᵢ drawn in block characters).
 */
function driverRow(label: string, contribution: number, max: number, shape?: string): HTMLElement {
  const bar = h('span', { class: `bar ${contribution >= 0 ? 'up' : 'down'}` });
  bar.style.width = `${(100 * Math.abs(contribution)) / max}%`;
  const cells = [h('span', { class: 'name', text: label }), h('span', { class: 'track' }, [bar]), h('span', { class: 'num', text: signed(contribution) })];
  if (shape) cells.push(h('span', { class: 'shape', text: shape, attrs: { title: `${label}: its shape over the fitting data's range; ● is this value`, 'aria-label': `${label} on its shape: ${shape}` } }));
  return h('li', {}, cells);
}

function message(role: string, content: (Node | string)[], badges: HTMLElement[] = []): HTMLElement {
  const head = h('div', { class: 'role' }, [role, ...badges]);
  return h('div', { class: `msg role-${role === 'user' || role === 'assistant' || role === 'system' ? role : 'other'}` }, [head, h('div', { class: 'content' }, content)]);
}

/** Text with <mark>s; overlapping spans keep the earlier one (nested marks would be unreadable). */
function highlight(text: string, spans: Span[], tip: Tip): (Node | string)[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: (Node | string)[] = [];
  let at = 0;
  for (const s of sorted) {
    if (s.start < at || s.end <= s.start || s.end > text.length) continue;
    if (s.start > at) out.push(text.slice(at, s.start));
    out.push(
      h('mark', {
        class: `hl c${traitColor(s.trait)}`,
        text: text.slice(s.start, s.end),
        attrs: { tabindex: '0', 'data-trait': s.trait, 'data-tip': tip(s.trait), 'aria-label': `${text.slice(s.start, s.end)}: ${tip(s.trait)}` },
      }),
    );
    at = s.end;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}
