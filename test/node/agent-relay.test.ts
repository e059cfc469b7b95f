// The agent's bad-link faults (relay-*): the answer's only candidate is a UDP relay in the agent process, a
// caller connects through it and exchanges audio, and once the call is up the relay drops what it is told to.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createAgentServer, type AgentServer } from '../../server/agent-server.ts';
import { Caller } from './werift-caller.ts';

let agent: AgentServer;
before(async () => {
  agent = await createAgentServer();
});
after(() => agent.close());

async function callThrough(modes: string) {
  const caller = new Caller();
  const response = await fetch(`${agent.url}/_fault/${modes}/v1/sessions/session_relay/voice/calls`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sdp: await caller.offer() }),
  });
  assert.equal(response.status, 201);
  const body = (await response.json()) as { answer_sdp: string; voice_connection_id: string };
  return { caller, body };
}

describe('the relay-* faults', () => {
  test('the answer points at the relay only, and the call connects and echoes through it', async () => {
    const { caller, body } = await callThrough('relay');
    const candidates = body.answer_sdp.split('\r\n').filter((line) => line.startsWith('a=candidate:'));
    assert.equal(candidates.length, 1, 'one candidate');
    assert.match(candidates[0]!, /^a=candidate:relay 1 udp \d+ \S+ \d+ typ host$/);
    await caller.accept(body.answer_sdp);
    await caller.connected();
    caller.startAudio();
    const call = agent.calls.get(body.voice_connection_id)!;
    for (let i = 0; i < 100 && caller.echoed < 10; i++) await sleep(50);
    assert.ok(caller.echoed >= 10, `echoed ${caller.echoed} packets through the relay`);
    assert.ok(call.relay!.forwarded > 20, 'the relay carried the call');
    assert.equal(call.relay!.dropped, 0, 'a clean link drops nothing');
    await caller.hangUp();
  });

  test('relay-loss-50: once connected, about half of the packets are dropped', async () => {
    const { caller, body } = await callThrough('relay-loss-50');
    await caller.accept(body.answer_sdp);
    await caller.connected();
    caller.startAudio();
    const call = agent.calls.get(body.voice_connection_id)!;
    for (let i = 0; i < 100 && call.relay!.forwarded + call.relay!.dropped < 200; i++) await sleep(50);
    const { forwarded, dropped } = call.relay!;
    const share = dropped / (forwarded + dropped);
    assert.ok(share > 0.3 && share < 0.7, `dropped ${dropped} of ${forwarded + dropped}`);
    await caller.close();
    agent.endCall(body.voice_connection_id, 'test-cleanup');
  });

  test('relay arguments out of range are refused', async () => {
    for (const mode of ['relay-loss-101', 'relay-jitter-x', 'relay-blackout-999999999']) {
      const response = await fetch(`${agent.url}/_fault/${mode}/v1/sessions/session_relay/voice/calls`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      assert.equal(response.status, 400, mode);
    }
  });
});
