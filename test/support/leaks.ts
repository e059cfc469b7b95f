// Watches what the widget allocates — microphone tracks, peer connections, audio contexts, timers, page
// listeners — so a test can prove that every one was released. Each watcher observes the real thing (a
// subclass or a pass-through wrapper) and holds it only weakly, so the watching itself retains nothing
// and a heap figure taken under it is the widget's own. None replaces behaviour. Install in beforeEach,
// restore in afterEach.

type Constructor<T> = new (...args: never[]) => T;

/** Weakly held instances and how many were ever added. */
function weakList<T extends object>() {
  const refs: WeakRef<T>[] = [];
  return {
    add: (value: T) => void refs.push(new WeakRef(value)),
    get made() {
      return refs.length;
    },
    /** The instances not yet collected (a collected one can no longer hold anything). */
    alive: () => refs.map((ref) => ref.deref()).filter((value): value is T => value !== undefined),
  };
}

function watchConstructor<T extends object>(name: 'RTCPeerConnection' | 'AudioContext') {
  const scope = window as unknown as Record<string, Constructor<T>>;
  const Original = scope[name]!;
  const list = weakList<T>();
  const Watched = class extends (Original as Constructor<object>) {
    constructor(...args: never[]) {
      super(...args);
      list.add(this as unknown as T);
    }
  };
  Object.defineProperty(Watched, 'name', { value: name });
  scope[name] = Watched as Constructor<T>;
  return { list, restore: () => (scope[name] = Original) };
}

/** Every `RTCPeerConnection` constructed on the page while installed. */
export function watchPeerConnections() {
  const { list, restore } = watchConstructor<RTCPeerConnection>('RTCPeerConnection');
  return {
    get made() {
      return list.made;
    },
    /** How many are not yet collected (meaningful after a GC). */
    alive: () => list.alive().length,
    /** Connections not yet closed (`signalingState` turns `closed` synchronously in `close()`). */
    open: () => list.alive().filter((pc) => pc.signalingState !== 'closed'),
    restore,
  };
}

/** Every `AudioContext` constructed on the page while installed (the level meters open one per call). */
export function watchAudioContexts() {
  const { list, restore } = watchConstructor<AudioContext>('AudioContext');
  return {
    get made() {
      return list.made;
    },
    open: () => list.alive().filter((ctx) => ctx.state !== 'closed'),
    restore,
  };
}

/** Every track `getUserMedia` hands out while installed. It observes the real microphone. */
export function watchMicrophoneTracks() {
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia;
  const tracks = weakList<MediaStreamTrack>();
  let granted = 0;
  devices.getUserMedia = async function (this: MediaDevices, constraints?: MediaStreamConstraints) {
    const stream = await original.call(this, constraints);
    granted++;
    for (const track of stream.getTracks()) tracks.add(track);
    return stream;
  };
  return {
    /** Streams handed out. */
    get granted() {
      return granted;
    },
    /** Tracks not yet collected. */
    tracks: () => tracks.alive(),
    allEnded: () => tracks.alive().every((track) => track.readyState === 'ended'),
    restore: () => {
      devices.getUserMedia = original;
    },
  };
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

/**
 * Tracks the event listeners the widget's own code (`/src/`) adds to long-lived targets — the window, the
 * document, `navigator.mediaDevices` — and has not removed (an aborted `signal` option counts as removed).
 * Listeners on a call's own objects (its peer connection, its tracks) die with them and are not counted.
 */
export function watchGlobalListeners() {
  const targets = new Set<EventTarget>([window, document, navigator.mediaDevices].filter(Boolean));
  const proto = EventTarget.prototype;
  const { addEventListener: add, removeEventListener: remove } = proto;
  const live = new Map<string, { target: EventTarget; type: string; listener: unknown; capture: boolean; where: string }>();
  const ids = new WeakMap<object, number>();
  let next = 0;
  const idOf = (value: unknown) => {
    if (typeof value !== 'object' && typeof value !== 'function') return String(value);
    if (!ids.has(value as object)) ids.set(value as object, ++next);
    return String(ids.get(value as object));
  };
  const key = (target: EventTarget, type: string, listener: unknown, capture: boolean) => `${idOf(target)}|${type}|${idOf(listener)}|${capture}`;
  const captureOf = (options: unknown) => (typeof options === 'boolean' ? options : Boolean((options as AddEventListenerOptions | undefined)?.capture));
  proto.addEventListener = function (this: EventTarget, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) {
    const where = targets.has(this) && listener ? widgetFrame(new Error().stack) : null;
    if (where) {
      const capture = captureOf(options);
      const k = key(this, type, listener, capture);
      const signal = typeof options === 'object' ? options.signal : undefined;
      if (!signal?.aborted) {
        live.set(k, { target: this, type, listener, capture, where });
        signal?.addEventListener('abort', () => live.delete(k), { once: true });
      }
    }
    return add.call(this, type, listener, options);
  };
  proto.removeEventListener = function (this: EventTarget, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions) {
    live.delete(key(this, type, listener, captureOf(options)));
    return remove.call(this, type, listener, options);
  };
  return {
    /** `type from where` for each listener still attached. */
    pending: () => [...live.values()].map(({ type, where }) => `${type} listener from ${where}`),
    restore: () => {
      proto.addEventListener = add;
      proto.removeEventListener = remove;
    },
  };
}

/** Every watcher at once, with the one check a fault test makes after a call is over. */
export function watchResources() {
  const mics = watchMicrophoneTracks();
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
