/** Options a caller may set on a new call. Omitted (`undefined`/`null`/`''`) options are not sent. */
export interface CallOptions {
  /** With `channelId`: call through the agent's voice channel, which creates the session when `sessionId` is empty. */
  agentId?: string | null;
  channelId?: string | null;
  instructions?: string | null;
  model?: string | null;
  providerId?: string | null;
  reasoningEffort?: string | null;
  voice?: string | null;
}

/** The JSON body of `POST /v1/sessions/{session_id}/voice/calls`. */
export interface CreateCallRequest {
  sdp: string;
  instructions?: string;
  model?: string;
  provider_id?: string;
  reasoning_effort?: string;
  voice?: string;
}

/**
 * The create-call response, as the server sent it. `reasoning_effort` is `null` when a newer server
 * leaves it out; unknown fields (e.g. `channel_id`) are kept.
 */
export interface VoiceCallInfo {
  answer_sdp: string;
  expires_at: string;
  model: string;
  provider: string;
  provider_call_id: string | null;
  reasoning_effort: string | null;
  voice: string;
  voice_connection_id: string;
  channel_id?: string | null;
  [field: string]: unknown;
}

/** A successful create-call answer plus what the client measured while receiving it. */
export interface CreateCallResult {
  call: VoiceCallInfo;
  /** Server clock minus local clock in ms, from the `Date` header when it was readable, else 0. */
  clockSkewMs: number;
  /** The session an agent channel call went into. */
  session?: EverrunsSession;
  /**
   * The request headers the server accepted, token included: the end request reuses them, so it can leave
   * at once (inside `pagehide`) without waiting for `getToken`. Never shown or logged.
   */
  headers: Record<string, string>;
}

/** The session an agent voice channel call went into (created when none was given); `id` is all the widget needs. */
export interface EverrunsSession {
  id: string;
  [field: string]: unknown;
}

/** Everything needed to reach and authenticate against an Everruns API root. */
export interface ApiConfig {
  /** API root that precedes `/v1`, e.g. `https://app.everruns.com/api`. */
  baseUrl: string;
  /** A bearer token (JWT access token or personal access token). Never put an API key in a public page. */
  token?: string | null;
  /** Called before each request for a fresh token; called once more after a 401. */
  getToken?: (() => string | null | undefined | Promise<string | null | undefined>) | null;
  /** `X-Org-Id` header. */
  orgId?: string | null;
  /** Cookie policy; `include` sends cookies to a same-site API on another origin. */
  credentials?: RequestCredentials;
  /** Abort the request after this many ms: its whole answer, body included. */
  timeoutMs?: number;
  /** Injected for tests; defaults to the global `fetch`. */
  fetch?: typeof fetch;
}

export const DEFAULT_BASE_URL = 'https://app.everruns.com/api';
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
