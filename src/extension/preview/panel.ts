/**
 * The one preview panel: shows the latest preview's state, and hands the webview's intents (append,
 * open in labeler, regenerate) to the controller. After a window reload VS Code hands the panel back
 * (the serializer in index.ts) and the controller shows the last preview in it again.
 */
import * as vscode from 'vscode';
import { isViewMessage, type HostMessage, type PreviewView, type ViewMessage } from '../../../webview/preview/protocol';
import { WebviewHost } from '../webviewHost';
import { previewPage } from './html';

export const PREVIEW_VIEW_TYPE = 'styletune.preview';

export type Rendered = Extract<ViewMessage, { type: 'rendered' }>;

export interface PanelIntents {
  append(): void;
  openLabeler(): void;
  regenerate(): void;
}

export class PreviewPanel {
  private static current: PreviewPanel | undefined;
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

  private readonly host: WebviewHost<ViewMessage, HostMessage>;

  private constructor(
    s: { extensionPath: string; log: vscode.LogOutputChannel },
    private intents: PanelIntents,
    restored?: vscode.WebviewPanel,
  ) {
    // No retainContextWhenHidden: the page shows only what `update` last sent, and gets it again on `ready`
    // when its tab comes back to the front (generation goes on in the host meanwhile).
    const options = {
      name: 'Preview',
      extensionUri: vscode.Uri.file(s.extensionPath),
      log: s.log,
      page: previewPage(),
      validate: isViewMessage,
      receive: (m: ViewMessage) => this.receive(m),
      resendsOnReady: true,
      onDispose: () => {
        if (PreviewPanel.current === this) PreviewPanel.current = undefined;
      },
    };
    this.host = WebviewHost.open(restored, { viewType: PREVIEW_VIEW_TYPE, title: 'StyleTune Preview', showOptions: { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true } }, options);
    PreviewPanel.current = this;
  }

  private get panel(): vscode.WebviewPanel {
    return this.host.panel;
  }

  get view(): PreviewView | undefined {
    return this.state;
  }

  update(state: PreviewView): void {
    this.state = state;
    this.host.post({ type: 'state', state });
  }

  private receive(m: ViewMessage): void {
    switch (m.type) {
      case 'ready':
        if (this.state) this.host.post({ type: 'state', state: this.state });
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
