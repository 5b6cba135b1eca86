/**
 * The status bar item naming the active reward model (from its training summary); clicking it runs
 * Choose Reward Model. It follows the active editor, since the setting can differ per folder.
 */
import * as vscode from 'vscode';
import { acquireActiveModel, modelName, type ModelServices } from './activeModel';

export interface ModelStatusInfo {
  text: string;
  tooltip: string;
  file?: string;
  error?: string;
}

export class ModelStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('styletune.rewardModel', vscode.StatusBarAlignment.Right, 100);
  private info: ModelStatusInfo = { text: '', tooltip: '' };
  /** Only the latest update may write the item: an older, slower load must not overwrite a newer one. */
  private generation = 0;

  constructor(private readonly s: ModelServices) {
    this.item.name = 'StyleTune Reward Model';
    this.item.command = 'styletune.chooseRewardModel';
  }

  get current(): ModelStatusInfo {
    return this.info;
  }

  private latest: Promise<ModelStatusInfo> = Promise.resolve(this.info);

  /** Resolves to what the item shows once the newest update is done. */
  update(): Promise<ModelStatusInfo> {
    const gen = ++this.generation;
    const p = this.load().then((info) => {
      if (gen !== this.generation) return this.latest;
      this.info = info;
      this.item.text = info.text;
      this.item.tooltip = info.tooltip;
      this.item.backgroundColor = info.error ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
      this.item.show();
      return info;
    });
    this.latest = p;
    return p;
  }

  private async load(): Promise<ModelStatusInfo> {
    const uri = vscode.window.activeTextEditor?.document.uri;
    try {
      const lease = await acquireActiveModel(this.s, uri?.scheme === 'file' ? uri : undefined);
      try {
        const name = modelName(lease.model.spec, lease.file);
        return {
          text: `$(pulse) ${name}`,
          tooltip: `StyleTune reward model: ${lease.model.summary}\n${lease.file}\n\nClick to choose another model.`,
          file: lease.file,
        };
      } finally {
        lease.release();
      }
    } catch (err) {
      const error = (err as Error).message;
      return { text: '$(warning) StyleTune: no reward model', tooltip: `${error}\n\nClick to choose a model.`, error };
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}
