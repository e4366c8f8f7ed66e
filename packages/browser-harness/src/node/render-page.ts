/**
 * Renders markup (an SVG chart, an HTML report) in local Chromium: to PNG bytes, or to the console messages and
 * page errors it produced (reports are checked to render without errors).
 */
import { chromium } from 'playwright-core';

import { BrowserUnavailableError } from '../protocol';
import { CHROMIUM_ARGS, findChromium } from './drivers/chromium';

export interface RenderResult {
  png: Uint8Array;
  /** `error`/`warning` console messages and uncaught page errors, in order. */
  problems: string[];
}

/** Opens `html` (a full document, or a bare `<svg>`) at the given viewport and screenshots the full page. */
export async function renderInChromium(html: string, size: { width: number; height: number }): Promise<RenderResult> {
  const executablePath = findChromium();
  if (executablePath === undefined) {
    throw new BrowserUnavailableError('Chromium is not installed: run `npm run setup` (installs the Debian chromium package) or set BROWSER_POOL_CHROMIUM');
  }
  const browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: Math.ceil(size.width), height: Math.ceil(size.height) } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') {
        problems.push(`${m.type()}: ${m.text()}`);
      }
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    await page.setContent(html.trimStart().startsWith('<svg') ? `<!doctype html><html><body style="margin:0">${html}</body></html>` : html, { waitUntil: 'load' });
    const png = await page.screenshot({ fullPage: true, type: 'png' });
    return { png, problems };
  } finally {
    await browser.close();
  }
}
