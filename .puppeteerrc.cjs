// The browser tests drive Debian's Chromium and Firefox (test/support/browsers.mjs); puppeteer's own Chrome
// download would fail on a machine that reaches only the npm registry, and waste ~170 MB elsewhere.
module.exports = { skipDownload: true };
