/**
 * The webviews' one element builder. Text goes in as text nodes, never parsed as HTML: a message is
 * data from the host (file contents, model replies), and the page's CSP forbids inline script anyway.
 */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}
