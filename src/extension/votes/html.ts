/** The vote view's page (see ../webviewPage.ts for the CSP and resource rules): theme colours only. */
import type { PageOptions } from '../webviewPage';

export function votesPage(title: string): PageOptions {
  return {
    bundle: 'votes',
    title,
    stylesheets: ['panel.css', 'keyboard-panel.css'],
    inlineCss: CSS,
    body: '<main id="app" tabindex="-1" aria-live="polite"><p class="muted">Loading…</p></main>',
  };
}

const CSS = `
.progress { flex: 1; min-width: 160px; display: flex; align-items: center; gap: 8px; font-variant-numeric: tabular-nums; }
.candidates { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.card { border: 1px solid var(--vscode-panel-border); border-radius: 4px; padding: 10px 12px; cursor: pointer;
  background: var(--vscode-editorWidget-background); display: flex; flex-direction: column; gap: 8px; }
.card.selected { border-color: var(--vscode-focusBorder); box-shadow: 0 0 0 1px var(--vscode-focusBorder) inset; }
.error { padding: 6px 10px; border-radius: 4px; background: var(--vscode-inputValidation-errorBackground); border: 1px solid var(--vscode-inputValidation-errorBorder); }
.keys { margin-top: 16px; font-size: .9em; line-height: 1.9; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--vscode-panel-border); vertical-align: top; }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
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
