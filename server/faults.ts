/**
 * Fault injection for the reference agent. A base URL such as `http://127.0.0.1:8787/_fault/delay-300,no-audio`
 * makes every create-call request (and, for `sse-*`, event stream) sent through it misbehave in those ways, so each browser test picks its
 * faults in the URL it gives the widget and no test changes state that another test sees.
 *
 * `<…>` marks a whole-number argument. The demo page lists this table, importing this module in the
 * browser: it must stay free of Node imports.
 */
import { DC_SCRIPTS } from './dc-scripts.ts';

export const FAULT_MODES = {
  'status-<code>': 'answer with that HTTP status and {"error": "reference fault <code>"}',
  'problem-<code>': 'answer with that status as RFC 9457 application/problem+json (429: with retry_after_seconds 12)',
  'prototype-code-<n>': 'answer 400 as problem+json whose code is the name of an Object.prototype member: 0 constructor, 1 toString, 2 __proto__, 3 hasOwnProperty, 4 valueOf',
  'empty-<code>': 'answer with that status and an empty body',
  'html-<code>': 'answer with that status and an HTML page, as a proxy in the way would',
  'text-<code>': 'answer with that status and a text/plain body that is not JSON',
  'retry-after-<s>': 'answer 429 with a Retry-After: <s> header',
  'redirect-login': 'answer 302 to /login, an HTML sign-in page (as an expired session would)',
  'no-answer-sdp': 'answer 201 without answer_sdp',
  'answer-sdp-number': 'answer 201 with a number as answer_sdp',
  'bad-answer-sdp': 'answer 201 with an answer_sdp string that is not SDP',
  'no-expiry': 'answer 201 without expires_at',
  'bad-expiry': 'answer 201 with an unparsable expires_at',
  'past-expiry': 'answer 201 with an expires_at in the past (the call itself keeps its lease)',
  'expires-<seconds>': 'report an expires_at <seconds> after the call was made, while the agent keeps its real lease (only the client can end the call then)',
  'lease-<seconds>': 'lease the call for <seconds> instead of the default',
  'delay-<ms>': 'wait <ms> before handling the request',
  'hang': 'never answer (the request stays open until the client gives up)',
  'stall-body': 'create the call, send the 201 status, headers and half the body, then nothing more (the call ends when the client gives up)',
  'no-audio': 'connect but never send audio back',
  'remote-close-<ms>': 'the agent closes its peer connection <ms> after it connected',
  'drop-<ms>': 'after connecting, the agent drops every packet both ways for <ms>, as a network outage would',
  'v2': 'answer like a newer server: status 200, no reasoning_effort, channel_id: null',
  'extra-fields': 'add fields the client does not know to the response',
  'no-ice': 'answer SDP whose candidates point to a closed port, so ICE never connects',
  'relay': 'media goes through a UDP relay in the agent process (the answer\'s only candidate is the relay): a clean link unless other relay-* modes say otherwise',
  'relay-loss-<percent>': 'once the call connected, the relay drops that share of packets each way, at random (implies relay)',
  'relay-jitter-<ms>': 'once the call connected, the relay holds each packet for a random 0–<ms>, so packets arrive late and out of order (implies relay)',
  'relay-blackout-<ms>': 'once the agent has sent a second of audio, the relay drops everything both ways for <ms> (implies relay)',
  'relay-heal-<ms>': 'the relay\'s loss and jitter stop <ms> after the call connected (implies relay)',
  'transcript-flood-<n>': 'once connected, the event stream carries <n> transcript deltas a second, a word each, caller and agent taking turns of five words (a long, busy call)',
  'session-ended-<ms>': 'the event stream says voice.session.ended <ms> after the call connected (the peer stays up)',
  'ended-before-expiry-<ms>': 'the event stream says voice.session.ended (agent_ended) <ms> before the lease runs out, however long connecting took (the peer stays up)',
  'session-failed-<ms>': 'the event stream says voice.session.failed <ms> after the call connected (the peer stays up)',
  'sse-fail-<code>': 'the session event stream (GET …/sse) answers with that status and {"error"}',
  'sse-drop-<ms>': 'the event stream is cut (connection reset) <ms> after it opened',
  'sse-silent-<ms>': 'the event stream goes quiet (no events, no heartbeats) <ms> after it opened, and stays open',
  'sse-heartbeat-<ms>': 'the event stream sends a heartbeat comment every <ms>',
  'sse-disconnect-<ms>': 'the event stream sends disconnecting with retry_ms <ms> and closes, <ms> after it opened',
  'turns': 'the agent takes turns like a real one: it greets, records what the caller says, thinks, and plays it back as its answer (cut when the caller talks over it), with every data channel event in step',
  'echo': 'the agent plays the caller\'s audio straight back, 400 ms later (the default; overrides an agent started in turns mode)',
  'think-<ms>': 'in turns mode, the agent thinks <ms> before it answers; from 1500 it first says "One moment."',
  'dc-reject': 'the answer refuses the data channel (port 0 m=application): audio only',
  'dc-absent': 'the answer leaves the data channel\'s m=application section out, as an older server would (both browsers refuse such an answer as it is)',
  'dc-close': 'the agent closes the oai-events channel as soon as it opens',
  'dc-junk': 'the channel carries junk between the real events: not JSON, JSON that is not an object, unknown types, binary, a message over 64 KB',
  'dc-stuck': 'the channel says response.created and output_audio_buffer.started, then nothing ever again',
  'dc-script-<n>': 'the channel plays scripted sequence <n> of server/dc-scripts.ts instead of the real events',
} as const;

export type FaultMode = keyof typeof FAULT_MODES;
/** A mode's name without its argument: `status`, `retry-after`, `hang`, … */
export type FaultName = FaultMode extends infer M ? (M extends `${infer N}-<${string}>` ? N : M) : never;

/** The faults of one request: each mode's argument, or `null` for a mode without one. */
export type Faults = ReadonlyMap<FaultName, number | null>;

export const NO_FAULTS: Faults = new Map();

const PARSERS = Object.keys(FAULT_MODES).map((mode) => {
  const [, name = mode, arg] = /^(.*)-<(\w+)>$/.exec(mode) ?? [];
  return { name: name as FaultName, takesArgument: arg !== undefined };
});

/** The `code`s of the `prototype-code-<n>` fault: text that a plain `table[code]` look-up finds on every object. */
export const PROTOTYPE_CODES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'] as const;

/** The status-setting modes; Node refuses to write a status outside 100–999, and 1xx are not answers. */
const STATUS_MODES: ReadonlySet<FaultName> = new Set(['status', 'problem', 'empty', 'html', 'text', 'sse-fail']);
/** Modes whose argument is a duration in ms; bounded like the lease. */
const MS_MODES: ReadonlySet<FaultName> = new Set(['delay', 'remote-close', 'drop', 'relay-jitter', 'relay-blackout', 'relay-heal', 'think']);
/** A timer per event: more than this a second is a CPU test of the agent, not of the widget. */
const MAX_FLOOD_PER_SECOND = 1000;
/** Bounded so a lease timer stays within setTimeout's 32-bit range. */
const MAX_SECONDS = 86_400;

/** Splits `/_fault/<modes>/rest` into the faults and `/rest`; paths without the prefix have no faults. */
export function parseFaultPath(path: string): { path: string; faults: Faults } | { error: string } {
  const match = /^\/_fault\/([^/]*)(\/.*)?$/.exec(path);
  if (!match) return { path, faults: NO_FAULTS };
  const faults = new Map<FaultName, number | null>();
  for (const token of (match[1] ?? '').split(',').filter(Boolean)) {
    const fault = parseMode(token);
    if ('error' in fault) return fault;
    faults.set(fault.name, fault.value);
  }
  return { path: match[2] ?? '/', faults };
}

function parseMode(token: string): { name: FaultName; value: number | null } | { error: string } {
  for (const { name, takesArgument } of PARSERS) {
    if (!takesArgument) {
      if (token === name) return { name, value: null };
      continue;
    }
    if (!token.startsWith(`${name}-`)) continue;
    const digits = token.slice(name.length + 1);
    const value = Number(digits);
    if (!/^\d{1,9}$/.test(digits)) return { error: `fault ${token}: the argument must be a whole number` };
    if (STATUS_MODES.has(name) && (value < 200 || value > 599)) {
      return { error: `fault ${token}: the status must be 200–599` };
    }
    if (name === 'prototype-code' && value >= PROTOTYPE_CODES.length) {
      return { error: `fault ${token}: at most ${PROTOTYPE_CODES.length - 1}` };
    }
    if ((name === 'retry-after' || name === 'lease' || name === 'expires') && value > MAX_SECONDS) {
      return { error: `fault ${token}: at most ${MAX_SECONDS} seconds` };
    }
    if (name === 'relay-loss' && value > 100) return { error: `fault ${token}: at most 100 percent` };
    if (name === 'dc-script' && !Object.hasOwn(DC_SCRIPTS, value)) {
      return { error: `fault ${token}: no such script; known: ${Object.keys(DC_SCRIPTS).join(', ')}` };
    }
    if (name === 'transcript-flood' && (value < 1 || value > MAX_FLOOD_PER_SECOND)) return { error: `fault ${token}: 1–${MAX_FLOOD_PER_SECOND} a second` };
    if (MS_MODES.has(name) && value > MAX_SECONDS * 1000) {
      return { error: `fault ${token}: at most ${MAX_SECONDS * 1000} ms` };
    }
    return { name, value };
  }
  return { error: `unknown fault mode ${JSON.stringify(token)}; known: ${Object.keys(FAULT_MODES).join(', ')}` };
}
