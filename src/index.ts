import './define.js';

export { VoiceCallElement } from './element/voice-call.js';
export { VoiceCallEvent, type VoiceCallEventMap, type VoiceCallEndedDetail, type VoiceCallStateChangeDetail, type VoiceCallLeaseWarningDetail, type VoiceCallMuteChangeDetail, type VoiceCallDeviceChangeDetail } from './element/events.js';
export { DEFAULT_STRINGS, type VoiceCallStrings } from './element/strings.js';
export { defineVoiceCall, TAG_NAME } from './define.js';
export * from './api/index.js';
export * from './call/index.js';
