/** The preview's page (see ../webviewPage.ts for the CSP and resource rules): theme colours only. */
import type { PageOptions } from '../webviewPage';

/** A getter: CSS is declared below it. */
export const previewPage = (): PageOptions => ({
  bundle: 'preview',
  title: 'StyleTune Preview',
  stylesheets: ['panel.css'],
  inlineCss: CSS,
  body: '<main id="app" tabindex="-1" aria-live="polite"><p class="muted">Loading…</p></main>',
});

const CSS = `
.small { font-size: .85em; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 14px; padding: 12px 0 8px;
  border-bottom: 1px solid var(--vscode-panel-border); }
.meta { color: var(--vscode-descriptionForeground); font-size: .9em; }
.turn.role-assistant { border-left-color: var(--vscode-charts-blue, #3794ff); }
.sides { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--vscode-panel-border); border-radius: 4px; padding: 10px 12px;
  background: var(--vscode-editorWidget-background); display: flex; flex-direction: column; gap: 8px; }
.card.tuned { border-color: var(--vscode-focusBorder); }
.card-head { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.card-head .name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 40%; }
.card-head .right { margin-left: auto; display: flex; align-items: center; gap: 6px; }
.reward { font-variant-numeric: tabular-nums; font-weight: 600; }
.response { white-space: pre-wrap; line-height: 1.45; overflow-wrap: anywhere; }
.tag.pos { background: var(--vscode-charts-green, #388a34); color: var(--vscode-editor-background); }
.tag.neg { background: var(--vscode-charts-red, #c72e2e); color: var(--vscode-editor-background); }
.status { display: flex; align-items: center; gap: 8px; margin-top: 10px; padding: 6px 10px; border-radius: 4px;
  background: var(--vscode-inputValidation-infoBackground); border: 1px solid var(--vscode-inputValidation-infoBorder); }
.status.error { background: var(--vscode-inputValidation-errorBackground); border-color: var(--vscode-inputValidation-errorBorder); }
.status.notice { background: var(--vscode-inputValidation-warningBackground); border-color: var(--vscode-inputValidation-warningBorder); }
th, td { text-align: right; padding: 3px 8px; border-bottom: 1px solid var(--vscode-panel-border); }
th:first-child, td:first-child { text-align: left; }
.track-cell { width: 30%; }
.track { position: relative; display: block; height: 10px; }
.axis { position: absolute; left: 50%; top: -2px; bottom: -2px; border-left: 1px solid var(--vscode-panel-border); }
.bar { position: absolute; top: 1px; height: 8px; border-radius: 2px; }
.bar.up { left: 50%; background: var(--vscode-charts-green, #388a34); }
.bar.down { right: 50%; background: var(--vscode-charts-red, #c72e2e); }
.pos { color: var(--vscode-charts-green, #388a34); }
.neg { color: var(--vscode-charts-red, #c72e2e); }
.key { display: inline-block; min-width: 1.2em; text-align: center; padding: 0 4px; margin-left: 6px; border-radius: 3px;
  font-family: var(--vscode-editor-font-family); background: var(--vscode-keybindingLabel-background);
  color: var(--vscode-keybindingLabel-foreground); border: 1px solid var(--vscode-keybindingLabel-border); }
`;
