/**
 * The HTML shell every StyleTune webview uses: a strict Content-Security-Policy with a fresh nonce, our
 * bundle from dist/webview as the only script, and resources only from dist/webview and media.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** What webviews may load: the bundles and media, nothing else (set as localResourceRoots). */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export interface PageOptions {
  /** The bundle's name: dist/webview/<bundle>.js. */
  bundle: string;
  title: string;
  /** Stylesheets under media/ (in this order), and/or CSS inlined in a nonce'd <style> after them. */
  stylesheets?: string[];
  inlineCss?: string;
  /** Also link dist/webview/<bundle>.css: the CSS that esbuild collects from the bundle's imports. */
  bundleStylesheet?: boolean;
  /** The body's markup before the script. */
  body: string;
}

export function webviewPage(webview: vscode.Webview, extensionUri: vscode.Uri, page: PageOptions): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${page.bundle}.js`));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // The toolkit's components style themselves with constructable stylesheets; ours carry the nonce.
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource}`,
  ].join('; ');
  const link = (page.stylesheets ?? [])
    .map((sheet) => `<link rel="stylesheet" href="${webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', sheet))}" nonce="${nonce}">`)
    .join('');
  const bundleCss = page.bundleStylesheet
    ? `<link rel="stylesheet" href="${webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', `${page.bundle}.css`))}" nonce="${nonce}">`
    : '';
  const style = page.inlineCss ? `<style nonce="${nonce}">${page.inlineCss}</style>` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${bundleCss}${link}${style}
<title>${page.title}</title>
</head>
<body>
${page.body}
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
