/** The inspector webview's page (see ../webviewPage.ts for the CSP and resource rules). */
import type { PageOptions } from '../webviewPage';

export function inspectorPage(): PageOptions {
  return {
    bundle: 'inspector',
    title: 'StyleTune Inspector',
    stylesheets: ['inspector.css'],
    body: '<div id="app" aria-busy="true">Loading…</div>',
  };
}
