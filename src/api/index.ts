export * from './types.js';
export * from './errors.js';
export { createCall, endCall, apiUrl, buildCreateCallRequest, parseCallInfo, isAbort, type ServerEndReason } from './client.js';
export { parseErrorBody, parseRetryAfter } from './problem.js';
export { followSession, type SessionEvent } from './sse.js';
