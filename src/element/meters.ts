import type { ReactiveController, ReactiveControllerHost } from 'lit';

type Host = ReactiveControllerHost & HTMLElement;

/**
 * Live input and output levels. One `AudioContext` per call, opened inside the click so the browser lets
 * it run, closed when the call is over. One 20 Hz loop, running only while the meters
 * are drawn, on screen, in a visible tab and without `prefers-reduced-motion`; it writes `--level` on the
 * `level` parts instead of re-rendering.
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
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    document.removeEventListener('visibilitychange', this.#run);
    this.close();
  }

  /** Opens the call's context; call it synchronously inside the user's gesture. */
  open(): void {
    this.close();
    this.#ctx = globalThis.AudioContext ? new AudioContext() : null;
  }

  resume(): void {
    // Rejects when the call ends (and the context closes) before the resume lands.
    this.#ctx?.resume().catch(() => undefined);
  }

  /** Meters these streams (input, output); an empty list stops the loop, `null` closes the context. */
  sync(streams: (MediaStream | null)[] | null): void {
    const ctx = this.#ctx;
    if (!streams) return this.close();
    if (ctx && streams.some((stream, i) => stream !== this.#streams[i])) {
      this.#streams = streams;
      this.#analysers = streams.map((stream) => {
        const analyser = ctx.createAnalyser();
        analyser.fftSize = 256;
        if (stream?.getAudioTracks().length) ctx.createMediaStreamSource(stream).connect(analyser);
        return analyser;
      });
      this.resume();
    }
    this.#run();
  }

  close(): void {
    this.#streams = [];
    this.#drawn = [];
    this.#analysers = [];
    this.#run();
    void this.#ctx?.close();
    this.#ctx = null;
  }

  #stop(): void {
    clearInterval(this.#timer);
  }

  #run = (): void => {
    this.#stop();
    // A timer, not animation frames: asking for a frame costs a rendering pass even when nothing changed,
    // while a style write only renders when a level moved. 20 updates a second still look live.
    if (this.#analysers[0] && this.#onScreen && !document.hidden && !matchMedia('(prefers-reduced-motion: reduce)').matches) {
      this.#timer = setInterval(this.#draw, 50);
    }
  };

  #draw = (): void => {
    const meters = this.#host.shadowRoot!.querySelectorAll<HTMLElement>('[part~=level]');
    if (!meters.length) return this.#stop();
    this.#analysers.forEach((analyser, i) => {
      const data = this.#data;
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (const sample of data) sum += sample * sample;
      // dBFS from -60 to 0 mapped onto 0–1 (quiet speech still moves the bar), in 1/32 steps so a steady
      // level writes nothing.
      const level = Math.round(Math.max(0, 1 + Math.log10(sum / data.length) / 6) * 32) / 32;
      if (level !== this.#drawn[i]) meters[i]?.style.setProperty('--level', String((this.#drawn[i] = level)));
    });
  };
}
