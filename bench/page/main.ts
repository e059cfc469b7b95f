// The bench page: instrumentation first, then the element (the standalone build, as users load it) and
// the baseline side by side. The harness drives it through `window.bench`.
import { counters, requests } from './instrument.ts';
import { defineVoiceCall, type VoiceCallElement } from '../../src/index.ts';
import { baselineCall, type Marks } from './baseline.ts';

export interface RunResult {
  start: number;
  post: number;
  connected: number;
  /** Phase marks (performance.now()) from the baseline or the element's `timings`. */
  phases: Marks & { prepare?: number };
}

const SESSION = 'session_bench';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hangups: (() => void)[] = [];

// Called, not only imported: package.json's `sideEffects` lets a bundler drop a bare import of src.
defineVoiceCall();
const element = () => document.querySelector<VoiceCallElement>('voice-call')!;
element().baseUrl = location.origin;
const button = () => element().shadowRoot!.querySelector<HTMLButtonElement>('[part~="button"]')!;

const bench = {
  counters,
  requests,

  /** `base`: another agent (the load test's, in its own process); calls there cross origins. */
  async baseline(iceServers: RTCIceServer[], base = location.origin): Promise<RunResult> {
    const marks: Marks = {};
    const start = (marks.start = performance.now());
    const call = await baselineCall(base, SESSION, iceServers, marks);
    hangups.push(call.hangup);
    // marks.post, not the fetch hook: baselines may run concurrently (the dead-STUN and load runs).
    return { start, post: marks.post!, connected: performance.now(), phases: marks };
  },

  /** A click on the element's button; with `prewarm`, a hover `dwellMs` before it. */
  async element(iceServers: RTCIceServer[], prewarm: boolean, dwellMs = 0): Promise<RunResult> {
    const el = element();
    el.iceServers = iceServers;
    el.prewarm = prewarm;
    await el.updateComplete;
    if (prewarm) {
      button().dispatchEvent(new PointerEvent('pointerenter'));
      await sleep(dwellMs);
    }
    const connected = new Promise<void>((resolve, reject) => {
      el.addEventListener('voice-call-connected', () => resolve(), { once: true });
      el.addEventListener('voice-call-error', (event) => reject(new Error(event.detail.message)), { once: true });
    });
    const start = performance.now();
    button().click();
    await connected;
    // Connected for the visitor once the widget shows it: the render of the connected state counts.
    await el.updateComplete;
    const end = performance.now();
    hangups.push(() => el.hangup());
    return { start, post: requests.lastPost, connected: end, phases: { ...el.timings } };
  },

  /**
   * The element's layout: the bench measures `full` (the QA panel, levels in the first view: the most a call
   * draws); `card` is the default, its levels one click away in the closed details.
   */
  setLayout(layout: VoiceCallElement['layout']) {
    element().layout = layout;
    return element().updateComplete;
  },

  /** Hover only, no click: a prewarm that must be released on its own. */
  hoverOnly() {
    element().prewarm = true;
    button().dispatchEvent(new PointerEvent('pointerenter'));
  },

  /** Ends every call this page started. */
  hangup() {
    for (const hangup of hangups.splice(0)) hangup();
  },

  /**
   * The rendering floor, no call: a bare bar whose width changes `hz` times a second, drawn in an animation
   * frame (the cheapest a live meter can be here), to read the meters' cost against.
   */
  bareBar(hz: number) {
    const bar = document.body.appendChild(document.createElement('div'));
    bar.style.cssText = 'height:6px;width:200px;background:blue;transform-origin:left;will-change:transform';
    const timer = setInterval(() => requestAnimationFrame(() => (bar.style.transform = `scaleX(${Math.random()})`)), 1000 / hz);
    hangups.push(() => {
      clearInterval(timer);
      bar.remove();
    });
  },

  /** Whether the element draws level meters during a call (issue 5's feature, when present). */
  hasMeters: () => !!element().shadowRoot!.querySelector('[part~="level"]'),

  /** Whether the element shows an agent visual during a call (issue 14's orb or bars, when present). */
  hasAgentVisual: () => !!element().shadowRoot!.querySelector('[part~="agent-visual"], [part~="orb"], [part~="bars"]'),
};

declare global {
  interface Window {
    bench: typeof bench;
  }
}
window.bench = bench;
