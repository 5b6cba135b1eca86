/**
 * Measures the trait catalog on a conversation in one pass over each turn's characters.
 *
 *   measureDialogue(messages, { role: 'assistant', evidence: true })  -> values in catalog order + spans
 *   measureResponse(chosen, prompt)                                    -> the same for a TRL pair side
 *
 * Speed matters (the inspector scores 100k-line files while you scroll): no regular expressions in the
 * loop, one vocabulary lookup per word for every per-word fact at once (word lists, shape, spelling
 * verdict), phrase matching only where a phrase can start, and evidence spans only collected when asked
 * for. test/unit/golden.test.ts pins the values on real data: speed work must not move them.
 *
 * The files: extractor.ts (TraitExtractor, the scanner), lexing.ts (character classes), phraseIndex.ts
 * (lexicon.ts's phrases by vocabulary id); this one warms a shared extractor up at import and wraps it.
 */
import type { Message, Turns } from '../types';
import { TRAITS, traitIndex } from './catalog';
import { TraitExtractor, type MeasureOptions, type Measurement } from './extractor';

export { TraitExtractor, type Evidence, type MeasureOptions, type Measurement } from './extractor';

const shared = new TraitExtractor();

/**
 * Runs the scanners' common structural branches a few times at load so that each has type feedback
 * before V8 optimizes them. Without it, a branch that the first data never took (a turn that ends
 * without punctuation, a tab, a question mark) is compiled as a deoptimization point, and Node 20's V8
 * keeps re-entering the same on-stack-replacement code after every such deopt instead of recompiling:
 * scoring Turing dialogues after preference pairs ran at 40-85 µs a response instead of 10, with
 * 59,582 deopts of one code object in one run.
 *
 * Lowercase "i", spelled-out laughter and a turn ending in "." are in because casual data is full of
 * them: each first sighting cost a deopt and a ~0.1 s recompile of scanTurn in every process.
 *
 * Rare branches (emoji, markdown, "<3", non-ASCII words, evidence) are left out on purpose: with their
 * feedback in, the optimized scanner was ~40% slower on every data set (measured; see the README), and
 * re-measured on Node 20: 12.5 µs a preference-pair response without, 24 µs with all of them (any one
 * alone is within noise). Each costs at most one deopt per process when the data first shows it.
 * The sample uses only words that are on a word list, short, capitalized, elongated or numeric, so it
 * never reaches the spelling check (which would load the dictionary at import); values are discarded.
 */
function warmUp(x: TraitExtractor): void {
  const partner: Message = { role: 'user', content: 'lol dude gonna watch it tonight?? ok Paris 10' };
  const turns = [
    "lmao dude yeah tonight sooo ok!!! i'm kinda sure tho... idk, ok. u? 10 NASA Paris i hahahahah\n\n\tok\r\nok.",
    'ok',
    'wbu',
    `${'lol dude '.repeat(35)}hey`,
  ];
  const messages: Message[] = [{ role: 'system', content: 'ok' }];
  for (const content of turns) messages.push(partner, { role: 'assistant', content });
  const out = new Float64Array(TRAITS.length);
  for (let round = 0; round < 4; round++) {
    x.measureDialogueInto(out, 0, messages);
    x.measureResponseInto(out, 0, turns[round % turns.length], partner.content);
    x.measureResponseInto(out, 0, messages.slice(1), [partner]);
  }
}
warmUp(shared);

/** Convenience wrappers over one shared extractor (single-threaded JS makes that safe). */
export function measureDialogue(messages: readonly Message[], opts?: MeasureOptions): Measurement {
  return shared.measureDialogue(messages, opts);
}
export function measureResponse(response: Turns, prompt?: Turns, opts?: MeasureOptions): Measurement {
  return shared.measureResponse(response, prompt, opts);
}
export function measurePerTurn(messages: readonly Message[], opts?: MeasureOptions) {
  return shared.measurePerTurn(messages, opts);
}

/** Values as an object keyed by trait id (for JSON output). */
export function valuesById(values: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let k = 0; k < TRAITS.length; k++) out[TRAITS[k].id] = values[k];
  return out;
}

export { traitIndex };
