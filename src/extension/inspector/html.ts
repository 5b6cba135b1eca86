/** The inspector webview's page (see ../webviewPage.ts for the CSP and resource rules). */
import type * as vscode from 'vscode';
import { webviewPage, webviewRoots } from '../webviewPage';

export const localRoots = webviewRoots;

export function inspectorHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  return webviewPage(webview, extensionUri, {
    bundle: 'inspector',
    title: 'StyleTune Inspector',
    stylesheets: ['inspector.css'],
    body: '<div id="app" aria-busy="true">Loading…</div>',
  });
}
