// Loaded before every browser test file (web-test-runner.config.mjs). Mocha fails the running test on an
// uncaught error (window.onerror) but the runner only logs an unhandled promise rejection; a promise the
// widget forgot to handle must fail the suite too, so it is rethrown as an uncaught error.
window.addEventListener('unhandledrejection', (event) => {
  const reason = event.reason;
  setTimeout(() => {
    throw reason instanceof Error ? reason : new Error(`Unhandled rejection: ${String(reason)}`);
  });
});
