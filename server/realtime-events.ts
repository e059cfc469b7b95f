/**
 * The server events the reference agent sends on the `oai-events` data channel, shaped as OpenAI's
 * Realtime API (GA names) sends them over WebRTC: one JSON object per message, `type` first. Only the
 * events that say what the agent is doing are made here; `event_id` is added as each one is sent.
 *
 * No Node imports: server/dc-scripts.ts builds its scripted sequences from these, and browser tests
 * import those as data.
 */

export interface RealtimeEvent {
  type: string;
  [field: string]: unknown;
}

/** What `session.created` / `session.updated` describe. */
export interface SessionInfo {
  id: string;
  model: string;
  voice: string;
  instructions: string;
}

/** The server VAD settings the reference agent really uses (server/speech.ts), as a provider reports them. */
const TURN_DETECTION = { type: 'server_vad', threshold: 0.5, prefix_padding_ms: 0, silence_duration_ms: 700, create_response: true, interrupt_response: true };

function session(info: SessionInfo) {
  return {
    type: 'realtime',
    object: 'realtime.session',
    id: info.id,
    model: info.model,
    output_modalities: ['audio'],
    instructions: info.instructions,
    audio: {
      input: { format: { type: 'audio/pcm', rate: 24_000 }, turn_detection: TURN_DETECTION, transcription: { model: 'reference-placeholder' } },
      output: { format: { type: 'audio/pcm', rate: 24_000 }, voice: info.voice },
    },
  };
}

export const sessionCreated = (info: SessionInfo): RealtimeEvent => ({ type: 'session.created', session: session(info) });
export const sessionUpdated = (info: SessionInfo): RealtimeEvent => ({ type: 'session.updated', session: session(info) });

export const speechStarted = (itemId: string, audioStartMs: number): RealtimeEvent => ({
  type: 'input_audio_buffer.speech_started',
  audio_start_ms: Math.round(audioStartMs),
  item_id: itemId,
});

export const speechStopped = (itemId: string, audioEndMs: number): RealtimeEvent => ({
  type: 'input_audio_buffer.speech_stopped',
  audio_end_ms: Math.round(audioEndMs),
  item_id: itemId,
});

export const committed = (itemId: string, previousItemId: string | null): RealtimeEvent => ({
  type: 'input_audio_buffer.committed',
  previous_item_id: previousItemId,
  item_id: itemId,
});

export const inputTranscriptDelta = (itemId: string, delta: string): RealtimeEvent => ({
  type: 'conversation.item.input_audio_transcription.delta',
  item_id: itemId,
  content_index: 0,
  delta,
});

export const inputTranscriptCompleted = (itemId: string, transcript: string): RealtimeEvent => ({
  type: 'conversation.item.input_audio_transcription.completed',
  item_id: itemId,
  content_index: 0,
  transcript,
});

/** The response object of `response.created` / `response.done`. */
function response(responseId: string, status: string, output: unknown[], statusDetails: unknown = null) {
  return { object: 'realtime.response', id: responseId, status, status_details: statusDetails, output, output_modalities: ['audio'], usage: null };
}

function message(itemId: string, status: string, transcript: string) {
  return { id: itemId, object: 'realtime.item', type: 'message', status, role: 'assistant', content: [{ type: 'output_audio', transcript }] };
}

export const responseCreated = (responseId: string): RealtimeEvent => ({ type: 'response.created', response: response(responseId, 'in_progress', []) });

/** `cancelled`: the caller talked over it (status_details says so, as a provider's does). */
export const responseDone = (responseId: string, itemId: string, transcript: string, status: 'completed' | 'cancelled' = 'completed'): RealtimeEvent => ({
  type: 'response.done',
  response: response(
    responseId,
    status,
    [message(itemId, status === 'completed' ? 'completed' : 'incomplete', transcript)],
    status === 'cancelled' ? { type: 'cancelled', reason: 'turn_detected' } : null,
  ),
});

export const outputTranscriptDelta = (responseId: string, itemId: string, delta: string): RealtimeEvent => ({
  type: 'response.output_audio_transcript.delta',
  response_id: responseId,
  item_id: itemId,
  output_index: 0,
  content_index: 0,
  delta,
});

export const outputTranscriptDone = (responseId: string, itemId: string, transcript: string): RealtimeEvent => ({
  type: 'response.output_audio_transcript.done',
  response_id: responseId,
  item_id: itemId,
  output_index: 0,
  content_index: 0,
  transcript,
});

export const outputAudioStarted = (responseId: string): RealtimeEvent => ({ type: 'output_audio_buffer.started', response_id: responseId });
export const outputAudioStopped = (responseId: string): RealtimeEvent => ({ type: 'output_audio_buffer.stopped', response_id: responseId });
export const outputAudioCleared = (responseId: string): RealtimeEvent => ({ type: 'output_audio_buffer.cleared', response_id: responseId });
