/**
 * The reference agent alone in its own process, so the load test reads the agent's CPU and memory, not
 * the harness's. Parent → child: 'gc', 'usage', 'close'; child → parent: its URL once, then the answers.
 */
import { createAgentServer } from '../server/agent-server.ts';

const agent = await createAgentServer({ port: 0 });

export interface Usage {
  cpuUserMs: number;
  cpuSystemMs: number;
  rss: number;
  heapUsed: number;
  /** RTP counters of the live calls. */
  calls: { id: string; state: string; rtpReceived: number; rtpSent: number }[];
}

process.on('message', async (message: string) => {
  if (message === 'gc') {
    (globalThis as { gc?: () => void }).gc?.();
    process.send!({ gc: true });
  } else if (message === 'usage') {
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    const usage: Usage = {
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      calls: [...agent.calls.values()]
        .filter((call) => call.state !== 'ended')
        .map((call) => ({ id: call.voiceConnectionId, state: call.state, rtpReceived: call.rtpReceived, rtpSent: call.rtpSent })),
    };
    process.send!({ usage });
  } else if (message === 'close') {
    await agent.close();
    process.exit(0);
  }
});
process.send!({ url: agent.url });
