/**
 * Agent voice channels (newer servers): `POST /v1/agents/{agent_id}/channels/{channel_id}/voice/calls` takes
 * `{sdp, session_id?, provider_id?}`, creates the session when none is given, and answers 201
 * `{session, voice}`. Every agent has every channel whose id starts with `appchan_`; others are unknown.
 */
import { randomBytes } from 'node:crypto';

export const CHANNEL_CALL = /^\/v1\/agents\/([^/]+)\/channels\/([^/]+)\/voice\/calls$/;

export interface Channel {
  agentId: string;
  channelId: string;
}

export interface ChannelSession {
  id: string;
  agent_id: string;
  channel_id: string;
  created_at: string;
}

/** An error message for a channel the agent does not have, or null. */
export function unknownChannel({ channelId }: Channel): string | null {
  return channelId.startsWith('appchan_') ? null : `no voice channel ${JSON.stringify(channelId)}`;
}

/** The session the call goes into: the request's `session_id`, or a new one. */
export function channelSession(channel: Channel, request: Record<string, unknown>): ChannelSession | string {
  const { session_id: sessionId } = request;
  if (sessionId !== undefined && sessionId !== null && (typeof sessionId !== 'string' || sessionId === '')) {
    return 'session_id must be a non-empty string or null';
  }
  return {
    id: sessionId ?? `session_${randomBytes(16).toString('hex')}`,
    agent_id: channel.agentId,
    channel_id: channel.channelId,
    created_at: new Date().toISOString(),
  };
}
