import { StrictMode, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import type { VoiceCallElement } from 'voice-call';
import { VoiceCall } from 'voice-call/react';

// The reference agent (`npm run agent`) unless the page is opened with ?base-url=…
const baseUrl = new URLSearchParams(location.search).get('base-url') ?? 'http://127.0.0.1:8787';

function App() {
  const call = useRef<VoiceCallElement>(null);
  const [state, setState] = useState('idle');
  const [log, setLog] = useState<string[]>([]);
  const note = (line: string) => setLog((lines) => [...lines, line]);

  return (
    <main>
      <h1>voice-call in React</h1>
      <VoiceCall
        ref={call}
        sessionId="session_example"
        baseUrl={baseUrl}
        onStateChange={(event) => setState(event.detail.state)}
        onConnected={(event) => note(`connected: ${event.detail.model}, voice ${event.detail.voice}`)}
        onEnded={(event) => note(`ended: ${event.detail.reason}`)}
        onError={(event) => note(`error: ${event.detail.message}`)}
      />
      <p>
        State seen by React: <output data-testid="state">{state}</output>
      </p>
      {/* The ref is the element itself: its methods work from anywhere in the app. */}
      <button type="button" onClick={() => call.current?.hangup()} disabled={state !== 'connected'}>
        Hang up from React
      </button>
      <ul data-testid="log">
        {log.map((line, i) => (
          <li key={i}>{line}</li>
        ))}
      </ul>
    </main>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
