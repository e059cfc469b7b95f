export { CallSession, CALL_DEFAULTS, type CallConfig, type CallEnd, type CallDependencies, type CallSessionEvents } from './call-session.js';
export { CallState, EndReason, isActive } from './states.js';
export type { TranscriptTurn, TranscriptChange } from './transcript.js';
export { formatRemaining } from './lease.js';
export type { CallStats } from './stats.js';
