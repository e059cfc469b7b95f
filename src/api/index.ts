export * from './types.js';
// Only what a host or a custom UI calls: request building and body parsing stay internal (tree-shaken
// bundles would keep their names in the export list for nobody).
export { ErrorKind, VoiceCallError, type VoiceCallErrorInit } from './errors.js';
export { createCall, endCall, type ServerEndReason } from './client.js';
export { followSession, type SessionEvent } from './sse.js';
