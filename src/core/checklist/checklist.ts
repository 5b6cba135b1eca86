/**
 * User-written checklists (HumanLLM-style): statements with weights, grouped by behaviour pattern or by
 * scenario, that the judge answers true/false for each dialogue.
 *
 *   name: Patient role-play
 *   scenarioField: scenario          # which field of a line names its scenario (default "scenario")
 *   modelField: model                # which field names the model that wrote it (default "model")
 *   groups:
 *     - pattern: Brevity             # a pattern group applies to every dialogue
 *       items:
 *         - statement: Replies in one or two short sentences
 *           weight: 2                # default 1
 *     - scenario: doctor-visit       # a scenario group applies to lines whose scenario field equals it
 *       items:
 *         - Mentions a concrete symptom with a time ("since Tuesday")   # a bare string: weight 1
 *
 * YAML or JSON (JSON is YAML). Every problem is reported with the file, line and what to write instead.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isMap, isSeq, type Node as YamlNode } from 'yaml';
import type { Diagnostic } from '../types';

export interface ChecklistItem {
  statement: string;
  weight: number;
}

export interface ChecklistGroup {
  /** The group's name: its pattern or its scenario. */
  name: string;
  kind: 'pattern' | 'scenario';
  items: ChecklistItem[];
}

export interface Checklist {
  name: string;
  scenarioField: string;
  modelField: string;
  groups: ChecklistGroup[];
}

export type ChecklistResult = { checklist: Checklist } | { diagnostics: Diagnostic[] };

export async function loadChecklist(file: string): Promise<ChecklistResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { diagnostics: [{ file, line: 1, column: 1, severity: 'error', message: `cannot read the checklist: ${(err as Error).message}` }] };
  }
  return parseChecklist(text, file);
}

export function parseChecklist(text: string, file: string): ChecklistResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const diagnostics: Diagnostic[] = [];
  const at = (node: YamlNode | null | undefined, message: string) => {
    const pos = node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
    diagnostics.push({ file, line: pos.line, column: pos.col, severity: 'error', message });
  };
  for (const e of doc.errors) {
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    diagnostics.push({ file, line: pos.line, column: pos.col, severity: 'error', message: `not valid YAML/JSON: ${e.message.split('\n')[0]}` });
  }
  if (diagnostics.length > 0) return { diagnostics };

  const root = doc.contents;
  if (!isMap(root)) {
    at(root as YamlNode, 'a checklist is a mapping with `groups` (a list of groups with `items`)');
    return { diagnostics };
  }
  const str = (key: string, fallback: string): string => {
    const node = root.get(key, true) as YamlNode | undefined;
    if (node === undefined) return fallback;
    const v = doc.getIn([key]);
    if (typeof v !== 'string' || v.trim() === '') {
      at(node, `\`${key}\` must be a non-empty string`);
      return fallback;
    }
    return v;
  };
  const checklist: Checklist = { name: str('name', 'checklist'), scenarioField: str('scenarioField', 'scenario'), modelField: str('modelField', 'model'), groups: [] };
  for (const pair of root.items) {
    const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
    if (!['name', 'scenarioField', 'modelField', 'groups'].includes(key)) at(pair.key as YamlNode, `unknown key \`${key}\`; a checklist has name, scenarioField, modelField and groups`);
  }
  const groups = root.get('groups', true) as YamlNode | undefined;
  if (!isSeq(groups) || groups.items.length === 0) {
    at(groups ?? root, '`groups` must be a non-empty list of groups, each with `pattern` or `scenario` and `items`');
    return { diagnostics };
  }
  groups.items.forEach((g, gi) => {
    const where = `groups[${gi}]`;
    if (!isMap(g)) return at(g as YamlNode, `${where} must be a mapping with \`pattern\` or \`scenario\` and \`items\``);
    const pattern = g.get('pattern');
    const scenario = g.get('scenario');
    if ((pattern === undefined) === (scenario === undefined)) return at(g, `${where} needs exactly one of \`pattern\` (applies to every dialogue) or \`scenario\` (applies to lines of that scenario)`);
    const name = pattern ?? scenario;
    if (typeof name !== 'string' && typeof name !== 'number') return at(g, `${where}: the ${pattern !== undefined ? 'pattern' : 'scenario'} must be a string`);
    for (const pair of g.items) {
      const key = String((pair.key as { value?: unknown })?.value ?? pair.key);
      if (!['pattern', 'scenario', 'items'].includes(key)) at(pair.key as YamlNode, `unknown key \`${key}\` in ${where}; a group has pattern or scenario, and items`);
    }
    const items = g.get('items', true) as YamlNode | undefined;
    if (!isSeq(items) || items.items.length === 0) return at(items ?? g, `${where}.items must be a non-empty list of statements`);
    const group: ChecklistGroup = { name: String(name), kind: pattern !== undefined ? 'pattern' : 'scenario', items: [] };
    items.items.forEach((it, ii) => {
      const w = `${where}.items[${ii}]`;
      const value = (it as { toJSON?: () => unknown }).toJSON?.() ?? (it as { value?: unknown }).value;
      if (typeof value === 'string' && value.trim() !== '') return void group.items.push({ statement: value.trim(), weight: 1 });
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return at(it as YamlNode, `${w} must be a statement (a string) or {statement, weight}`);
      const { statement, weight = 1, ...rest } = value as Record<string, unknown>;
      const extra = Object.keys(rest);
      if (extra.length > 0) return at(it as YamlNode, `${w} has unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `\`${k}\``).join(', ')}; an item has statement and weight`);
      if (typeof statement !== 'string' || statement.trim() === '') return at(it as YamlNode, `${w}.statement must be a non-empty string`);
      if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) return at(it as YamlNode, `${w}.weight must be a positive number, got ${JSON.stringify(weight)}`);
      group.items.push({ statement: statement.trim(), weight });
    });
    checklist.groups.push(group);
  });
  return diagnostics.length > 0 ? { diagnostics } : { checklist };
}
