/**
 * A bad network link on this machine: a UDP relay between the caller and a UDP endpoint (the agent's peer,
 * or a TURN server) that loses, delays and reorders packets and can black out. It forwards like a NAT: each
 * caller address gets its own socket towards the target, so the target sees one address per caller
 * candidate and answers through the relay.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';

export interface LinkConditions {
  /** Share of packets dropped, each direction, 0–1. */
  loss: number;
  /** Every packet waits `delayMs` plus a random 0–`jitterMs` (so packets may overtake each other). */
  delayMs: number;
  jitterMs: number;
}

export const CLEAN_LINK: LinkConditions = { loss: 0, delayMs: 0, jitterMs: 0 };

export interface UdpEndpoint {
  address: string;
  port: number;
}

/** Packets counted by the relay, for the tests. */
export interface RelayCounts {
  forwarded: number;
  dropped: number;
}

export class UdpRelay {
  /** The conditions the next packet meets; a test or a fault may change them at any time. */
  conditions: LinkConditions;
  readonly counts: RelayCounts = { forwarded: 0, dropped: 0 };
  readonly #downstream: Socket;
  readonly #target: UdpEndpoint;
  /** One socket towards the target per caller address, as a NAT keeps one mapping per source. */
  readonly #mappings = new Map<string, Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #blackoutUntil = 0;
  #closed = false;

  private constructor(downstream: Socket, target: UdpEndpoint, conditions: LinkConditions) {
    this.#downstream = downstream;
    this.#target = target;
    this.conditions = conditions;
    downstream.on('message', (packet, from) => this.#fromCaller(packet, from));
    downstream.on('error', () => undefined);
  }

  /** A relay listening on `host` (an ephemeral port) that forwards to `target`. */
  static async open(target: UdpEndpoint, host: string, conditions: LinkConditions = CLEAN_LINK): Promise<UdpRelay> {
    const socket = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpRelay(socket, target, conditions);
  }

  /** Where callers send: the relay's own address. */
  get endpoint(): UdpEndpoint {
    const { address, port } = this.#downstream.address();
    return { address, port };
  }

  /** Drops every packet, both ways, for `ms` from now: the link is cut, then comes back as it was. */
  blackout(ms: number): void {
    this.#blackoutUntil = performance.now() + ms;
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const socket of [this.#downstream, ...this.#mappings.values()]) socket.close();
    this.#mappings.clear();
  }

  #fromCaller(packet: Buffer, from: RemoteInfo): void {
    const key = `${from.address}|${from.port}`;
    let upstream = this.#mappings.get(key);
    if (!upstream) {
      upstream = createSocket(from.family === 'IPv6' ? 'udp6' : 'udp4');
      // Errors on a relay socket (a closed target port) are what a lossy network does anyway: packets vanish.
      upstream.on('error', () => undefined);
      upstream.on('message', (reply) => this.#pass(() => this.#downstream.send(reply, from.port, from.address)));
      upstream.bind(0, this.endpoint.address);
      this.#mappings.set(key, upstream);
    }
    const socket = upstream;
    this.#pass(() => socket.send(packet, this.#target.port, this.#target.address));
  }

  /** One packet meets the link: lost, or sent after its delay. */
  #pass(send: () => void): void {
    const { loss, delayMs, jitterMs } = this.conditions;
    if (this.#closed || performance.now() < this.#blackoutUntil || Math.random() < loss) {
      this.counts.dropped++;
      return;
    }
    this.counts.forwarded++;
    const wait = delayMs + Math.random() * jitterMs;
    if (wait <= 0) return send();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) send();
    }, wait);
    this.#timers.add(timer);
  }
}
