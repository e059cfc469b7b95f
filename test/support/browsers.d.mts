// Types for browsers.mjs, so TypeScript tests (test/e2e) can import it.
export function findChromium(): Promise<string>;
export function findFirefox(): string;
export const CHROMIUM_ARGS: string[];
export const FIREFOX_PREFS: Record<string, boolean>;
