// Copy (issue 14 point 9): the transcript as text when the transcript is on, and the session and voice
// connection ids from the details, with a visible "Copied". The clipboard is replaced by a recorder (fault
// injection: headless browsers refuse writes without a permission a test cannot grant in both engines), so the
// exact text is asserted; a refused write and a page without the clipboard API say "Could not copy".
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import type { TranscriptTurn, VoiceCallElement } from '../../src/index.js';
import { agents, part, until } from '../support/helpers.js';

/** Replaces navigator.clipboard for the test: by default a recorder of each text written, in `writes`. */
function replaceClipboard(clipboard: Partial<Clipboard> | null = { writeText: async (text: string) => void writes.push(text) }) {
  writes.length = 0;
  Object.defineProperty(navigator, 'clipboard', { value: clipboard ?? undefined, configurable: true });
}
const writes: string[] = [];
const restoreClipboard = () => delete (navigator as { clipboard?: unknown }).clipboard;

/** The copy button in the details row labelled `term`. */
function copyIn(el: VoiceCallElement, term: string): HTMLButtonElement {
  const row = [...el.shadowRoot!.querySelectorAll('[part=term]')].find((node) => node.textContent === term)!;
  return row.nextElementSibling!.querySelector('[part=copy]')!;
}

async function connected(transcript = false): Promise<VoiceCallElement> {
  const el = transcript
    ? await fixture<VoiceCallElement>(html`<voice-call transcript base-url=${agents.open} session-id="session_copy"></voice-call>`)
    : await fixture<VoiceCallElement>(html`<voice-call base-url=${agents.open} session-id="session_copy"></voice-call>`);
  await el.start();
  await el.updateComplete;
  return el;
}

describe('<voice-call> copy', () => {
  afterEach(restoreClipboard);

  it('copies the session and voice connection ids from the details, and says "Copied" for a moment', async () => {
    replaceClipboard();
    const el = await connected();
    (part(el, 'details') as HTMLDetailsElement).open = true;
    await el.updateComplete;
    const session = copyIn(el, 'Session');
    const connection = copyIn(el, 'Connection');
    expect(session.textContent).to.equal('Copy');
    expect(session.getAttribute('aria-label')).to.equal('Copy Session');
    expect(connection.getAttribute('aria-label')).to.equal('Copy Connection');
    const shownValue = [...session.parentElement!.childNodes].filter((node) => node.nodeType === Node.TEXT_NODE).map((node) => node.textContent).join('');
    expect(shownValue).to.equal('session_copy');

    session.click();
    await until(() => session.textContent === 'Copied', '"Copied" on the button');
    expect(session.checkVisibility()).to.equal(true);
    expect(session.getAttribute('aria-label')).to.equal('Copied Session');
    expect(connection.textContent, 'only the button that copied says so').to.equal('Copy');
    await expect(el).to.be.accessible();
    connection.click();
    await until(() => connection.textContent === 'Copied', '"Copied" on the connection button');
    expect(writes).to.deep.equal(['session_copy', el.call!.voice_connection_id]);
    await until(() => connection.textContent === 'Copy', 'the feedback to end', 4000);
    el.hangup();
  });

  it('copies the transcript as text, a line a turn, when the transcript is on', async () => {
    replaceClipboard();
    const el = await connected(true);
    let turns: readonly TranscriptTurn[] = [];
    el.addEventListener('voice-call-transcript', (event) => (turns = event.detail.turns));
    // The reference agent greets the caller: wait for the greeting's turn to be over.
    await until(() => turns.some((turn) => turn.role === 'assistant' && (turn.final || turn.interrupted)), 'the agent\'s greeting', 15_000);
    await el.updateComplete;
    const button = el.shadowRoot!.querySelector<HTMLButtonElement>('[aria-label="Copy transcript"]')!;
    expect(button.previousElementSibling, 'right below the transcript').to.equal(part(el, 'transcript'));
    // What the log shows at the moment of the click, a line a turn (turns may still grow after it).
    const shown = [...part(el, 'transcript')!.querySelectorAll('[part~=turn]')].map((turn) => (turn as HTMLElement).innerText.replace(/\s+/g, ' ').trim());
    const expected = turns.map(({ role, text, interrupted }) => `${role === 'user' ? 'You' : 'Agent'}: ${text}${interrupted ? ' (interrupted)' : ''}`);
    button.click();
    await until(() => button.textContent === 'Copied', '"Copied"');
    expect(writes).to.deep.equal([expected.join('\n')]);
    expect(writes[0]!.split('\n').map((line) => line.replace(/\s+/g, ' ').trim())).to.deep.equal(shown);
    expect(writes[0]).to.match(/^(You|Agent): /m);
    await expect(el).to.be.accessible();
    el.hangup();

    // No transcript attribute, no button (the ids' copy buttons wait in the closed details).
    const quiet = await connected();
    expect(quiet.shadowRoot!.querySelector('[part=transcript]')).to.equal(null);
    expect([...quiet.shadowRoot!.querySelectorAll('[part=copy]')].every((node) => node.closest('details'))).to.equal(true);
    quiet.hangup();
  });

  it('says "Could not copy" when the browser refuses the write, or has no clipboard API (an insecure page)', async () => {
    for (const clipboard of [{ writeText: () => Promise.reject(new DOMException('Document is not focused.', 'NotAllowedError')) }, null]) {
      replaceClipboard(clipboard);
      const el = await connected();
      (part(el, 'details') as HTMLDetailsElement).open = true;
      await el.updateComplete;
      const session = copyIn(el, 'Session');
      session.click();
      await until(() => session.textContent === 'Could not copy', '"Could not copy"');
      expect(el.state, 'the call goes on').to.equal('connected');
      el.hangup();
    }
  });
});
