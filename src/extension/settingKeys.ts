/**
 * Every `styletune.*` setting's key and value type, in one table; their defaults, ranges and help text
 * live in package.json's `contributes.configuration` (a unit test keeps the two in step). Pure (no
 * `vscode`), so the table and the small rules below are unit-tested in plain Node; settings.ts reads them.
 */
import { userInfo } from 'node:os';

export const SETTING_TYPES = {
  rewardModelPath: 'string',
  role: 'string',
  inlineAnnotations: 'boolean',
  annotator: 'string',
  pythonPath: 'string',
  'tuning.processes': 'number',
  'preview.maxNewTokens': 'number',
  'preview.temperature': 'number',
  'judge.baseUrl': 'string',
  'judge.localModel': 'string',
  'judge.model': 'string',
  'judge.requestsPerMinute': 'number',
  'judge.concurrency': 'number',
  'judge.timeoutSeconds': 'number',
  'judge.maxRetries': 'number',
  'pairs.casualSystemPrompt': 'string',
  'pairs.formalSystemPrompt': 'string',
} as const;

interface TypeOfKind {
  string: string;
  number: number;
  boolean: boolean;
}

export type SettingKey = keyof typeof SETTING_TYPES;
export type Settings = { [K in SettingKey]: TypeOfKind[(typeof SETTING_TYPES)[K]] };

/**
 * The value if it has the key's type (strings trimmed: every string setting means its trimmed text),
 * else undefined: a hand-edited settings.json can hold anything, and a wrong type must not leak in.
 */
export function checkedValue<K extends SettingKey>(key: K, value: unknown): Settings[K] | undefined {
  const kind = SETTING_TYPES[key];
  if (kind === 'number') return (typeof value === 'number' && Number.isFinite(value) ? value : undefined) as Settings[K] | undefined;
  if (typeof value !== kind) return undefined;
  return (typeof value === 'string' ? value.trim() : value) as Settings[K];
}

/**
 * Whose turns are scored: the `styletune.role` setting, else the reward model's own role (saved in its
 * ONNX metadata when it was fitted), exactly as the CLI's `--role` defaults. `'assistant'` only when
 * there is no model to ask either.
 */
export function effectiveRole(setting: string, modelRole: string | undefined): string {
  return setting || modelRole || 'assistant';
}

/** The `styletune.annotator` setting, else the OS user name, else '' (no passwd entry in some containers). */
export function effectiveAnnotator(setting: string, osUser: () => string = () => userInfo().username): string {
  if (setting) return setting;
  try {
    return osUser();
  } catch {
    // An unnamed label or vote is still valid: nothing is lost by leaving the field empty.
    return '';
  }
}
