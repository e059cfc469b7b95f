// Watches what the widget allocates — peer connections, audio contexts, timers — so a test can prove that
// every one was released. Each watcher observes the real thing (a subclass or a pass-through wrapper); none
// replaces behaviour. Install in beforeEach, restore in afterEach.
import { watchMicrophones } from './helpers.js';

type Constructor<T> = new (...args: never[]) => T;

function watchConstructor<T extends object>(name: 'RTCPeerConnection' | 'AudioContext') {
  const scope = window as unknown as Record<string, Constructor<T>>;
  const Original = scope[name]!;
  const instances: T[] = [];
  const Watched = class extends (Original as Constructor<object>) {
    constructor(...args: never[]) {
      super(...args);
      instances.push(this as unknown as T);
    }
  };
  Object.defineProperty(Watched, 'name', { value: name });
  scope[name] = Watched as Constructor<T>;
  return { instances, restore: () => (scope[name] = Original) };
}

/** Every `RTCPeerConnection` constructed on the page while installed. */
export function watchPeerConnections() {
  const { instances, restore } = watchConstructor<RTCPeerConnection>('RTCPeerConnection');
  return {
    instances,
    /** Connections not yet closed (`signalingState` turns `closed` synchronously in `close()`). */
    open: () => instances.filter((pc) => pc.signalingState !== 'closed'),
    restore,
  };
}

/** Every `AudioContext` constructed on the page while installed (the level meters open one per call). */
export function watchAudioContexts() {
  const { instances, restore } = watchConstructor<AudioContext>('AudioContext');
  return { instances, open: () => instances.filter((ctx) => ctx.state !== 'closed'), restore };
}

export interface LiveTimer {
  kind: 'timeout' | 'interval' | 'frame';
  delay: number;
  /** The widget's stack frame that created it. */
  where: string;
}

/** The first frame outside this file, when it is the widget's own code (`/src/`). */
function widgetFrame(stack: string | undefined): string | null {
  const frames = (stack ?? '').split('\n').filter((line) => /https?:\/\//.test(line) && !line.includes('/test/support/leaks'));
  const first = frames[0]?.trim() ?? '';
  return /\/src\//.test(first) ? first : null;
}

/**
 * Tracks the timeouts, intervals and animation frames that the widget's own code (`/src/`) schedules and
 * that have neither fired nor been cleared. Timers of the page, the test runner and the tests pass
 * straight through.
 */
export function watchTimers() {
  const scope = window as unknown as Record<string, (...args: never[]) => unknown>;
  const names = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'requestAnimationFrame', 'cancelAnimationFrame'] as const;
  const original = Object.fromEntries(names.map((name) => [name, scope[name]!])) as Record<(typeof names)[number], (...args: unknown[]) => number>;
  const live = new Map<string, LiveTimer>();
  const key = (kind: string, id: unknown) => `${kind === 'frame' ? 'frame' : 'timer'}:${String(id)}`;

  const schedule = (kind: LiveTimer['kind'], start: (...args: unknown[]) => number) =>
    function (this: unknown, handler: unknown, delay?: unknown, ...rest: unknown[]) {
      const where = typeof handler === 'function' ? widgetFrame(new Error().stack) : null;
      if (!where) return start.call(window, handler, delay, ...rest);
      let id = 0;
      const run = (...args: unknown[]) => {
        if (kind !== 'interval') live.delete(key(kind, id));
        return (handler as (...a: unknown[]) => unknown)(...args);
      };
      id = start.call(window, run, delay, ...rest);
      live.set(key(kind, id), { kind, delay: Number(delay) || 0, where });
      return id;
    };
  const clear = (kind: LiveTimer['kind'], stop: (id: unknown) => unknown) => (id: unknown) => {
    live.delete(key(kind, id));
    return stop.call(window, id);
  };

  scope.setTimeout = schedule('timeout', original.setTimeout) as never;
  scope.setInterval = schedule('interval', original.setInterval) as never;
  scope.requestAnimationFrame = schedule('frame', original.requestAnimationFrame) as never;
  // clearTimeout and clearInterval share one id space in browsers.
  scope.clearTimeout = clear('timeout', original.clearTimeout) as never;
  scope.clearInterval = clear('interval', original.clearInterval) as never;
  scope.cancelAnimationFrame = clear('frame', original.cancelAnimationFrame) as never;

  return {
    /** The widget's timers still scheduled. */
    pending: (): LiveTimer[] => [...live.values()],
    restore: () => {
      for (const name of names) scope[name] = original[name] as never;
    },
  };
}

/** Every watcher at once, with the one check a fault test makes after a call is over. */
export function watchResources() {
  const mics = watchMicrophones();
  const pcs = watchPeerConnections();
  const contexts = watchAudioContexts();
  const timers = watchTimers();
  /** What is still held, one readable line each; empty when everything was released. */
  const leftovers = (): string[] => [
    ...mics.tracks().filter((track) => track.readyState !== 'ended').map((track) => `live microphone track "${track.label}"`),
    ...pcs.open().map((pc) => `open RTCPeerConnection (${pc.connectionState})`),
    ...contexts.open().map((ctx) => `open AudioContext (${ctx.state})`),
    ...timers.pending().map((timer) => `${timer.kind} of ${timer.delay} ms from ${timer.where}`),
  ];
  return {
    mics,
    pcs,
    contexts,
    timers,
    leftovers,
    /**
     * Waits until nothing is left (an `AudioContext` closes asynchronously; a request's timer is cleared
     * when the aborted fetch settles), failing with the list after `withinMs`. Returns the ms it took.
     */
    async released(withinMs = 500): Promise<number> {
      const started = performance.now();
      while (leftovers().length > 0 && performance.now() - started < withinMs) await new Promise((resolve) => setTimeout(resolve, 10));
      const left = leftovers();
      if (left.length > 0) throw new Error(`still held ${withinMs} ms after the end:\n  ${left.join('\n  ')}`);
      return performance.now() - started;
    },
    restore() {
      timers.restore();
      contexts.restore();
      pcs.restore();
      mics.restore();
    },
  };
}
