/**
 * The `oai-events` data channel as the agent's side writes it: one JSON text message per event, each with
 * a fresh `event_id`, and nothing before the caller's channel is open. The channel faults live here:
 * `dc-close` closes it at once, `dc-junk` slips junk between the real events, `dc-stuck` leaves a
 * response that never ends, and `dc-script-<n>` plays a fixed sequence instead of the real events.
 */
import { randomBytes } from 'node:crypto';
import type { RTCDataChannel } from 'werift';
import type { DcScript } from './dc-scripts.ts';
import { outputAudioStarted, responseCreated, type RealtimeEvent } from './realtime-events.ts';

/** The label the Everruns voice docs give the browser side (and OpenAI's WebRTC examples use). */
export const EVENTS_LABEL = 'oai-events';
/** What the browser side is told to drop unread; the junk's oversized message is just over it. */
export const MAX_EVENT_BYTES = 64 * 1024;

export type ChannelFault = { kind: 'close' } | { kind: 'junk' } | { kind: 'stuck' } | { kind: 'script'; script: DcScript };

/**
 * Every kind of message a client must ignore, none of them a valid event that would change its state. No
 * empty message: werift sends one as an SCTP DATA chunk without user data, which ends the association.
 */
export const JUNK: readonly (string | Buffer)[] = [
  'this is not JSON {',
  '42',
  'null',
  'true',
  '"output_audio_buffer.started"',
  '[{"type":"output_audio_buffer.started","response_id":"resp_junk_array"}]',
  '{"no_type":true}',
  '{"type":7}',
  '{"type":null}',
  '{"type":"x.reference.unknown","detail":{"nested":[1,2,3]}}',
  '{"type":"toString"}',
  '{"type":"constructor"}',
  '{"type":"__proto__"}',
  '{"__proto__":{"type":"output_audio_buffer.started"}}',
  '{"type":"rate_limits.updated","rate_limits":[{"name":"requests","limit":1,"remaining":0,"reset_seconds":1}]}',
  '{"type":"error","error":{"type":"invalid_request_error","message":"<img src=x onerror=alert(1)> is not markup"}}',
  `{"type":"x.reference.deep","value":${'['.repeat(5000)}${']'.repeat(5000)}}`,
  // Would make the agent speak if a client read binary messages as events.
  Buffer.from(JSON.stringify({ type: 'output_audio_buffer.started', response_id: 'resp_junk_binary' })),
  // Would make the agent speak if a client read messages over 64 KB.
  JSON.stringify({ type: 'output_audio_buffer.started', response_id: 'resp_junk_oversized', padding: 'x'.repeat(MAX_EVENT_BYTES) }),
];

export class EventsChannel {
  private open = false;
  /** Real events go out; false once a script or a stuck response has taken the channel over. */
  private live = true;
  /** While the session events go out, `dc-junk` holds its junk for the full run that follows them. */
  private opening = false;
  private junkCursor = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  /**
   * `onOpen` runs once the caller's channel is open, before any fault plays: it sends the session events.
   * `log` hears what could not be sent.
   */
  constructor(
    private readonly channel: RTCDataChannel,
    private readonly fault: ChannelFault | null,
    onOpen: () => void,
    private readonly log: (line: string) => void,
  ) {
    const opened = () => {
      if (this.open) return;
      this.open = true;
      this.opened(onOpen);
    };
    if (channel.readyState === 'open') opened();
    else {
      channel.stateChanged.subscribe((state) => {
        if (state === 'open') opened();
        else if (state === 'closed') this.dispose();
      });
    }
  }

  /** Sends one of the agent's real events (dropped before the channel opens and after a fault took it over). */
  send(event: RealtimeEvent): void {
    if (!this.open || !this.live) return;
    this.write(event);
    if (this.fault?.kind === 'junk' && !this.opening) this.writeJunk(1);
  }

  dispose(): void {
    this.open = false;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  close(): void {
    this.dispose();
    if (this.channel.readyState !== 'closed') this.channel.close();
  }

  private opened(onOpen: () => void): void {
    const { fault } = this;
    // Not at once: werift acknowledges the caller's DCEP OPEN after this, and an ACK after the close would
    // be for a channel the caller has already dropped.
    if (fault?.kind === 'close') return void setImmediate(() => this.close());
    if (fault?.kind === 'script') {
      this.live = false;
      for (const { at, event } of fault.script.steps) {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.open) this.write(event);
        }, at);
        this.timers.add(timer);
      }
      return;
    }
    this.opening = true;
    onOpen();
    this.opening = false;
    if (fault?.kind === 'junk') this.writeJunk(JUNK.length);
    if (fault?.kind === 'stuck') {
      const responseId = `resp_${randomBytes(16).toString('hex')}`;
      this.write(responseCreated(responseId));
      this.write(outputAudioStarted(responseId));
      this.live = false;
    }
  }

  private write(event: RealtimeEvent): void {
    const { type, ...fields } = event;
    this.writeRaw(JSON.stringify({ type, event_id: `event_${randomBytes(12).toString('hex')}`, ...fields }));
  }

  private writeJunk(count: number): void {
    for (let i = 0; i < count; i++) {
      this.writeRaw(JUNK[this.junkCursor]!);
      this.junkCursor = (this.junkCursor + 1) % JUNK.length;
    }
  }

  private writeRaw(message: string | Buffer): void {
    try {
      this.channel.send(message);
    } catch (error) {
      // The caller's SCTP refused it (too large for its max-message-size) or the channel just closed.
      this.log(`data channel: a ${Buffer.byteLength(message)} B message was not sent: ${(error as Error).message}`);
    }
  }
}
