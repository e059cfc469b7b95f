// Browser-side helpers for tests against the reference agents started by web-test-runner.config.mjs.
import { expect } from '@open-wc/testing';
import { VoiceCallError } from '../../src/api/errors.js';
import type { VoiceCallElement } from '../../src/element/voice-call.js';

interface AgentUrls {
  open: string;
  secured: string;
  token: string;
  /** A loopback URL where nothing listens (connection refused). */
  refused: string;
  /** An agent that requires `X-Org-Id: <orgId>`. */
  org: string;
  orgId: string;
  /** The TURN and STUN servers of web-test-runner.config.mjs, on loopback. */
  network: {
    /** coturn, with its static user's credentials. */
    turn: RTCIceServer;
    /** The same coturn behind a link that delays every packet by 100 ms each way: its allocations come late. */
    slowTurn: RTCIceServer;
    /** A TURN address where nothing ever answers. */
    deadTurn: RTCIceServer;
    /** A STUN server that answers as if the browser were behind a NAT (a server-reflexive candidate). */
    natStun: string;
  };
}
export const agents = (globalThis as unknown as { __AGENTS__: AgentUrls }).__AGENTS__;

/** A base URL whose calls get the reference agent's fault modes (see server/faults.ts). */
export function faultUrl(modes: string, base = agents.open): string {
  return `${base}/_fault/${modes}`;
}

export interface AgentCallRecord {
  voiceConnectionId: string;
  sessionId: string;
  state: string;
  endReason: string | null;
  rtpReceived: number;
  rtpSent: number;
  /** Our audio as the agent decoded it (server/hearing.ts). */
  heard: { audiblePackets: number; peakLevel: number };
  request: Record<string, unknown>;
  /** Wall-clock ms (this machine's clock, as the page's). */
  endedAt: number | null;
  /** The body of the end request, when the call was ended through the end route. */
  endRequest: Record<string, unknown> | null;
  /** What the relay of the `relay-*` faults forwarded and dropped; null for a call without one. */
  relay: { forwarded: number; dropped: number } | null;
}

/** What the agent saw of a call (its debug route). */
export async function agentCall(voiceConnectionId: string, base = agents.open): Promise<AgentCallRecord> {
  const response = await fetch(`${base}/_agent/calls/${encodeURIComponent(voiceConnectionId)}`);
  if (!response.ok) throw new Error(`agent has no call ${voiceConnectionId}: ${response.status}`);
  return response.json();
}

/** Polls until `check` returns a truthy value; fails with `what` after `timeoutMs`. */
export async function until<T>(check: () => T | Promise<T>, what: string, timeoutMs = 8000): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Records every stream getUserMedia hands out, so a test can prove each track was stopped. It observes
 * the real microphone; it does not replace it.
 */
export function watchMicrophones() {
  const devices = navigator.mediaDevices;
  const original = devices.getUserMedia;
  const streams: MediaStream[] = [];
  devices.getUserMedia = async function (this: MediaDevices, constraints?: MediaStreamConstraints) {
    const stream = await original.call(this, constraints);
    streams.push(stream);
    return stream;
  };
  return {
    streams,
    tracks: () => streams.flatMap((stream) => stream.getTracks()),
    allEnded: () => streams.flatMap((stream) => stream.getTracks()).every((track) => track.readyState === 'ended'),
    restore: () => {
      devices.getUserMedia = original;
    },
  };
}

export interface InboundAudio {
  packetsReceived: number;
  bytesReceived: number;
  audioLevel: number;
  totalAudioEnergy: number;
}

export async function inboundAudio(pc: RTCPeerConnection): Promise<InboundAudio> {
  const result: InboundAudio = { packetsReceived: 0, bytesReceived: 0, audioLevel: 0, totalAudioEnergy: 0 };
  (await pc.getStats()).forEach((report) => {
    if (report.type === 'inbound-rtp' && (report.kind ?? report.mediaType) === 'audio') {
      result.packetsReceived += report.packetsReceived ?? 0;
      result.bytesReceived += report.bytesReceived ?? 0;
      result.audioLevel = Math.max(result.audioLevel, report.audioLevel ?? 0);
      result.totalAudioEnergy += report.totalAudioEnergy ?? 0;
    }
  });
  return result;
}

/** The candidate pair ICE selected, with its two candidates' stats (`candidateType`: host, srflx, prflx, relay). */
export async function selectedCandidatePair(pc: RTCPeerConnection) {
  const stats = await pc.getStats();
  let pair: Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
  stats.forEach((report) => {
    // Chromium names it on the transport, Firefox marks the pair itself.
    if (report.type === 'transport' && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId);
    if (!pair && report.type === 'candidate-pair' && report.selected) pair = report;
  });
  if (!pair) return null;
  return { pair, local: stats.get(pair.localCandidateId), remote: stats.get(pair.remoteCandidateId) };
}

/**
 * Decoded audio counts as sound above these. A muted call measures exactly 0 on both; the fake microphones
 * measured (4 s): Chromium's beeps 10 audible packets a second at the agent and an inbound totalAudioEnergy of
 * 0.8; Firefox's tone 50 a second and 0.037.
 */
const AUDIBLE_ENERGY = 0.001;
const AUDIBLE_PACKETS = 10;

export interface AudioBothWays {
  /** This browser's inbound audio (its `totalAudioEnergy` is decoded sound, not packets). */
  inbound: InboundAudio;
  /** Our audio as the agent decoded it. */
  heard: AgentCallRecord['heard'];
}

/**
 * Plays a call's remote stream, as a page would. Chromium decodes (and measures) remote audio only while
 * something plays it out: a headless `CallSession`'s stream, or a muted `<audio>`, shows no inbound energy.
 * Returns the stop.
 */
export function playOut(stream: MediaStream): () => void {
  const audio = new Audio();
  audio.srcObject = stream;
  void audio.play().catch(() => undefined);
  return () => {
    audio.pause();
    audio.srcObject = null;
  };
}

/** What both sides have decoded so far: a starting point for `audioBothWays(…, since)`. */
export async function audioSoFar(pc: RTCPeerConnection, voiceConnectionId: string, base = agents.open): Promise<AudioBothWays> {
  return { inbound: await inboundAudio(pc), heard: (await agentCall(voiceConnectionId, base)).heard };
}

/**
 * Audio both ways, as a person would perceive it: the agent decoded audible sound from our microphone, and
 * this browser decoded audible sound from the agent (played out: see `playOut`). Packet counts would pass on
 * silence: a muted track still sends packets, and the agent echoes them. With `since` (an earlier reading),
 * sound heard after it.
 */
export async function audioBothWays(pc: RTCPeerConnection, voiceConnectionId: string, base = agents.open, since?: AudioBothWays): Promise<AudioBothWays> {
  const inbound = await until(async () => {
    const audio = await inboundAudio(pc);
    return audio.totalAudioEnergy > (since?.inbound.totalAudioEnergy ?? 0) + AUDIBLE_ENERGY ? audio : null;
  }, 'audible agent audio decoded in this browser');
  const { heard } = await until(async () => {
    const record = await agentCall(voiceConnectionId, base);
    return record.heard.audiblePackets >= (since?.heard.audiblePackets ?? 0) + AUDIBLE_PACKETS ? record : null;
  }, 'the agent to decode audible audio from us');
  return { inbound, heard };
}

/** Records the element's events, in order. */
export function recordEvents(el: EventTarget, types: string[]) {
  const events: CustomEvent[] = [];
  for (const type of types) el.addEventListener(type, (event) => events.push(event as CustomEvent));
  return {
    events,
    of: (type: string) => events.filter((event) => event.type === type),
  };
}

export function part(el: VoiceCallElement, name: string): HTMLElement | null {
  return el.shadowRoot!.querySelector(`[part~="${name}"]`);
}

/** Resolves with the next event of `type`, or rejects after `timeoutMs`. */
export function nextEvent<T = unknown>(target: EventTarget, type: string, timeoutMs = 10_000): Promise<CustomEvent<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within ${timeoutMs} ms`)), timeoutMs);
    target.addEventListener(
      type,
      (event) => {
        clearTimeout(timer);
        resolve(event as CustomEvent<T>);
      },
      { once: true },
    );
  });
}

/** Every call the agent has seen for this session id (its debug list), oldest first. */
export async function agentCallsFor(sessionId: string, base = agents.open): Promise<AgentCallRecord[]> {
  const response = await fetch(`${base}/_agent/calls`);
  const calls = (await response.json()) as AgentCallRecord[];
  return calls.filter((call) => call.sessionId === sessionId);
}

/** A session id no other test uses, so the agent's list can be filtered down to one test's calls. */
export function uniqueSession(label: string): string {
  return `session_${label}_${Math.random().toString(16).slice(2, 10)}`;
}

/** Short, a sentence, and free of what leaks from code into messages. */
export function expectHumanMessage(message: string): void {
  expect(message.length).to.be.within(10, 160);
  expect(message).to.match(/^[A-Z]/);
  expect(message).not.to.match(/undefined|null|\[object|NaN|<|Error:/);
}

/** A failure as a page gets it: a VoiceCallError of one of `kinds` with a human message. Returns `kind/code`. */
export function expectTypedFailure(error: unknown, kinds: readonly string[]): string {
  expect(error).to.be.instanceOf(VoiceCallError);
  const { kind, code, message } = error as VoiceCallError;
  expect(kinds).to.include(kind);
  expectHumanMessage(message);
  return `${kind}${code ? `/${code}` : ''}`;
}
