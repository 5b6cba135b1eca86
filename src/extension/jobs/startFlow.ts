/**
 * "StyleTune: Start DPO Tuning…" without a job file: pick the base model folder, the pairs file, a preset
 * and the job folder. The answers become `<job folder>/job.tune.json`, so the folder carries its recipe;
 * with the Custom preset that file opens for editing first (its CodeLens starts it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as vscode from 'vscode';
import { defaultJobName, PRESETS, quickJobFile, type PresetName, type QuickJob } from '../../core/jobs/jobFile';
import { writeFileAtomic } from '../../core/atomic';

const EXCLUDE = '**/{node_modules,.git,.venv,.cache,dist,out}/**';

interface PathItem extends vscode.QuickPickItem {
  path?: string;
}

async function pickPath(title: string, placeholder: string, items: PathItem[], browse: vscode.OpenDialogOptions): Promise<string | undefined> {
  const browseItem: PathItem = { label: '$(folder-opened) Browse…', alwaysShow: true };
  const pick = await vscode.window.showQuickPick([...items, browseItem], { title, placeHolder: placeholder, ignoreFocusOut: true, matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.path) return pick.path;
  const chosen = await vscode.window.showOpenDialog({ ...browse, title });
  return chosen?.[0]?.fsPath;
}

function describe(path: string, folder: string | undefined): string {
  return folder ? relative(folder, path) || '.' : path;
}

/** Model folders in the workspace: a config.json next to weights or a tokenizer (adapters have adapter_config.json). */
async function modelFolders(folder: string | undefined): Promise<PathItem[]> {
  const configs = await vscode.workspace.findFiles('**/config.json', EXCLUDE, 500);
  return configs
    .map((u) => dirname(u.fsPath))
    .filter((d) => ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'tokenizer.json', 'tokenizer_config.json'].some((f) => existsSync(join(d, f))))
    .filter((d) => !existsSync(join(d, 'status.json'))) // a job folder's config.json is the job's, not a model's
    .sort()
    .map((d) => ({ label: `$(symbol-class) ${describe(d, folder)}`, description: d === folder ? '' : undefined, path: d }));
}

async function pairFiles(folder: string | undefined): Promise<PathItem[]> {
  const files = await vscode.workspace.findFiles('**/*.jsonl', `{${EXCLUDE},**/events.jsonl,**/worker-stdout.jsonl}`, 500);
  return files.map((u) => u.fsPath).sort().map((f) => ({ label: `$(file) ${describe(f, folder)}`, path: f }));
}

/** Asks the four questions; undefined when the user cancels any of them. */
export async function askQuickJob(): Promise<(QuickJob & { custom: boolean }) | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const model = await pickPath('Start DPO Tuning (1/4): base model', 'A model folder in Hugging Face layout (local)', await modelFolders(folder), {
    canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model',
  });
  if (!model) return undefined;
  const trainFile = await pickPath('Start DPO Tuning (2/4): preference pairs', 'A JSONL file with prompt, chosen and rejected', await pairFiles(folder), {
    canSelectFiles: true, canSelectFolders: false, filters: { 'JSON Lines': ['jsonl'] }, openLabel: 'Use these pairs',
  });
  if (!trainFile) return undefined;
  type PresetItem = vscode.QuickPickItem & { preset?: PresetName; custom: boolean };
  const presets: PresetItem[] = [
    ...PRESETS.map((p) => ({ label: p.label, description: p.name, detail: p.detail, preset: p.name, custom: false })),
    { label: 'Custom', description: 'edit the job file first', detail: 'Writes the job file and opens it: every key has IntelliSense; ▶ Start DPO Tuning at its top runs it.', custom: true },
  ];
  const preset = await vscode.window.showQuickPick(presets, { title: 'Start DPO Tuning (3/4): settings', placeHolder: 'A published recipe, or your own', ignoreFocusOut: true });
  if (!preset) return undefined;
  const base = folder ?? dirname(trainFile);
  const suggested = join('jobs', defaultJobName(trainFile));
  const out = await vscode.window.showInputBox({
    title: 'Start DPO Tuning (4/4): job folder',
    prompt: `Checkpoints, the log and the adapter go here (relative to ${base})`,
    value: suggested,
    valueSelection: [5, suggested.length],
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Name a folder for the job'),
  });
  if (!out) return undefined;
  return { model, trainFile, jobDir: resolve(base, out.trim()), preset: preset.preset, custom: preset.custom };
}

/** Writes the job file of a quick job; returns its path. */
export async function writeQuickJob(q: QuickJob): Promise<string> {
  const { path, text } = quickJobFile(q);
  mkdirSync(q.jobDir, { recursive: true });
  await writeFileAtomic(path, text);
  return path;
}
