/** Opens code-server's workbench in headless Debian Chromium through playwright-core. */
import { format } from 'node:util';
import { chromium as playwright, type Browser, type Page } from 'playwright-core';
import { chromium } from './paths';

export interface Workbench {
  readonly browser: Browser;
  readonly page: Page;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** The extension host's test run finished (smoke-test driver hook): its exit code. */
  onExit?: (code: number) => void;
  /** The workbench's log lines, which include the extension host's console (mocha's report). */
  onLog?: (level: string, line: string) => void;
  viewport?: { width: number; height: number };
  /** Chromium's environment: the sandbox's HOME, TMPDIR and XDG folders keep its files out of the home folder. */
  env?: NodeJS.ProcessEnv;
}

export async function openWorkbench(url: string, opts: OpenOptions = {}): Promise<Workbench> {
  const browser = await playwright.launch({
    executablePath: chromium,
    headless: true,
    env: opts.env,
    // Offline machine: no background fetches (component updates, sync, QUIC probes) that would only time out.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 860 } });
    // The workbench calls these globals when started with enable-smoke-test-driver; they must exist before it loads.
    if (opts.onExit) {
      const onExit = opts.onExit;
      await page.exposeFunction('codeAutomationExit', (code: number) => onExit(code));
    }
    if (opts.onLog) {
      const onLog = opts.onLog;
      await page.exposeFunction('codeAutomationLog', (level: string, args: unknown) => {
        // Console calls arrive unformatted, as (format, ...values): mocha's reporter relies on printf-style %s/%d.
        onLog(level, Array.isArray(args) ? format(...args) : String(args));
      });
    }
    await page.goto(url);
    return { browser, page, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}
