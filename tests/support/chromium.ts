/**
 * Debian's Chromium (Playwright's and Puppeteer's own browser downloads are refused here) and the
 * flags that keep it off this machine's closed network: without them it retries blocked hosts.
 */
export const CHROMIUM = {
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-quic',
    '--disable-sync',
  ],
};
