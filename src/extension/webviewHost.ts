/**
 * The one lifecycle every StyleTune webview shares (inspector, job, preview, vote, vote report, labeler):
 * the panel is created or taken over (a serializer's revival, a custom editor) with our page and resource
 * roots; what the page sends is validated by its protocol and logged when invalid; `post` is typed and waits
 * for the page's `ready`; listeners are held the custom-editor sample's way (`Disposable`, dispose.ts) and
 * let go with the panel; a failing handler is logged and shown the same way everywhere.
 * The VS Code-free part (validation, the ready queue) is webviewChannel.ts.
 */
import * as vscode from 'vscode';
import { WebviewChannel, type TypedMessage } from './webviewChannel';
import { webviewPage, webviewRoots, type PageOptions } from './webviewPage';

/** Holds disposables and lets go of them once (vscode-extension-samples' custom-editor-sample/src/dispose.ts). */
export class Disposable implements vscode.Disposable {
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Keeps `d` until this is disposed (at once when it already is). */
  register<T extends vscode.Disposable>(d: T): T {
    if (this.disposed) d.dispose();
    else this.disposables.push(d);
    return d;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        // One listener failing to let go must not keep the others.
      }
    }
  }
}

export interface WebviewHostOptions<In extends TypedMessage> {
  /** For log lines and error notifications: "Inspector", "Blind vote". */
  name: string;
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  page: PageOptions;
  /** The protocol's validator of what the page sends. */
  validate: (m: unknown) => m is In;
  /** A valid message. A throw or rejection is logged, shown, and handed to `onError`. */
  receive: (m: In) => void | Promise<unknown>;
  /** The owner posts its whole state on every `ready`: posts before the first are dropped, not queued. */
  resendsOnReady?: boolean;
  /** After a failure was logged and shown: e.g. tell the page. */
  onError?: (err: Error) => void;
  /** The panel closed (by the user or by `dispose`): the owner forgets it. Runs once, after the listeners went. */
  onDispose?: () => void;
  /** The message an error notification starts with (default: `name`). */
  errorTitle?: string;
}

export interface CreateOptions {
  viewType: string;
  title: string;
  showOptions: vscode.ViewColumn | { viewColumn: vscode.ViewColumn; preserveFocus?: boolean };
  /**
   * Keep the page alive in a background tab. Only for a page with state of its own that `ready` cannot
   * bring back; every other page is rebuilt from the host when shown again (the webview sample's advice).
   */
  retainContextWhenHidden?: boolean;
}

export class WebviewHost<In extends TypedMessage, Out> extends Disposable {
  private readonly channel: WebviewChannel<In, Out>;

  /** The panel VS Code restored after a reload when there is one (adopted), else a new panel with our page. */
  static open<In extends TypedMessage, Out>(restored: vscode.WebviewPanel | undefined, create: CreateOptions, o: WebviewHostOptions<In>): WebviewHost<In, Out> {
    if (restored) return WebviewHost.adopt(restored, o);
    const panel = vscode.window.createWebviewPanel(create.viewType, create.title, create.showOptions, {
      enableScripts: true,
      localResourceRoots: webviewRoots(o.extensionUri),
      ...(create.retainContextWhenHidden ? { retainContextWhenHidden: true } : {}),
    });
    return new WebviewHost(panel, o);
  }

  /** A panel VS Code hands over: a serializer's revival after a reload, or a custom editor's. */
  static adopt<In extends TypedMessage, Out>(panel: vscode.WebviewPanel, o: WebviewHostOptions<In>): WebviewHost<In, Out> {
    panel.webview.options = { enableScripts: true, localResourceRoots: webviewRoots(o.extensionUri) };
    return new WebviewHost(panel, o);
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly o: WebviewHostOptions<In>,
  ) {
    super();
    const webview = panel.webview;
    this.channel = new WebviewChannel<In, Out>({
      name: o.name,
      validate: o.validate,
      receive: o.receive,
      resendsOnReady: o.resendsOnReady,
      send: (m) => void webview.postMessage(m),
      invalid: (what) => o.log.warn(`${o.name}: ignored an invalid message from the webview: ${what}`),
      fail: (err) => this.reportError(err),
    });
    webview.html = webviewPage(webview, o.extensionUri, o.page);
    this.register(webview.onDidReceiveMessage((m: unknown) => this.channel.receive(m)));
    this.register(panel.onDidDispose(() => this.dispose()));
  }

  /** To the page; held until it has said `ready`. */
  post(m: Out): void {
    if (!this.isDisposed) this.channel.post(m);
  }

  /** Whether the page has said `ready`. */
  get ready(): boolean {
    return this.channel.ready;
  }

  /** Logs a failure with its stack and shows it; then the owner's `onError`. */
  reportError(err: Error): void {
    this.o.log.error(`${this.o.name}: ${err.stack ?? err}`);
    void vscode.window.showErrorMessage(`${this.o.errorTitle ?? this.o.name}: ${err.message}`);
    this.o.onError?.(err);
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.o.onDispose?.();
    // Closing it ourselves (a failed load): the panel goes too. Disposing a disposed panel does nothing.
    this.panel.dispose();
  }
}
