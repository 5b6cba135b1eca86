/**
 * "StyleTune: Start DPO Tuning…" without a job file: pick the base model folder, the pairs file, a preset
 * and the job folder; then a summary of what will run (preset, pairs, steps, device, a rough time) that
 * must be accepted before anything starts. The answers become `<job folder>/job.tune.json`, so the
 * folder carries its recipe; with the Custom preset (or "Edit Job File First") that file opens for
 * editing instead (its CodeLens starts it).
 *
 * Nothing is preselected where one Enter would commit to a long run: the pairs and preset lists open
 * with no item active, and list only files that hold pairs the trainer would use, with their count.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as vscode from 'vscode';
import { writeFileAtomic } from '../../core/atomic';
import { defaultJobName, PRESETS, quickJobFile, type PresetName, type QuickJob } from '../../core/jobs/jobFile';
import { durationText, effectiveSettings, modelParameters, planJob, roughSeconds, tokensPerPair, type DeviceKind } from '../../core/jobs/plan';
import { countTrainingPairs, type TrainingPairsCount } from '../../core/jobs/trainingPairs';
import { peekFile } from '../../core/pairs/peek';
import { setting } from '../settings';
import { pythonJson } from '../../core/worker/python';
import { trainerPython } from '../trainerPython';
import { count, counted } from '../../core/counted';

const EXCLUDE = '**/{node_modules,.git,.venv,.cache,dist,out}/**';

interface PathItem extends vscode.QuickPickItem {
  path?: string;
}

/**
 * A quick pick that opens with no item active, so Enter alone accepts nothing; typing to filter
 * activates the best match as usual. `fill` may add items while the list is open (busy until it ends).
 */
function pickWithoutDefault<T extends vscode.QuickPickItem>(o: {
  title: string;
  placeholder: string;
  items: T[];
  fill?: (add: (item: T) => void, signal: AbortSignal) => Promise<void>;
  /** The placeholder once fill has ended: with items, and without any. */
  donePlaceholder?: string;
  emptyPlaceholder?: string;
}): Promise<T | undefined> {
  const qp = vscode.window.createQuickPick<T>();
  qp.title = o.title;
  qp.placeholder = o.placeholder;
  qp.ignoreFocusOut = true;
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  qp.items = o.items;
  qp.activeItems = [];
  const abort = new AbortController();
  return new Promise<T | undefined>((resolvePick) => {
    let done = false;
    const finish = (item: T | undefined) => {
      if (done) return;
      done = true;
      abort.abort();
      resolvePick(item);
      qp.dispose();
    };
    qp.onDidAccept(() => {
      const item = qp.activeItems[0];
      if (item) finish(item);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
    if (o.fill) {
      qp.busy = true;
      let added = 0;
      const add = (item: T) => {
        if (done) return;
        added++;
        const active = qp.activeItems;
        // Keep the always-shown items (Browse…) last, and keep whatever the user made active.
        qp.items = [...qp.items.filter((i) => !i.alwaysShow), item, ...qp.items.filter((i) => i.alwaysShow)];
        qp.activeItems = active;
      };
      void o.fill(add, abort.signal).finally(() => {
        if (done) return;
        qp.busy = false;
        const placeholder = added === 0 ? o.emptyPlaceholder : o.donePlaceholder;
        if (placeholder) qp.placeholder = placeholder;
      });
    }
  });
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
    .map((d) => ({ label: `$(symbol-class) ${describe(d, folder)}`, path: d }));
}

async function pickModel(folder: string | undefined): Promise<string | undefined> {
  const browse: PathItem = { label: '$(folder-opened) Browse…', alwaysShow: true };
  const pick = await vscode.window.showQuickPick([...(await modelFolders(folder)), browse], {
    title: 'Start DPO Tuning (1/4): base model', placeHolder: 'A model folder in Hugging Face layout (local)', ignoreFocusOut: true, matchOnDescription: true,
  });
  if (!pick) return undefined;
  if (pick.path) return pick.path;
  return (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model', title: 'Base model folder' }))?.[0]?.fsPath;
}

interface PairsItem extends vscode.QuickPickItem {
  path?: string;
  count?: TrainingPairsCount;
}

const n = count;

/** "4,948 pairs" and what the trainer leaves out or stops at. */
function countText(c: TrainingPairsCount): { description: string; detail?: string } {
  const left = [
    c.unlabeled ? `${n(c.unlabeled)} unlabeled` : '',
    c.noPreference ? `${n(c.noPreference)} tie/skip` : '',
  ].filter(Boolean);
  const detail = [
    left.length ? `${left.join(', ')} ${c.unlabeled + c.noPreference === 1 ? 'line' : 'lines'} left out` : '',
    c.invalid ? `$(warning) ${counted(c.invalid, 'line')} not a pair (first: line ${c.firstInvalidLine}): training stops there` : '',
  ].filter(Boolean).join(' · ');
  return { description: counted(c.pairs, 'pair'), detail: detail || undefined };
}

/** A file's pairs, if its first lines look like pairs or labeler candidates at all (dialogues, votes… are not). */
async function pairsIn(file: string, signal?: AbortSignal): Promise<TrainingPairsCount | undefined> {
  try {
    const peek = await peekFile(file);
    if (peek.shapes.pair + peek.shapes.responses === 0) return undefined;
    const count = await countTrainingPairs(file, signal);
    return count.pairs > 0 ? count : undefined;
  } catch {
    return undefined; // unreadable: not a candidate
  }
}

async function pickPairs(folder: string | undefined): Promise<{ path: string; count: TrainingPairsCount } | undefined> {
  const files = (await vscode.workspace.findFiles('**/*.jsonl', `{${EXCLUDE},**/events.jsonl,**/worker-stdout.jsonl,**/*.votes.jsonl,**/*.ratings.jsonl}`, 500))
    .map((u) => u.fsPath)
    .sort();
  for (;;) {
    const browse: PairsItem = { label: '$(folder-opened) Browse…', alwaysShow: true };
    const pick = await pickWithoutDefault<PairsItem>({
      title: 'Start DPO Tuning (2/4): preference pairs',
      placeholder: 'Counting the preference pairs in this workspace\'s JSONL files…',
      donePlaceholder: 'Files that hold preference pairs, with the pairs the trainer would use',
      emptyPlaceholder: 'No file in this workspace holds labeled preference pairs: label some (StyleTune: Label Pairs), or Browse…',
      items: [browse],
      fill: async (add, signal) => {
        for (const f of files) {
          if (signal.aborted) return;
          const count = await pairsIn(f, signal);
          if (count && !signal.aborted) add({ label: `$(file) ${describe(f, folder)}`, ...countText(count), path: f, count });
        }
      },
    });
    if (!pick) return undefined;
    if (pick.path && pick.count) return { path: pick.path, count: pick.count };
    const chosen = (await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: false, filters: { 'JSON Lines': ['jsonl'] }, openLabel: 'Use these pairs', title: 'Preference pairs' }))?.[0]?.fsPath;
    if (!chosen) continue;
    const count = await countTrainingPairs(chosen).catch(() => undefined);
    if (count && count.pairs > 0) return { path: chosen, count };
    await vscode.window.showErrorMessage(`StyleTune: ${basename(chosen)} holds no preference pairs the trainer can use (TRL {prompt, chosen, rejected} lines, or lines labeled in the pair labeler).`, { modal: true });
  }
}

/** Asks the four questions; undefined when the user cancels any of them. */
export async function askQuickJob(): Promise<(QuickJob & { custom: boolean; pairs: TrainingPairsCount }) | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const model = await pickModel(folder);
  if (!model) return undefined;
  const pairs = await pickPairs(folder);
  if (!pairs) return undefined;
  type PresetItem = vscode.QuickPickItem & { preset?: PresetName; custom: boolean };
  const preset = await pickWithoutDefault<PresetItem>({
    title: 'Start DPO Tuning (3/4): settings',
    placeholder: 'A published recipe, or your own (a summary follows before anything starts)',
    items: [
      ...PRESETS.map((p) => ({ label: p.label, description: p.name, detail: p.detail, preset: p.name, custom: false })),
      { label: 'Custom', description: 'edit the job file first', detail: 'Writes the job file and opens it: every key has IntelliSense; ▶ Start DPO Tuning at its top runs it.', custom: true },
    ],
  });
  if (!preset) return undefined;
  const base = folder ?? dirname(pairs.path);
  const suggested = join('jobs', defaultJobName(pairs.path));
  const out = await vscode.window.showInputBox({
    title: 'Start DPO Tuning (4/4): job folder',
    prompt: `Checkpoints, the log and the adapter go here (relative to ${base})`,
    value: suggested,
    valueSelection: [5, suggested.length],
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? undefined : 'Name a folder for the job'),
  });
  if (!out) return undefined;
  return { model, trainFile: pairs.path, jobDir: resolve(base, out.trim()), preset: preset.preset, custom: preset.custom, pairs: pairs.count };
}

/** What torch will train on: "cuda" with the GPU's name, or "cpu". Seconds, as it imports torch. */
async function probeDevice(python: string): Promise<{ kind: DeviceKind; name: string; count: number }> {
  const code = 'import json, torch; c = torch.cuda.is_available(); print(json.dumps({"cuda": c, "count": torch.cuda.device_count() if c else 0, "name": torch.cuda.get_device_name(0) if c else ""}))';
  try {
    const r = await pythonJson<{ cuda: boolean; count: number; name: string }>(python, ['-c', code], { timeoutMs: 120_000 });
    return r.cuda ? { kind: 'cuda', name: r.name, count: r.count } : { kind: 'cpu', name: '', count: 0 };
  } catch {
    return { kind: 'cpu', name: '', count: 0 };
  }
}

export type Confirmation = 'start' | 'edit' | undefined;

/**
 * The summary of a quick job, as a modal the user must accept: preset, pairs, steps (epochs × steps per
 * epoch), device, model size and a rough time. Resolving the interpreter first may offer to set up
 * Python; that throws TrainerPythonError like any start does.
 */
export async function confirmQuickJob(q: QuickJob & { pairs: TrainingPairsCount }, s: { extensionPath: string }): Promise<Confirmation> {
  const { text } = quickJobFile(q);
  const settings = effectiveSettings(JSON.parse(text) as Record<string, unknown>);
  const processes = setting('tuning.processes', vscode.Uri.file(q.trainFile));
  const python = await trainerPython(s.extensionPath, vscode.Uri.file(q.trainFile));
  const device = settings.device === 'cpu'
    ? { kind: 'cpu' as const, name: '', count: 0 }
    : await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'StyleTune: checking which device torch will train on…' }, () => probeDevice(python.path));
  const ranks = processes === 0 ? Math.max(1, device.count) : Math.max(1, processes);
  const plan = planJob(settings, q.pairs.pairs, ranks);
  const params = modelParameters(q.model);
  const preset = PRESETS.find((p) => p.name === q.preset);
  const lines = [
    `Preset: ${preset ? `${preset.label} (${preset.detail.replace(/^[^:]*: /, '')})` : "none (the trainer's defaults)"}`,
    `Pairs: ${n(plan.pairs)} from ${basename(q.trainFile)}${q.pairs.unlabeled + q.pairs.noPreference ? ` (${n(q.pairs.unlabeled + q.pairs.noPreference)} unlabeled, tie or skip lines left out)` : ''}`,
    `Steps: ${n(plan.steps)}${plan.fromMaxSteps ? ' (max_steps)' : ` (${counted(plan.epochs, 'epoch')} × ${counted(plan.stepsPerEpoch, 'step')} of ${counted(plan.globalBatch, 'pair')})`}`,
    `Device: ${device.kind === 'cuda' ? `GPU (${device.name}${device.count > 1 ? `, ${device.count} visible` : ''})` : 'CPU (torch sees no CUDA GPU)'}${ranks > 1 ? `, ${ranks} processes` : ''}`,
    `Model: ${basename(q.model)}${params ? ` (~${paramsText(params)} parameters)` : ''}`,
    params
      ? `Rough time: ${durationText(roughSeconds({ params, tokensPerPair: tokensPerPair(q.pairs.meanChars, settings), plan, device: device.kind, processes: ranks }))} (an order of magnitude from the model's size and the pairs' length)`
      : 'Rough time: unknown (no weight files in the model folder to measure)',
    `Job folder: ${q.jobDir}`,
    q.pairs.invalid ? `Warning: line ${q.pairs.firstInvalidLine} of the pairs file is not a pair; the trainer stops there.` : '',
  ].filter(Boolean);
  const start = 'Start Tuning';
  const edit = 'Edit Job File First';
  const pick = await vscode.window.showInformationMessage(`Start DPO tuning: ${n(plan.steps)} steps on ${n(plan.pairs)} pairs?`, { modal: true, detail: lines.join('\n') }, start, edit);
  return pick === start ? 'start' : pick === edit ? 'edit' : undefined;
}

function paramsText(p: number): string {
  if (p >= 1e9) return `${(p / 1e9).toFixed(1)}B`;
  if (p >= 1e6) return `${(p / 1e6).toFixed(1)}M`;
  return `${Math.round(p / 1e3)}k`;
}

/** Writes the job file of a quick job; returns its path. */
export async function writeQuickJob(q: QuickJob): Promise<string> {
  const { path, text } = quickJobFile(q);
  mkdirSync(q.jobDir, { recursive: true });
  await writeFileAtomic(path, text);
  return path;
}
