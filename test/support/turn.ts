/**
 * Network helpers for the browser tests, run in the web-test-runner process: a real TURN server (coturn's
 * `turnserver`, Debian package `coturn`) on loopback, and a STUN server that answers as if the caller
 * were behind a NAT (so a browser gets a server-reflexive candidate on a machine that has none).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { once } from 'node:events';

export interface TurnServer {
  /** `turn:127.0.0.1:<port>` (UDP). */
  url: string;
  host: string;
  port: number;
  username: string;
  credential: string;
  close(): Promise<void>;
}

const TURN_USER = 'voice-call-test';
const TURN_REALM = 'voice-call.test';
/** coturn takes a moment to open its listeners; after this it is not coming. */
const TURN_START_BOUND_MS = 10_000;

export function findTurnserver(): string | undefined {
  return [process.env.TURNSERVER_PATH, '/usr/bin/turnserver', '/usr/local/bin/turnserver'].find((path) => path && existsSync(path));
}

/**
 * Starts `turnserver` on 127.0.0.1 at a free port with one static long-term-credential user, UDP only (no
 * TLS, DTLS, TCP or CLI), logging to this process's stdout only when `TURN_LOG` is set. Relays bind to
 * 127.0.0.1 too, and loopback peers are allowed (coturn refuses them by default, as a server on a real
 * network should). Resolves once it answers a STUN binding request.
 */
export async function startTurnServer(executable = findTurnserver()): Promise<TurnServer> {
  if (!executable) throw new Error('No turnserver found: install coturn (`apt-get install -y coturn`) or set TURNSERVER_PATH.');
  const host = '127.0.0.1';
  const credential = randomBytes(12).toString('hex');
  for (let attempt = 1; ; attempt++) {
    const port = await freeUdpPort(host);
    const child = spawn(
      executable,
      [
        '-n', // no configuration file: everything is on this line
        '--listening-ip', host,
        '--relay-ip', host,
        '--listening-port', String(port),
        '--lt-cred-mech',
        '--user', `${TURN_USER}:${credential}`,
        '--realm', TURN_REALM,
        '--fingerprint',
        '--no-tls', '--no-dtls', '--no-tcp', '--no-cli',
        '--allow-loopback-peers',
        '--log-file', 'stdout',
        '--simple-log',
        // Its default pid file is shared by every instance on the machine.
        '--pidfile', '/dev/null',
      ],
      { stdio: ['ignore', process.env.TURN_LOG ? 'inherit' : 'ignore', 'inherit'] },
    );
    const exited = once(child, 'exit');
    const answered = await Promise.race([stunAnswers({ address: host, port }, TURN_START_BOUND_MS), exited.then(() => false)]);
    if (answered) {
      return { url: `turn:${host}:${port}`, host, port, username: TURN_USER, credential, close: () => stop(child) };
    }
    await stop(child);
    // The port was taken between choosing it and coturn binding it: once more on another.
    if (attempt === 3) throw new Error(`turnserver did not answer on ${host}:${port}`);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(killer);
}

async function freeUdpPort(host: string): Promise<number> {
  const socket = createSocket('udp4');
  await bind(socket, host);
  const { port } = socket.address();
  socket.close();
  return port;
}

function bind(socket: Socket, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
}

const STUN_MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
const XOR_MAPPED_ADDRESS = 0x0020;
const STUN_HEADER_BYTES = 20;

function bindingRequest(): Buffer {
  const header = Buffer.alloc(STUN_HEADER_BYTES);
  header.writeUInt16BE(BINDING_REQUEST, 0);
  header.writeUInt16BE(0, 2);
  header.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  randomBytes(12).copy(header, 8);
  return header;
}

/** True once `server` answers a STUN binding request (retried every 100 ms), false after `boundMs`. */
async function stunAnswers(server: { address: string; port: number }, boundMs: number): Promise<boolean> {
  const socket = createSocket('udp4');
  await bind(socket, server.address);
  try {
    return await new Promise<boolean>((resolve) => {
      socket.on('message', (reply) => {
        if (reply.length >= STUN_HEADER_BYTES && reply.readUInt16BE(0) === BINDING_SUCCESS) resolve(true);
      });
      const ask = () => socket.send(bindingRequest(), server.port, server.address);
      const retry = setInterval(ask, 100);
      const giveUp = setTimeout(() => resolve(false), boundMs);
      ask();
      socket.once('close', () => {
        clearInterval(retry);
        clearTimeout(giveUp);
      });
    });
  } finally {
    socket.close();
  }
}

/** A UDP socket on loopback that swallows every packet: a STUN or TURN server that never answers. */
export async function startSilentUdpServer(host = '127.0.0.1'): Promise<{ host: string; port: number; close(): void }> {
  const socket = createSocket('udp4');
  await bind(socket, host);
  return { host, port: socket.address().port, close: () => socket.close() };
}

export interface NatStunServer {
  /** `stun:127.0.0.1:<port>`. */
  url: string;
  close(): void;
}

/**
 * A STUN server that answers every binding request with `mapped` as the caller's address (the port it
 * came from is kept), as a server beyond a NAT would see it. On loopback a browser's server-reflexive
 * address would equal its host one and be dropped; this one is new, so the browser adds an srflx candidate.
 */
export async function startNatStunServer(mapped = '198.51.100.7', host = '127.0.0.1'): Promise<NatStunServer> {
  const socket = createSocket('udp4');
  socket.on('error', () => undefined);
  socket.on('message', (request, from) => {
    if (request.length < STUN_HEADER_BYTES || request.readUInt16BE(0) !== BINDING_REQUEST) return;
    if (request.readUInt32BE(4) !== STUN_MAGIC_COOKIE) return;
    socket.send(bindingSuccess(request.subarray(8, STUN_HEADER_BYTES), mapped, from.port), from.port, from.address);
  });
  await bind(socket, host);
  return { url: `stun:${host}:${socket.address().port}`, close: () => socket.close() };
}

/** A binding success carrying one XOR-MAPPED-ADDRESS (RFC 5389 §15.2); browsers need nothing else from it. */
function bindingSuccess(transactionId: Buffer, address: string, port: number): Buffer {
  const attribute = Buffer.alloc(12);
  attribute.writeUInt16BE(XOR_MAPPED_ADDRESS, 0);
  attribute.writeUInt16BE(8, 2);
  attribute.writeUInt8(0x01, 5); // IPv4
  attribute.writeUInt16BE(port ^ (STUN_MAGIC_COOKIE >>> 16), 6);
  const ipv4 = address.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  attribute.writeUInt32BE((ipv4 ^ STUN_MAGIC_COOKIE) >>> 0, 8);
  const header = Buffer.alloc(STUN_HEADER_BYTES);
  header.writeUInt16BE(BINDING_SUCCESS, 0);
  header.writeUInt16BE(attribute.length, 2);
  header.writeUInt32BE(STUN_MAGIC_COOKIE, 4);
  transactionId.copy(header, 8);
  return Buffer.concat([header, attribute]);
}
