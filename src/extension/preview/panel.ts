/**
 * The one preview panel: shows the latest preview's state, and hands the webview's intents (append,
 * open in labeler, regenerate) to the controller. After a window reload VS Code hands the panel back
 * (the serializer in index.ts) and the controller shows the last preview in it again.
 */
import * as vscode from 'vscode';
import { isViewMessage, type PreviewView, type ViewMessage } from '../../../webview/preview/protocol';
import { webviewRoots } from '../webviewPage';
import { previewHtml } from './html';

export const PREVIEW_VIEW_TYPE = 'styletune.preview';

export type Rendered = Extract<ViewMessage, { type: 'rendered' }>;

export interface PanelIntents {
  append(): void;
  openLabeler(): void;
  regenerate(): void;
}

export class PreviewPanel {
  private static current: PreviewPanel | undefined;
  private ready = false;
  private state: PreviewView | undefined;
  /** The webview's last report of what it shows (tests read it through styletune.previewState). */
  rendered: Rendered | undefined;

  static show(s: { extensionPath: string; log: vscode.LogOutputChannel }, intents: PanelIntents, state: PreviewView): PreviewPanel {
    const p = PreviewPanel.current ?? new PreviewPanel(s, intents);
    p.intents = intents;
    p.panel.reveal(undefined, true);
    p.update(state);
    return p;
  }

  /** Takes over a panel VS Code restored after a reload. */
  static revive(panel: vscode.WebviewPanel, s: { extensionPath: string; log: vscode.LogOutputChannel }, intents: PanelIntents, state: PreviewView): PreviewPanel {
    PreviewPanel.current?.panel.dispose();
    const p = new PreviewPanel(s, intents, panel);
    p.update(state);
    return p;
  }

  static get open(): PreviewPanel | undefined {
    return PreviewPanel.current;
  }

  private readonly panel: vscode.WebviewPanel;

  private constructor(
    private readonly s: { extensionPath: string; log: vscode.LogOutputChannel },
    private intents: PanelIntents,
    restored?: vscode.WebviewPanel,
  ) {
    const root = vscode.Uri.file(s.extensionPath);
    const options = {
      enableScripts: true,
      localResourceRoots: webviewRoots(root),
      // Generation takes a while: keep the page (and what it shows) when its tab is in the background.
      retainContextWhenHidden: true,
    };
    if (restored) restored.webview.options = options;
    this.panel = restored ?? vscode.window.createWebviewPanel(PREVIEW_VIEW_TYPE, 'StyleTune Preview', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, options);
    this.panel.webview.html = previewHtml(this.panel.webview, root);
    PreviewPanel.current = this;
    const sub = this.panel.webview.onDidReceiveMessage((m: unknown) => this.receive(m));
    this.panel.onDidDispose(() => {
      sub.dispose();
      if (PreviewPanel.current === this) PreviewPanel.current = undefined;
    });
  }

  get view(): PreviewView | undefined {
    return this.state;
  }

  update(state: PreviewView): void {
    this.state = state;
    if (this.ready) void this.panel.webview.postMessage({ type: 'state', state });
  }

  private receive(m: unknown): void {
    // The webview is a page like any other: never trust what it sends.
    if (!isViewMessage(m)) {
      this.s.log.warn(`Preview: ignored an invalid message ${JSON.stringify(m)?.slice(0, 200)}`);
      return;
    }
    switch (m.type) {
      case 'ready':
        this.ready = true;
        if (this.state) void this.panel.webview.postMessage({ type: 'state', state: this.state });
        return;
      case 'rendered':
        this.rendered = m;
        return;
      case 'append':
        return this.intents.append();
      case 'openLabeler':
        return this.intents.openLabeler();
      case 'regenerate':
        return this.intents.regenerate();
    }
  }
}
