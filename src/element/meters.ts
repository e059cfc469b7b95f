import type { ReactiveController, ReactiveControllerHost } from 'lit';

type Host = ReactiveControllerHost & HTMLElement;

/**
 * Live input and output levels. One `AudioContext` per call, opened once the call is connected and closed when
 * it is over. One 20 Hz sampling loop, running only while a meter can be seen (rendered, not in the closed
 * details, on screen, in a visible tab) and without `prefers-reduced-motion`; it writes `--level` on the
 * `level` parts in an animation frame, only when a level moved, instead of re-rendering.
 */
export class Meters implements ReactiveController {
  #ctx: AudioContext | null = null;
  #streams: (MediaStream | null)[] = [];
  #analysers: AnalyserNode[] = [];
  #onScreen = true;
  #observer?: IntersectionObserver;
  #data = new Float32Array(256);
  #drawn: number[] = [];
  #timer?: ReturnType<typeof setInterval>;
  #frame = 0;
  readonly #host: Host;

  constructor(host: Host) {
    this.#host = host;
    host.addController(this);
  }

  hostConnected(): void {
    (this.#observer = new IntersectionObserver(([entry]) => {
      this.#onScreen = entry!.isIntersecting;
      this.#run();
    })).observe(this.#host);
    document.addEventListener('visibilitychange', this.#run);
    // The details opening or closing shows or hides the meters of the default card ('toggle' does not bubble).
    this.#host.shadowRoot!.addEventListener('toggle', this.#run, true);
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    document.removeEventListener('visibilitychange', this.#run);
    this.#stop();
    // A move (removed and inserted in the same task) keeps the call, so it keeps the context (one per call).
    // A real removal closes it.
    queueMicrotask(() => {
      if (!this.#host.isConnected) this.close();
    });
  }

  /**
   * The call's context, a task after there is something to meter (the call connected): not in the click,
   * where a page's first context took milliseconds of the main thread on the way to the request, nor in the
   * render that shows the call connected. The click's user activation still lets it run then, and so does
   * the microphone capturing (Chromium).
   */
  #open = (): void => {
    if (this.#ctx || !this.#streams.length) return;
    // Only analysed, never heard: with no output device (Chromium's `sinkId: {type: 'none'}`; others ignore
    // it) a page's first context opens in ~2-4 ms instead of ~40-60.
    this.#ctx = globalThis.AudioContext ? new AudioContext({ sinkId: { type: 'none' } } as AudioContextOptions) : null;
    this.#analyse();
    this.#run();
  };

  resume(): void {
    // Rejects when the call ends (and the context closes) before the resume lands.
    this.#ctx?.resume().catch(() => undefined);
  }

  /** Meters these streams (input, output); an empty list stops the loop, `null` closes the context. */
  sync(streams: (MediaStream | null)[] | null): void {
    if (!streams) return this.close();
    if (streams.some((stream, i) => stream !== this.#streams[i])) {
      this.#streams = streams;
      this.#analyse();
      setTimeout(this.#open);
    }
    this.#run();
  }

  /** Analysers for the streams, once the context is open (whichever of the two comes last makes them). */
  #analyse(): void {
    const ctx = this.#ctx;
    if (!ctx) return;
    this.#analysers = this.#streams.map((stream) => {
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 256;
      if (stream?.getAudioTracks().length) ctx.createMediaStreamSource(stream).connect(analyser);
      return analyser;
    });
    this.resume();
  }

  close(): void {
    this.#streams = [];
    this.#analysers = [];
    this.#run();
    void this.#ctx?.close();
    this.#ctx = null;
  }

  #stop(): void {
    clearInterval(this.#timer);
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    // What a stopped loop did not draw is drawn on its next run.
    this.#drawn = [];
  }

  #run = (): void => {
    this.#stop();
    // Only meters one can see: rendered, and not inside the closed details (the default card keeps them there,
    // one click away; both meters are always together).
    const meter = this.#host.shadowRoot!.querySelector('[part~=level]');
    if (this.#analysers[0] && meter && !meter.closest('details:not([open])') && this.#onScreen && !document.hidden && !matchMedia('(prefers-reduced-motion: reduce)').matches) {
      this.#timer = setInterval(this.#sample, 50);
    }
  };

  // Sampled on a 50 ms timer (20 updates a second still look live) and drawn in an animation frame only
  // when a level moved: asking for a frame costs a rendering pass even when nothing changed.
  #sample = (): void => {
    const meters = this.#host.shadowRoot!.querySelectorAll<HTMLElement>('[part~=level]');
    this.#analysers.forEach((analyser, i) => {
      const data = this.#data;
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const sample of data) sum += sample * sample;
      // dBFS from -60 to 0 mapped onto 0–1 (quiet speech still moves the bar), in 1/32 steps so a steady
      // level draws nothing.
      const level = Math.round(Math.max(0, 1 + Math.log10(sum / data.length) / 6) * 32) / 32;
      if (level !== this.#drawn[i]) {
        this.#drawn[i] = level;
        // Both meters in one frame; a meter whose level did not move gets the value it has, which changes nothing.
        this.#frame ||= requestAnimationFrame(() => {
          this.#frame = 0;
          meters.forEach((meter, i) => meter.style.setProperty('--level', String(this.#drawn[i] ?? 0)));
        });
      }
    });
  };
}
