import { apiUrl, headersFor, request } from './client.js';
import type { ApiConfig } from './types.js';

/** One event of a session's stream: `{id, type, data}`. */
export interface SessionEvent {
  id: string;
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: Record<string, any>;
}

/**
 * Follows `GET {base}/v1/sessions/{id}/sse` until `signal` aborts or the server refuses the stream (a 4xx;
 * a 401 only after one more token). Read with `fetch`, since `EventSource` cannot send a bearer token.
 * `idleMs` without a byte (heartbeats come every 30 s) counts as a dead stream. Every reconnect resumes
 * with `since_id`: after `disconnecting` once its `retry_ms` is up, otherwise after a backoff with jitter.
 */
export async function followSession(
  config: ApiConfig,
  sessionId: string,
  onEvent: (event: SessionEvent) => void,
  signal: AbortSignal,
  idleMs = 45_000,
): Promise<void> {
  let lastId = '';
  let failures = 0;
  let refreshed = false;
  while (!signal.aborted) {
    const link = new AbortController();
    const cut = () => link.abort();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(cut, idleMs);
    };
    let wait: number | undefined;
    // The call's end cuts the link; the link's end (in `finally`) takes this listener off the call's signal.
    signal.addEventListener('abort', cut, { signal: link.signal });
    try {
      alive();
      const headers = await headersFor(config, 'text/event-stream');
      const url = apiUrl(config.baseUrl, 'sessions', sessionId, 'sse') + (lastId && `?since_id=${encodeURIComponent(lastId)}`);
      const response = await request(config, url, { headers, signal: link.signal });
      const { status } = response;
      if (!response.ok) {
        // getToken runs before every request: an expired token gets one fresh try, as in createCall.
        if (status === 401 && config.getToken && !refreshed) {
          refreshed = true;
          continue;
        }
        if (status < 500 && status !== 429) return;
        throw status;
      }
      refreshed = false;
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let data = '';
      // `event`, `id` and any other field of the event being read.
      let fields: Record<string, string> = {};
      for (let chunk; !(chunk = await reader.read()).done; ) {
        alive();
        failures = 0;
        // A CR that ends the chunk waits for the next one: it may be the first half of a CRLF.
        const lines = (buffer + chunk.value).split(/\r\n|\r(?!$)|\n/);
        buffer = lines.pop()!;
        for (const line of lines) {
          // `[^]` and not `.`: a value runs to the end of the line, U+2028 and U+2029 (raw in JSON text) included.
          const [, field, value] = /^([^:]*):? ?([^]*)/.exec(line)!;
          if (line) {
            if (field === 'data') data += (data && '\n') + value;
            else fields[field!] = value!;
          } else if (fields.event === 'disconnecting') {
            wait = JSON.parse(data).retry_ms;
            cut();
          } else {
            lastId = fields.id ?? lastId;
            if (data) onEvent(JSON.parse(data));
            fields = {};
            data = '';
          }
        }
      }
    } catch {
      // A drop, a silent stream cut by the watchdog, `disconnecting` or a bad event: all resume below.
    } finally {
      clearTimeout(timer);
      cut();
    }
    // An abort already past never fires its event: the timer would outlive the call.
    if (signal.aborted) return;
    // The wait's abort listener goes with the wait: one per reconnect would pile up on the call's signal.
    const waited = new AbortController();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, wait ?? Math.min(30_000, 500 * 2 ** failures++) * (0.5 + Math.random() / 2));
      signal.addEventListener('abort', () => resolve(clearTimeout(timer)), { signal: waited.signal });
    });
    waited.abort();
  }
}
