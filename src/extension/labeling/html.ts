/** The labeler's page (see ../webviewPage.ts for the CSP and resource rules): theme colours only. */
import type * as vscode from 'vscode';
import { webviewPage } from '../webviewPage';

export function labelerHtml(webview: vscode.Webview, extensionRoot: vscode.Uri): string {
  return webviewPage(webview, extensionRoot, {
    bundle: 'labeling',
    title: 'Pair Labeler',
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
.progress { flex: 1; min-width: 160px; display: flex; align-items: center; gap: 8px; }
.bar-wrap { flex: 1; height: 4px; background: var(--vscode-editorWidget-border, rgba(128,128,128,.3)); }
.bar-fill { height: 4px; background: var(--vscode-progressBar-background, #0e70c0); }
section { margin-top: 14px; }
h2 { font-size: .85em; text-transform: uppercase; letter-spacing: .06em; margin: 0 0 6px;
  color: var(--vscode-descriptionForeground); font-weight: 600; }
.turn { margin: 4px 0; padding: 6px 10px; border-left: 3px solid var(--vscode-textBlockQuote-border);
  background: var(--vscode-textBlockQuote-background); white-space: pre-wrap; }
.role { font-size: .85em; color: var(--vscode-descriptionForeground); margin-right: 6px; font-weight: 600; }
.candidates { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--vscode-panel-border); border-radius: 4px; padding: 10px 12px;
  background: var(--vscode-editorWidget-background); display: flex; flex-direction: column; gap: 8px; }
.card.chosen { border-color: var(--vscode-focusBorder); box-shadow: 0 0 0 1px var(--vscode-focusBorder) inset; }
.card.rejected { opacity: .75; }
.card-head { display: flex; align-items: center; gap: 8px; }
.key { display: inline-block; min-width: 1.4em; text-align: center; padding: 1px 5px; border-radius: 3px;
  font-family: var(--vscode-editor-font-family); background: var(--vscode-keybindingLabel-background);
  color: var(--vscode-keybindingLabel-foreground); border: 1px solid var(--vscode-keybindingLabel-border);
  border-bottom-color: var(--vscode-keybindingLabel-bottomBorder); }
.response { white-space: pre-wrap; line-height: 1.45; }
.score { margin-left: auto; font-size: .9em; color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
.tag { font-size: .8em; padding: 1px 6px; border-radius: 8px; background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.hint { padding: 6px 10px; border-radius: 4px; border: 1px dashed var(--vscode-editorInfo-foreground, var(--vscode-panel-border)); }
.status { padding: 6px 10px; border-radius: 4px; background: var(--vscode-inputValidation-infoBackground); border: 1px solid var(--vscode-inputValidation-infoBorder); }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: right; padding: 3px 8px; border-bottom: 1px solid var(--vscode-panel-border); }
th:first-child, td:first-child { text-align: left; }
th { font-weight: 600; color: var(--vscode-descriptionForeground); }
.pos { color: var(--vscode-charts-green, #388a34); }
.neg { color: var(--vscode-charts-red, #c72e2e); }
.actions { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; }
.keys { margin-top: 16px; font-size: .9em; }
vscode-button .key { margin-left: 6px; padding: 0 4px; }
.keys .key { margin: 0 2px; }
`;
