/**
 * Page instrumentation, loaded before anything else: it observes (never replaces) the microphone, the
 * peer connections and the create-call request, the same way for the baseline and the element.
 * Weak references only, so the bookkeeping itself cannot keep anything alive for the heap figures.
 */
const tracks: WeakRef<MediaStreamTrack>[] = [];
const connections: WeakRef<RTCPeerConnection>[] = [];
let connectionsCreated = 0;
let streamsAcquired = 0;
/** performance.now() of the last create-call request, when fetch was called. */
export const requests = { lastPost: 0, posts: 0 };

const devices = navigator.mediaDevices;
const getUserMedia = devices.getUserMedia.bind(devices);
devices.getUserMedia = async (constraints?: MediaStreamConstraints) => {
  const stream = await getUserMedia(constraints);
  streamsAcquired++;
  for (const track of stream.getTracks()) tracks.push(new WeakRef(track));
  return stream;
};

const Native = RTCPeerConnection;
window.RTCPeerConnection = class extends Native {
  constructor(configuration?: RTCConfiguration) {
    super(configuration);
    connectionsCreated++;
    connections.push(new WeakRef(this));
  }
};

const nativeFetch = window.fetch.bind(window);
window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
  const url = input instanceof Request ? input.url : String(input);
  if (/\/voice\/calls$/.test(url) && (init?.method ?? 'GET') === 'POST') {
    requests.lastPost = performance.now();
    requests.posts++;
  }
  return nativeFetch(input, init);
};

function alive<T extends object>(refs: WeakRef<T>[], isOpen: (value: T) => boolean): number {
  let open = 0;
  for (let i = refs.length - 1; i >= 0; i--) {
    const value = refs[i]!.deref();
    if (value && isOpen(value)) open++;
    else refs.splice(i, 1);
  }
  return open;
}

/** Live microphone tracks and peer connections not closed, right now. */
export function counters() {
  return {
    liveTracks: alive(tracks, (track) => track.readyState === 'live'),
    openConnections: alive(connections, (pc) => pc.connectionState !== 'closed'),
    streamsAcquired,
    connectionsCreated,
  };
}
