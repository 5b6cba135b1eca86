/** The vote view's page (see ../webviewPage.ts for the CSP and resource rules): theme colours only. */
import type * as vscode from 'vscode';
import { webviewPage } from '../webviewPage';

export function votesHtml(webview: vscode.Webview, extensionRoot: vscode.Uri, title: string): string {
  return webviewPage(webview, extensionRoot, {
    bundle: 'votes',
    title,
    inlineCss: CSS,
    body: '<main id="app" tabindex="-1" aria-live="polite"><p class="muted">Loading…</p></main>',
  });
}

const CSS = `
body { padding: 0 20px 24px; color: var(--vscode-foreground); background: var(--vscode-editor-background);
  font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
main:focus { outline: none; }
.muted { color: var(--vscode-descriptionForeground); }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; padding: 12px 0 8px;
  border-bottom: 1px solid var(--vscode-panel-border); }
header h1 { font-size: 1.1em; margin: 0; font-weight: 600; }
.progress { flex: 1; min-width: 160px; display: flex; align-items: center; gap: 8px; font-variant-numeric: tabular-nums; }
.bar-wrap { flex: 1; height: 4px; background: var(--vscode-editorWidget-border, rgba(128,128,128,.3)); }
.bar-fill { height: 4px; background: var(--vscode-progressBar-background, #0e70c0); }
section { margin-top: 14px; }
h2 { font-size: .85em; text-transform: uppercase; letter-spacing: .06em; margin: 0 0 6px;
  color: var(--vscode-descriptionForeground); font-weight: 600; }
.turn { margin: 4px 0; padding: 6px 10px; border-left: 3px solid var(--vscode-textBlockQuote-border);
  background: var(--vscode-textBlockQuote-background); white-space: pre-wrap; }
.role { font-size: .85em; color: var(--vscode-descriptionForeground); margin-right: 6px; font-weight: 600; }
.candidates { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.card { border: 1px solid var(--vscode-panel-border); border-radius: 4px; padding: 10px 12px; cursor: pointer;
  background: var(--vscode-editorWidget-background); display: flex; flex-direction: column; gap: 8px; }
.card.selected { border-color: var(--vscode-focusBorder); box-shadow: 0 0 0 1px var(--vscode-focusBorder) inset; }
.card-head { display: flex; align-items: center; gap: 8px; }
.key { display: inline-block; min-width: 1.4em; text-align: center; padding: 1px 5px; border-radius: 3px;
  font-family: var(--vscode-editor-font-family); background: var(--vscode-keybindingLabel-background);
  color: var(--vscode-keybindingLabel-foreground); border: 1px solid var(--vscode-keybindingLabel-border);
  border-bottom-color: var(--vscode-keybindingLabel-bottomBorder); }
.response { white-space: pre-wrap; line-height: 1.45; }
.tag { font-size: .8em; padding: 1px 6px; border-radius: 8px; background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.status { padding: 6px 10px; border-radius: 4px; background: var(--vscode-inputValidation-infoBackground); border: 1px solid var(--vscode-inputValidation-infoBorder); }
.error { padding: 6px 10px; border-radius: 4px; background: var(--vscode-inputValidation-errorBackground); border: 1px solid var(--vscode-inputValidation-errorBorder); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.keys { margin-top: 16px; font-size: .9em; line-height: 1.9; }
vscode-button .key { margin-left: 6px; padding: 0 4px; }
.keys .key { margin: 0 2px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border); vertical-align: top; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
th { font-weight: 600; color: var(--vscode-descriptionForeground); }
.ci { position: relative; width: 160px; height: 10px; background: var(--vscode-editorWidget-border, rgba(128,128,128,.25)); display: inline-block; vertical-align: middle; }
.ci-range { position: absolute; top: 0; height: 10px; background: var(--vscode-charts-blue, #3794ff); opacity: .45; }
.ci-point { position: absolute; top: -2px; width: 2px; height: 14px; background: var(--vscode-foreground); }
.ci-half { position: absolute; top: -3px; width: 1px; height: 16px; left: 50%; background: var(--vscode-descriptionForeground); }
.figure { font-size: 1.6em; font-weight: 600; font-variant-numeric: tabular-nums; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.cards > div { border: 1px solid var(--vscode-panel-border); border-radius: 4px; padding: 8px 12px; min-width: 180px; }
.win { color: var(--vscode-charts-green, #388a34); font-weight: 600; }
ul.notes { margin: 4px 0; padding-left: 18px; }
`;
