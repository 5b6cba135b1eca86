/** The labeler's page (see ../webviewPage.ts for the CSP and resource rules): theme colours only. */
import type * as vscode from 'vscode';
import { webviewPage } from '../webviewPage';

export function labelerHtml(webview: vscode.Webview, extensionRoot: vscode.Uri): string {
  return webviewPage(webview, extensionRoot, {
    bundle: 'labeling',
    title: 'Pair Labeler',
    stylesheets: ['panel.css', 'keyboard-panel.css'],
    inlineCss: CSS,
    body: '<main id="app" tabindex="-1" aria-live="polite"><p class="muted">Loading…</p></main>',
  });
}

const CSS = `
.progress { flex: 1; min-width: 160px; display: flex; align-items: center; gap: 8px; }
.candidates { display: grid; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--vscode-panel-border); border-radius: 4px; padding: 10px 12px;
  background: var(--vscode-editorWidget-background); display: flex; flex-direction: column; gap: 8px; }
.card.chosen { border-color: var(--vscode-focusBorder); box-shadow: 0 0 0 1px var(--vscode-focusBorder) inset; }
.card.rejected { opacity: .75; }
.score { margin-left: auto; font-size: .9em; color: var(--vscode-descriptionForeground); font-variant-numeric: tabular-nums; }
.hint { padding: 6px 10px; border-radius: 4px; border: 1px dashed var(--vscode-editorInfo-foreground, var(--vscode-panel-border)); }
th, td { text-align: right; padding: 3px 8px; border-bottom: 1px solid var(--vscode-panel-border); }
th:first-child, td:first-child { text-align: left; }
.pos { color: var(--vscode-charts-green, #388a34); }
.neg { color: var(--vscode-charts-red, #c72e2e); }
.keys { margin-top: 16px; font-size: .9em; }
`;
