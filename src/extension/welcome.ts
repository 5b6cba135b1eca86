/**
 * The welcome: the "Get Started with StyleTune" walkthrough (package.json `contributes.walkthroughs`,
 * its text in media/walkthrough/) and what makes its steps complete.
 *
 * A step completes when the real thing happened, not when its button was clicked: each step's
 * `completionEvents` is `onContext:styletune.welcome.<step>`, and the code that does the thing (a file
 * scored, a label written, a job launched…) calls `welcomeDone(step)` once it succeeded. VS Code keeps a
 * completed step completed; the three labels of the labeling step are counted in globalState, so they
 * add up across windows and reloads.
 *
 * The walkthrough opens by itself once, on the first activation after install (remembered in
 * globalState), unless the user turned off `workbench.welcomePage.walkthroughs.openOnInstall` (VS
 * Code's own switch for exactly this) or set `workbench.startupEditor` to "none". `StyleTune: Get
 * Started` opens it any time.
 *
 * `styletune.openSample` is what the steps' buttons run: it opens a file of the sample workspace
 * (samples/workspace, shipped in the VSIX), copied into the open folder first when it is not there, so
 * that labels and votes are written to the user's copy, never into the extension.
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import { startWorker } from '../core/worker/worker';
import { showTrainerPythonError, trainerPython } from './trainerPython';
import { walkthroughMayOpen } from './settings';

export const WALKTHROUGH_ID = 'gettingStarted';
export const WELCOME_STEPS = ['openSample', 'score', 'inspect', 'label', 'fit', 'tune', 'preview', 'vote'] as const;
export type WelcomeStep = (typeof WELCOME_STEPS)[number];
/** Labels the labeling step asks for. */
export const LABELS_TO_COMPLETE = 3;

const SHOWN_KEY = 'styletune.welcome.shown';
const LABELS_KEY = 'styletune.welcome.labels';
/** Where the sample files go in an open folder that does not hold them already. */
export const SAMPLE_FOLDER = 'styletune-sample';

/** What `styletune.openSample` does with the file once it is open. */
type SampleAction = 'open' | 'label' | 'inspect' | 'score' | 'fit' | 'vote';

let memento: vscode.Memento | undefined;
let extensionPath: string | undefined;
let storageUri: vscode.Uri | undefined;

export const contextKey = (step: WelcomeStep): string => `styletune.welcome.${step}`;

/** Marks a walkthrough step as done (the real thing happened). Cheap; call it on every success. */
export function welcomeDone(step: WelcomeStep): void {
  void vscode.commands.executeCommand('setContext', contextKey(step), true);
}

/** One label written by the labeler (not a skip): the labeling step completes at the third. */
export function welcomeLabeled(): void {
  const n = (memento?.get<number>(LABELS_KEY) ?? 0) + 1;
  void memento?.update(LABELS_KEY, n);
  if (n >= LABELS_TO_COMPLETE) welcomeDone('label');
}

/**
 * Wraps a command so that its step completes when it returns a result: the commands below return
 * undefined when cancelled or failed and `{ error }` for a failed preview.
 */
export function completes<A extends unknown[], R>(step: WelcomeStep, run: (...args: A) => Promise<R> | R): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const result = await run(...args);
    if (result !== undefined && result !== null && !(typeof result === 'object' && 'error' in result)) welcomeDone(step);
    return result;
  };
}

export function walkthroughFullId(context: vscode.ExtensionContext): string {
  return `${context.extension.id}#${WALKTHROUGH_ID}`;
}

export function registerWelcome(context: vscode.ExtensionContext): void {
  memento = context.globalState;
  extensionPath = context.extensionPath;
  storageUri = context.globalStorageUri;
  const open = () => vscode.commands.executeCommand('workbench.action.openWalkthrough', walkthroughFullId(context), false);

  context.subscriptions.push(
    vscode.commands.registerCommand('styletune.welcome', open),
    vscode.commands.registerCommand('styletune.createTinyModel', createTinyModel),
    vscode.commands.registerCommand('styletune.openSample', (file?: unknown, action?: unknown) => openSample(typeof file === 'string' ? file : 'dialogues.jsonl', isAction(action) ? action : 'open')),
    // Opening any JSONL file is the first step, whichever way it was opened (text editor or labeler).
    vscode.window.tabGroups.onDidChangeTabs((e) => {
      if ([...e.opened, ...e.changed].some((t) => isJsonlTab(t))) welcomeDone('openSample');
    }),
  );
  if (vscode.window.tabGroups.all.some((g) => g.tabs.some(isJsonlTab))) welcomeDone('openSample');
  if ((memento.get<number>(LABELS_KEY) ?? 0) >= LABELS_TO_COMPLETE) welcomeDone('label');

  const openOnInstall = walkthroughMayOpen();
  if (!memento.get<boolean>(SHOWN_KEY)) {
    // Remembered even when the switch is off: turning it on later must not open it on some later start.
    void memento.update(SHOWN_KEY, true);
    if (openOnInstall) void open();
  }
}

function isJsonlTab(tab: vscode.Tab): boolean {
  const input = tab.input;
  return (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) && input.uri.path.endsWith('.jsonl');
}

const ACTIONS: readonly SampleAction[] = ['open', 'label', 'inspect', 'score', 'fit', 'vote'];
const isAction = (v: unknown): v is SampleAction => ACTIONS.includes(v as SampleAction);

/**
 * The sample file `name` (a path inside samples/workspace): the open folder's own copy when the folder is
 * the sample workspace (it has the file at that path) or already has the copy in styletune-sample/;
 * otherwise the sample workspace is copied there first. With no folder open, the copy goes to the
 * extension's global storage.
 */
export function sampleFile(name: string, storage: vscode.Uri): string {
  const samples = join(extensionPath ?? '', 'samples', 'workspace');
  const source = join(samples, name);
  if (relative(samples, source).split(sep).includes('..')) throw new Error(`no sample named ${name}`);
  if (!existsSync(source)) throw new Error(`no sample named ${name} (looked in ${samples})`);
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (folder?.scheme === 'file') {
    const own = join(folder.fsPath, name);
    if (existsSync(own)) return own;
    const copy = join(folder.fsPath, SAMPLE_FOLDER, name);
    if (!existsSync(copy)) cpSync(samples, join(folder.fsPath, SAMPLE_FOLDER), { recursive: true, force: false });
    return copy;
  }
  const copy = join(storage.fsPath, 'sample', name);
  if (!existsSync(copy)) {
    mkdirSync(storage.fsPath, { recursive: true });
    cpSync(samples, join(storage.fsPath, 'sample'), { recursive: true, force: false });
  }
  return copy;
}

async function openSample(name: string, action: SampleAction): Promise<string | undefined> {
  let file: string;
  try {
    file = sampleFile(name, storageUri!);
  } catch (err) {
    void vscode.window.showErrorMessage(`StyleTune: cannot open the sample: ${(err as Error).message}`);
    return undefined;
  }
  const uri = vscode.Uri.file(file);
  switch (action) {
    case 'label':
      await vscode.commands.executeCommand('styletune.labelPairs', uri);
      break;
    case 'inspect':
      await vscode.commands.executeCommand('styletune.openInspector', uri);
      break;
    case 'score':
      await vscode.window.showTextDocument(uri);
      await vscode.commands.executeCommand('styletune.scoreCurrentFile', uri);
      break;
    case 'fit':
      await vscode.window.showTextDocument(uri);
      await vscode.commands.executeCommand('styletune.fitRewardModel', uri);
      break;
    case 'vote':
      await vscode.commands.executeCommand('styletune.blindVote', uri);
      break;
    default:
      // A *.pairs.jsonl opens in the labeler (its default editor); anything else as text.
      await vscode.commands.executeCommand('vscode.open', uri);
  }
  return file;
}

/**
 * `styletune.createTinyModel`: the tiny random chat model (trainer/styletune_trainer/tiny.py, about a
 * second on the CPU) where the sample job file tuning/tiny.tune.json expects it, so that the tuning step
 * runs without downloading anything. Its replies are gibberish: the preview says so.
 */
async function createTinyModel(): Promise<string | undefined> {
  let out: string;
  try {
    out = join(dirname(sampleFile('tuning/tiny.tune.json', storageUri!)), 'models', 'tiny');
  } catch (err) {
    void vscode.window.showErrorMessage(`StyleTune: ${(err as Error).message}`);
    return undefined;
  }
  if (existsSync(join(out, 'config.json'))) {
    void vscode.window.showInformationMessage(`The tiny test model is there already: ${out}. Click ▶ Start DPO Tuning at the top of tiny.tune.json.`);
    await vscode.window.showTextDocument(vscode.Uri.file(join(dirname(dirname(out)), 'tiny.tune.json')));
    return out;
  }
  let python: string;
  try {
    python = (await trainerPython(extensionPath!, vscode.Uri.file(out))).path;
  } catch (err) {
    await showTrainerPythonError(err);
    return undefined;
  }
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Creating the tiny test model…' },
    () => startWorker({ python, repoRoot: extensionPath, args: ['make-tiny-model', out] }).result,
  );
  if (result.outcome !== 'done') {
    void vscode.window.showErrorMessage(`StyleTune: could not create the tiny test model: ${result.message}`);
    return undefined;
  }
  await vscode.window.showTextDocument(vscode.Uri.file(join(dirname(dirname(out)), 'tiny.tune.json')));
  void vscode.window.showInformationMessage('Created the tiny test model (random weights, for trying things out). Click ▶ Start DPO Tuning at the top of tiny.tune.json.');
  return out;
}
