// Finds the browsers the tests run in. Nothing is downloaded: CI installs Debian's packages.
import { existsSync } from 'node:fs';

function firstExisting(paths) {
  return paths.find((path) => path && existsSync(path));
}

async function playwrightChromium() {
  try {
    const { chromium } = await import('playwright-core');
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}

function giveUp(line) {
  console.error(line);
  process.exit(1);
}

export async function findChromium() {
  const path = firstExisting([process.env.CHROME_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', await playwrightChromium()]);
  return path ?? giveUp('No Chromium found: install it (`apt-get install -y chromium`) or set CHROME_PATH to a Chromium/Chrome binary.');
}

export function findFirefox() {
  const path = firstExisting([process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox']);
  return path ?? giveUp('No Firefox found: install it (`apt-get install -y firefox-esr`) or set FIREFOX_PATH to a Firefox binary.');
}

/** Chromium flags for a root, offline, headless machine with a fake microphone. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  // window.gc() for the leak test's heap figure (a measurement, not a behaviour change).
  '--js-flags=--expose-gc',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
];

/** Firefox prefs: fake media, no permission prompt, and host candidates a Node answerer can reach. */
export const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Firefox ignores STUN and TURN servers on loopback addresses (and gathers no loopback candidates) unless
  // this is set; its own comment: "Set only for testing in offline environments". The TURN tests run coturn
  // on 127.0.0.1 (test/support/turn.ts).
  'media.peerconnection.ice.loopback': true,
};
