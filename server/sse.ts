/**
 * The session event stream, `GET /v1/sessions/{id}/sse`: a log of events per session, streams that replay
 * it from `since_id` and then follow it live, heartbeat comments, a periodic `disconnecting`, and the stream
 * faults. Every stream is recorded for the tests (`GET /_agent/sessions/{id}`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Faults } from './faults.ts';
import { sendError } from './http.ts';

export interface SessionEvent {
  id: string;
  type: string;
  data: Record<string, unknown>;
}

/** What the agent saw of one stream. */
export interface StreamRecord {
  sinceId: string | null;
  /** An `Authorization` header came with it (on an agent with a token: the right one). */
  authorized: boolean;
  orgId: string | null;
  openedAt: number;
  /** When `disconnecting` was sent. */
  disconnectedAt: number | null;
  closedAt: number | null;
  /** Ids of the events written to it, in order. */
  sent: string[];
  heartbeats: number;
}

export interface StreamTimings {
  /** Between `: heartbeat` comments. Default 30 s. */
  heartbeatMs: number;
  /** A stream is closed with `event: disconnecting` after this long. Default 5 minutes. */
  disconnectMs: number;
  /** The `retry_ms` of that `disconnecting`. Default 1 s. */
  retryMs: number;
}

interface SessionLog {
  events: SessionEvent[];
  streams: StreamRecord[];
  live: Set<(event: SessionEvent) => void>;
}

/** Bounds the test double's memory; a session in a test has a few dozen events. */
const EVENTS_KEPT = 1000;

export class SessionEvents {
  private readonly sessions = new Map<string, SessionLog>();
  private sequence = 0;

  constructor(private readonly timings: StreamTimings) {}

  publish(sessionId: string, type: string, data: Record<string, unknown>): void {
    const log = this.log(sessionId);
    // Zero-padded so that ids also sort in order, as Everruns' time-ordered ids do.
    const event = { id: `evt_${String(++this.sequence).padStart(12, '0')}`, type, data };
    log.events.push(event);
    if (log.events.length > EVENTS_KEPT) log.events.shift();
    for (const write of log.live) write(event);
  }

  debug(sessionId: string): { events: SessionEvent[]; streams: StreamRecord[] } {
    const { events, streams } = this.log(sessionId);
    return { events, streams };
  }

  /**
   * Answers the SSE request: the events after `since_id` (all of them without one, or for an id it does
   * not know), then live ones, until the client goes away, a fault cuts it, or `disconnecting`.
   */
  open(req: IncomingMessage, res: ServerResponse, sessionId: string, sinceId: string | null, faults: Faults): void {
    const status = faults.get('sse-fail');
    if (status != null) return sendError(res, status, `reference fault ${status}`);
    const log = this.log(sessionId);
    const record: StreamRecord = {
      sinceId,
      authorized: req.headers.authorization !== undefined,
      orgId: (req.headers['x-org-id'] as string | undefined) ?? null,
      openedAt: Date.now(),
      disconnectedAt: null,
      closedAt: null,
      sent: [],
      heartbeats: 0,
    };
    log.streams.push(record);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' });
    res.flushHeaders();

    let silent = false;
    const write = (event: SessionEvent) => {
      if (silent) return;
      res.write(`event: ${event.type}\nid: ${event.id}\ndata: ${JSON.stringify(event)}\n\n`);
      record.sent.push(event.id);
    };
    const start = sinceId === null ? 0 : log.events.findIndex((event) => event.id === sinceId) + 1;
    log.events.slice(start).forEach(write);
    log.live.add(write);

    const retryMs = faults.get('sse-disconnect') ?? this.timings.retryMs;
    const timers = [
      setInterval(() => {
        if (silent) return;
        res.write(': heartbeat\n\n');
        record.heartbeats++;
      }, Math.max(10, faults.get('sse-heartbeat') ?? this.timings.heartbeatMs)),
      setTimeout(() => {
        record.disconnectedAt = Date.now();
        res.end(`event: disconnecting\ndata: ${JSON.stringify({ retry_ms: retryMs })}\n\n`);
      }, faults.get('sse-disconnect') ?? this.timings.disconnectMs),
    ];
    const silentMs = faults.get('sse-silent');
    if (silentMs != null) timers.push(setTimeout(() => (silent = true), silentMs));
    const dropMs = faults.get('sse-drop');
    if (dropMs != null) timers.push(setTimeout(() => res.destroy(), dropMs));
    res.once('close', () => {
      record.closedAt = Date.now();
      log.live.delete(write);
      for (const timer of timers) clearTimeout(timer);
    });
  }

  private log(sessionId: string): SessionLog {
    let log = this.sessions.get(sessionId);
    if (!log) this.sessions.set(sessionId, (log = { events: [], streams: [], live: new Set() }));
    return log;
  }
}
