import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

// A real headless Chromium for suites that test pages: Debian's `chromium` package (.ci/run installs
// it), driven by playwright-core, which never downloads a browser of its own.

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium binary, or undefined when it is not installed. */
export function findChromium(): string | undefined {
  return CANDIDATES.find((path) => existsSync(path));
}

/** Launches `executablePath` headless. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // As root (CI containers) Chromium refuses to start with its sandbox; /dev/shm is small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}
