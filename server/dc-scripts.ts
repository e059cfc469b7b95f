/**
 * Fixed sequences of data channel events for the `dc-script-<n>` fault: once the caller's `oai-events`
 * channel opens, the agent sends script `<n>`'s events at their times instead of its real ones (its audio
 * goes on as usual). Each step also says which agent state the client's rules (issue 15) give after it,
 * so a browser test can import a script as data and compare what the widget shows.
 *
 * No Node imports: browser tests import this module.
 */
import * as realtime from './realtime-events.ts';
import type { RealtimeEvent, SessionInfo } from './realtime-events.ts';

export type AgentState = 'listening' | 'thinking' | 'speaking';

export interface DcScriptStep {
  /** ms after the channel opened. */
  at: number;
  event: RealtimeEvent;
  /** The agent state after this event by the client's rules. */
  state: AgentState;
}

export interface DcScript {
  name: string;
  description: string;
  steps: readonly DcScriptStep[];
}

/** Between steps, so a page sees every state and a busy machine still keeps the order. */
const STEP_MS = 60;

/** Builds steps from [event, state] pairs, STEP_MS apart. */
function script(name: string, description: string, pairs: [RealtimeEvent, AgentState][]): DcScript {
  return { name, description, steps: pairs.map(([event, state], index) => ({ at: index * STEP_MS, event, state })) };
}

const SESSION: SessionInfo = { id: 'sess_script', model: 'reference-echo', voice: 'echo', instructions: '' };
const opening: [RealtimeEvent, AgentState][] = [
  [realtime.sessionCreated(SESSION), 'listening'],
  [realtime.sessionUpdated(SESSION), 'listening'],
];

/** A caller's turn, its transcript, and an answer: the events a provider sends for one exchange. */
function turn(user: string, response: string, answer: string[], previous: string | null): [RealtimeEvent, AgentState][] {
  const reply = `${response}_item`;
  return [
    [realtime.speechStarted(user, 1000), 'listening'],
    [realtime.speechStopped(user, 2500), 'thinking'],
    [realtime.committed(user, previous), 'thinking'],
    [realtime.inputTranscriptDelta(user, 'What is the weather'), 'thinking'],
    [realtime.inputTranscriptCompleted(user, 'What is the weather like?'), 'thinking'],
    [realtime.responseCreated(response), 'thinking'],
    [realtime.outputAudioStarted(response), 'speaking'],
    ...answer.map((delta): [RealtimeEvent, AgentState] => [realtime.outputTranscriptDelta(response, reply, delta), 'speaking']),
    [realtime.outputTranscriptDone(response, reply, answer.join('')), 'speaking'],
    // WebRTC: the answer is generated before its audio has played out.
    [realtime.responseDone(response, reply, answer.join('')), 'speaking'],
    [realtime.outputAudioStopped(response), 'listening'],
  ];
}

const ANSWER = ['It is', ' sunny', ' today.'];

/** Indexed by the `<n>` of `dc-script-<n>`. */
export const DC_SCRIPTS: Readonly<Record<number, DcScript>> = {
  1: script('turn', 'the caller speaks, the agent thinks, answers, and its audio ends after response.done', [
    ...opening,
    ...turn('item_script_user_1', 'resp_script_1', ANSWER, null),
  ]),
  2: script('interrupted', 'the caller talks over the answer: output_audio_buffer.cleared, response.done cancelled, then a new turn', [
    ...opening,
    [realtime.responseCreated('resp_script_greeting'), 'thinking'],
    [realtime.outputAudioStarted('resp_script_greeting'), 'speaking'],
    [realtime.outputTranscriptDelta('resp_script_greeting', 'resp_script_greeting_item', 'Hello! How can'), 'speaking'],
    [realtime.speechStarted('item_script_user_2', 800), 'listening'],
    [realtime.outputAudioCleared('resp_script_greeting'), 'listening'],
    [realtime.responseDone('resp_script_greeting', 'resp_script_greeting_item', 'Hello! How can', 'cancelled'), 'listening'],
    ...turn('item_script_user_2', 'resp_script_2', ANSWER, null).slice(1),
  ]),
  3: script('transcript-first', 'a response whose first transcript delta comes before output_audio_buffer.started', [
    ...opening,
    [realtime.responseCreated('resp_script_3'), 'thinking'],
    [realtime.outputTranscriptDelta('resp_script_3', 'resp_script_3_item', 'Right'), 'speaking'],
    [realtime.outputAudioStarted('resp_script_3'), 'speaking'],
    [realtime.outputTranscriptDelta('resp_script_3', 'resp_script_3_item', ' away.'), 'speaking'],
    [realtime.responseDone('resp_script_3', 'resp_script_3_item', 'Right away.'), 'speaking'],
    [realtime.outputAudioStopped('resp_script_3'), 'listening'],
  ]),
  4: script('silent-response', 'a response with no audio at all (a tool call): response.done with nothing playing', [
    ...opening,
    [realtime.responseCreated('resp_script_4'), 'thinking'],
    [realtime.responseDone('resp_script_4', 'resp_script_4_item', ''), 'listening'],
  ]),
  5: script('beta-names', 'an answer whose transcript uses the beta names response.audio_transcript.*', [
    ...opening,
    [realtime.responseCreated('resp_script_5'), 'thinking'],
    [{ ...realtime.outputTranscriptDelta('resp_script_5', 'resp_script_5_item', 'Hi'), type: 'response.audio_transcript.delta' }, 'speaking'],
    [realtime.outputAudioStarted('resp_script_5'), 'speaking'],
    [{ ...realtime.outputTranscriptDone('resp_script_5', 'resp_script_5_item', 'Hi'), type: 'response.audio_transcript.done' }, 'speaking'],
    [realtime.responseDone('resp_script_5', 'resp_script_5_item', 'Hi'), 'speaking'],
    [realtime.outputAudioStopped('resp_script_5'), 'listening'],
  ]),
  6: script('filler', 'delegated mode: a slow answer is preceded by a filler line, a response of its own', [
    ...opening,
    [realtime.speechStarted('item_script_user_6', 500), 'listening'],
    [realtime.speechStopped('item_script_user_6', 1800), 'thinking'],
    [realtime.committed('item_script_user_6', null), 'thinking'],
    [realtime.responseCreated('resp_script_filler'), 'thinking'],
    [realtime.outputAudioStarted('resp_script_filler'), 'speaking'],
    [realtime.outputTranscriptDelta('resp_script_filler', 'resp_script_filler_item', 'One moment.'), 'speaking'],
    [realtime.responseDone('resp_script_filler', 'resp_script_filler_item', 'One moment.'), 'speaking'],
    [realtime.outputAudioStopped('resp_script_filler'), 'listening'],
    [realtime.responseCreated('resp_script_6'), 'thinking'],
    [realtime.outputAudioStarted('resp_script_6'), 'speaking'],
    [realtime.outputTranscriptDelta('resp_script_6', 'resp_script_6_item', 'Here it is.'), 'speaking'],
    [realtime.responseDone('resp_script_6', 'resp_script_6_item', 'Here it is.'), 'speaking'],
    [realtime.outputAudioStopped('resp_script_6'), 'listening'],
  ]),
};
