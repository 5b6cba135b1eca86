/**
 * The selected line's conversation, with every model trait's evidence highlighted. A highlight is
 * focusable; hovering or focusing it shows which trait fired and what that trait adds to the score.
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

function renderSide(s: DetailSide, traits: Map<string, TraitInfo>, labelled: boolean): HTMLElement {
  const byId = new Map(s.traits.map((t) => [t.id, t]));
  const tip = (trait: string) => {
    const t = byId.get(trait);
    const label = traits.get(trait)?.label ?? trait;
    return t ? `${label}: ${signed(t.contribution)} to the score (value ${fmt(t.value, 3)})` : label;
  };
  const messages = s.messages.map((m, turn) =>
    message(
      m.role,
      highlight(
        m.content,
        s.evidence.filter((e) => e.turn === turn),
        tip,
      ),
    ),
  );
  const top = [...s.traits].sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution)).slice(0, 6);
  const max = Math.max(...top.map((t) => Math.abs(t.contribution)), 1e-9);
  return h('section', { class: 'side', attrs: { 'aria-label': s.label } }, [
    h('h3', { text: `${labelled ? `${s.label} · ` : ''}score ${fmt(s.score)}` }),
    h('div', { class: 'messages' }, messages),
    h(
      'ul',
      { class: 'drivers', attrs: { 'aria-label': 'Traits that move the score most' } },
      top.map((t) => {
        const bar = h('span', { class: `bar ${t.contribution >= 0 ? 'up' : 'down'}` });
        bar.style.width = `${(100 * Math.abs(t.contribution)) / max}%`;
        return h('li', {}, [h('span', { class: 'name', text: traits.get(t.id)?.label ?? t.id }), h('span', { class: 'track' }, [bar]), h('span', { class: 'num', text: signed(t.contribution) })]);
      }),
    ),
  ]);
}

function message(role: string, content: (Node | string)[]): HTMLElement {
  return h('div', { class: `msg role-${role === 'user' || role === 'assistant' || role === 'system' ? role : 'other'}` }, [h('div', { class: 'role', text: role }), h('div', { class: 'content' }, content)]);
}

/** Text with <mark>s; overlapping spans keep the earlier one (nested marks would be unreadable). */
function highlight(text: string, spans: Span[], tip: (trait: string) => string): (Node | string)[] {
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
