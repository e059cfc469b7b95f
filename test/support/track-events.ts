// The browser fires `mute`, `unmute` and `ended` on a microphone track when the system takes the device away;
// nothing on this machine can, so tests fire them (fault injection). Chromium delivers a script-dispatched
// event to a track's listeners like its own. Firefox delivers it only to the `on<type>` handler, never to
// listeners (checked: 0 calls for `mute`, `ended` and any other type), so there this tap records the
// listeners added to tracks and hands them the event itself: the widget's own listener runs either way.

const firefox = navigator.userAgent.includes('Firefox');

interface Entry {
  track: WeakRef<MediaStreamTrack>;
  type: string;
  listener: EventListenerOrEventListenerObject;
  signal?: AbortSignal;
  once: boolean;
  done: boolean;
}

/** Install before the call makes its tracks (in `beforeEach`); `restore` in `afterEach`. */
export function tapTrackEvents() {
  const proto = MediaStreamTrack.prototype;
  const add = proto.addEventListener;
  const entries: Entry[] = [];
  proto.addEventListener = function (this: MediaStreamTrack, type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions) {
    if (listener && typeof options !== 'boolean') {
      entries.push({ track: new WeakRef(this), type, listener, signal: options?.signal, once: !!options?.once, done: false });
    }
    add.call(this, type, listener as EventListenerOrEventListenerObject, options);
  };
  return {
    /** Fires `type` at `track` as the browser would. */
    fire(track: MediaStreamTrack, type: 'mute' | 'unmute' | 'ended'): void {
      const event = new Event(type);
      if (!firefox) {
        track.dispatchEvent(event);
        return;
      }
      for (const entry of entries) {
        if (entry.track.deref() !== track || entry.type !== type || entry.done || entry.signal?.aborted) continue;
        entry.done = entry.once;
        if (typeof entry.listener === 'function') entry.listener.call(track, event);
        else entry.listener.handleEvent(event);
      }
    },
    restore(): void {
      // The wrapper is an own property shadowing EventTarget's method.
      delete (proto as Partial<MediaStreamTrack>).addEventListener;
    },
  };
}
