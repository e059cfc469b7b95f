/**
 * What the agent really hears: each Opus packet the caller sends is decoded (opus-decoder, WebAssembly) and
 * its loudness measured, so a test can tell speech from silence. Packet counts cannot: a muted track and
 * a silent microphone send packets too, and the agent echoes those back as readily as speech.
 */
import { OpusDecoder } from 'opus-decoder';

/** RMS of a 20 ms frame above this (-40 dBFS) is sound; digital silence and Opus comfort noise sit far below. */
export const AUDIBLE_RMS = 0.01;
/** Opus in WebRTC is always 48 kHz; one channel is all a loudness measure needs. */
const SAMPLE_RATE = 48_000;
/**
 * A packet this small is a silence or DTX frame by construction (Firefox's muted track and the Node test
 * callers send 3 bytes): counted as silent without decoding, which keeps many test callers cheap.
 */
const SILENT_PAYLOAD_BYTES = 8;

export interface Heard {
  /** Packets that decoded to audible sound. */
  audiblePackets: number;
  /** The loudest decoded packet's RMS level, 0–1. */
  peakLevel: number;
}

/** One call's decoder, made at its first packet (a call that never gets audio costs nothing) and freed at its end. */
export class Hearing {
  readonly heard: Heard = { audiblePackets: 0, peakLevel: 0 };
  #decoder?: OpusDecoder<typeof SAMPLE_RATE>;
  #ready = false;
  #freed = false;

  /** One RTP payload; the few that arrive while the decoder loads are not measured. */
  push(payload: Uint8Array): void {
    if (this.#freed || payload.length <= SILENT_PAYLOAD_BYTES) return;
    if (!this.#decoder) {
      const decoder = (this.#decoder = new OpusDecoder({ channels: 1, sampleRate: SAMPLE_RATE }));
      void decoder.ready.then(() => (this.#ready = !this.#freed), () => this.free());
    }
    if (!this.#ready) return;
    const { channelData, samplesDecoded } = this.#decoder.decodeFrame(payload);
    const samples = channelData[0];
    if (!samples || !samplesDecoded) return;
    let sum = 0;
    for (let i = 0; i < samplesDecoded; i++) sum += samples[i]! * samples[i]!;
    const rms = Math.sqrt(sum / samplesDecoded);
    if (rms > AUDIBLE_RMS) this.heard.audiblePackets++;
    this.heard.peakLevel = Math.max(this.heard.peakLevel, rms);
  }

  free(): void {
    if (this.#freed) return;
    this.#freed = true;
    this.#ready = false;
    // Freeing before the WebAssembly is ready is safe once it is: wait for it.
    void this.#decoder?.ready.then(() => this.#decoder!.free(), () => undefined);
  }
}
