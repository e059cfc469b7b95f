// A long, busy call in short (the soak, `npm run soak`, runs the same for 10 minutes): the session stream
// carries 40 transcript events a second (the transcript-flood fault: turns of five words, caller and agent in
// turn), and the transcript on screen stays capped while `turns` keeps every word.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/index.js';
import type { TranscriptChange, VoiceCallElement } from '../../src/index.js';
import { faultUrl, uniqueSession, until } from '../support/helpers.js';
import { watchResources } from '../support/leaks.js';

/** Every node in the element's shadow root. */
const shadowNodes = (el: VoiceCallElement) => el.shadowRoot!.querySelectorAll('*').length;

describe('a long transcript', function () {
  this.timeout(40_000);

  it('the log on screen is capped while turns keeps every turn, and the DOM stops growing', async () => {
    const resources = watchResources();
    const el = await fixture<VoiceCallElement>(
      html`<voice-call transcript base-url=${faultUrl('transcript-flood-40')} session-id=${uniqueSession('flood')}></voice-call>`,
    );
    let latest: TranscriptChange | undefined;
    el.addEventListener('voice-call-transcript', (event) => (latest = (event as CustomEvent<TranscriptChange>).detail));
    try {
      await el.start();
      const rendered = () => el.shadowRoot!.querySelectorAll('[part~="turn"]').length;
      // 40 events a second make a turn every 150 ms: 60 turns, past the cap, in about 9 s.
      await until(() => (latest?.turns.length ?? 0) >= 60, 'sixty turns', 20_000);
      await el.updateComplete;
      const nodesAt60 = shadowNodes(el);
      const shownAt60 = rendered();
      await until(() => latest!.turns.length >= 90, 'ninety turns', 20_000);
      await el.updateComplete;
      expect(rendered(), 'turns on screen').to.be.at.most(50);
      expect(rendered(), 'turns on screen, 30 turns later').to.equal(shownAt60);
      expect(shadowNodes(el), 'shadow DOM nodes after 30 more turns').to.be.at.most(nodesAt60 + 5);
      const { turns } = latest!;
      expect(turns.find((turn) => turn.text.startsWith('Turn 1:')), 'the first flood turn is still kept').to.include({ role: 'user', final: true });
      const lastFinal = turns.filter((turn) => turn.final).at(-1)!;
      expect(el.shadowRoot!.querySelector('[part~="transcript"]')!.textContent, 'a recent turn is on screen').to.contain(lastFinal.text);
    } finally {
      el.hangup();
      resources.restore();
    }
  });
});
