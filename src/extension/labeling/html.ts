/** The labeler's page (see ../webviewPage.ts for the CSP and resource rules): theme colours only. */
import type { PageOptions } from '../webviewPage';

/** `file`: shown while the page and the file load (a big file takes a moment before its first item). */
export function labelerPage(file: string): PageOptions {
  return {
    bundle: 'labeling',
    title: 'Pair Labeler',
    stylesheets: ['panel.css', 'keyboard-panel.css'],
    inlineCss: CSS,
    body: `<main id="app" tabindex="-1" aria-live="polite" aria-busy="true"><header><h1>${escapeHtml(file)}</h1><span id="position" class="muted">Opening…</span><div class="progress"><div class="bar-wrap loading" role="progressbar" aria-label="Opening the file"></div></div></header></main>`,
  };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
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
#focus-state { margin-left: auto; font: inherit; font-size: .85em; padding: 2px 10px; border-radius: 10px; border: 1px solid var(--vscode-panel-border); background: none; color: var(--vscode-descriptionForeground); }
#focus-state[data-focused="false"] { cursor: pointer; font-weight: 600; color: var(--vscode-inputValidation-warningForeground, var(--vscode-foreground));
  background: var(--vscode-inputValidation-warningBackground); border-color: var(--vscode-inputValidation-warningBorder); }
body.blurred .actions { opacity: .55; }
.bar-wrap.loading { position: relative; overflow: hidden; }
.bar-wrap.loading:empty::after { content: ''; position: absolute; left: -30%; width: 30%; height: 4px; background: var(--vscode-progressBar-background, #0e70c0); animation: slide 1.2s linear infinite; }
@keyframes slide { to { left: 100%; } }
@media (prefers-reduced-motion: reduce) { .bar-wrap.loading:empty::after { animation: none; left: 0; width: 100%; opacity: .5; } }
`;
