import { css } from 'lit';

// Colours meet WCAG AA (4.5:1) for text on both schemes; the button text is the background colour.
// Tags select what every element of that kind shares; one element is selected by its `part`.
export const styles = css`
  :host {
    --_accent: var(--voice-call-accent, #0b57d0);
    --_danger: var(--voice-call-danger, #b3261e);
    --_fg: var(--voice-call-color, #1f1f1f);
    --_muted-fg: var(--voice-call-muted-color, #555);
    --_bg: var(--voice-call-background, #fff);
    --_border: var(--voice-call-border-color, #c4c7c5);
    max-width: 100%;
    font: var(--voice-call-font, 14px/1.4 system-ui,sans-serif);
    color: var(--_fg);
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --_accent: var(--voice-call-accent, #a8c7fa);
      --_danger: var(--voice-call-danger, #f2b8b5);
      --_fg: var(--voice-call-color, #e3e3e3);
      --_muted-fg: var(--voice-call-muted-color, #c4c7c5);
      --_bg: var(--voice-call-background, #1f1f1f);
      --_border: var(--voice-call-border-color, #444746);
    }
  }
  /* Not when hidden: the user-agent rule for [hidden] then applies. */
  :host(:not([hidden])) {
    display: inline-block;
  }
  [part='base'] {
    display: grid;
    gap: 0.5em;
    padding: var(--voice-call-padding, 0.75em 1em);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--voice-call-radius, 12px);
  }
  .compact,
  [part='controls'],
  [part='actions'],
  [part='agent'] {
    display: flex;
    align-items: center;
    gap: 0.5em;
  }
  .compact,
  [part='controls'] {
    flex-wrap: wrap;
  }
  button,
  select,
  input {
    font: inherit;
    color: inherit;
    min-width: 0;
  }
  select {
    width: 100%;
  }
  button,
  summary {
    cursor: pointer;
  }
  button {
    min-height: var(--voice-call-size, 2.5em);
    padding: 0 1em;
    border: 1px solid var(--_accent);
    border-radius: 999px;
    background: none;
  }
  [part='button'],
  [part='accept'],
  [aria-pressed='true'] {
    font-weight: 600;
    border: none;
    background: var(--_accent);
    color: var(--_bg);
  }
  /* The active states: the call button hangs up. */
  :host([state='requesting-microphone']) [part='button'],
  :host([state='connecting']) [part='button'],
  :host([state='connected']) [part='button'] {
    background: var(--_danger);
  }
  /* A pressed toggle is filled with the text colour: apart from both the blue call and the red hang-up. */
  [aria-pressed='true'] {
    background: var(--_fg);
  }
  :focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 2px;
  }
  [part='status'] {
    font-weight: 600;
  }
  [part='error'] {
    color: var(--_danger);
  }
  [part='glance'] {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25em 0.5em;
  }
  [part~='chip'] {
    padding: 0 0.6em;
    border: 1px solid var(--_border);
    border-radius: 999px;
  }
  [part='lease'] {
    font-variant-numeric: tabular-nums;
  }
  /* Read by screen readers, not shown: which chip is the model and which the voice. */
  [part='chip-label'] {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
  :host([lease-ending]) [part='lease'] {
    color: var(--_danger);
    font-weight: 600;
  }
  [part='volume'] {
    flex: 1;
    min-width: 4em;
  }
  [part='panel'],
  [part='list'] {
    display: grid;
    grid-template-columns: max-content 1fr;
    align-items: center;
    gap: 0.25em 0.75em;
  }
  [part='label'] {
    display: contents;
  }
  [part~='level'] {
    grid-column: 2;
    height: 6px;
    border-radius: 3px;
    background: var(--_border);
    overflow: hidden;
  }
  [part~='level']::before {
    content: '';
    display: block;
    height: 100%;
    background: var(--_accent);
    transform: scaleX(var(--level, 0));
    transform-origin: left;
    will-change: transform;
  }
  @media (prefers-reduced-motion: reduce) {
    [part~='level'] {
      display: none;
    }
  }
  [part='stats'],
  [part='details'],
  [part~='partial'] {
    color: var(--_muted-fg);
  }
  [part='stats'],
  [part='details'] {
    font-size: 0.9em;
  }
  [part='list'],
  [part='value'] {
    margin: 0;
  }
  [part='value'] {
    overflow-wrap: anywhere;
  }
  [part='copy'] {
    justify-self: start;
    min-height: 0;
    margin-left: 0.5em;
    padding: 0 0.6em;
  }
  /* The transcript. (The <audio> needs no rule: without controls it is display: none by default.) */
  [role='log'] {
    max-height: var(--voice-call-transcript-height, 12em);
    overflow: auto;
    margin-top: 0.5em;
  }
  [part~='turn'] {
    margin: 0.25em 0;
  }
  /* The card, the default layout: one large call button. */
  .card [part='button'] {
    padding: 0 1.5em;
    font-size: 1.1em;
  }
  [part='details'] > :not([part='summary']) {
    margin-top: 0.5em;
  }
  /* The launcher: a round button in a corner, clear of notches and home bars, and the card beside it. */
  .launcher {
    position: fixed;
    z-index: 1000;
    bottom: calc(1em + env(safe-area-inset-bottom));
    right: calc(1em + env(safe-area-inset-right));
    display: flex;
    flex-direction: column-reverse;
    align-items: flex-end;
    gap: 0.75em;
  }
  .top-right,
  .top-left {
    bottom: auto;
    top: calc(1em + env(safe-area-inset-top));
    flex-direction: column;
  }
  .bottom-left,
  .top-left {
    right: auto;
    left: calc(1em + env(safe-area-inset-left));
    align-items: flex-start;
  }
  [part='launcher'] {
    position: relative;
    width: 3.5em;
    height: 3.5em;
    padding: 0;
    border: none;
    border-radius: 50%;
    background: var(--_accent);
    color: var(--_bg);
    box-shadow: 0 2px 8px #0006;
  }
  [part='icon'] {
    width: 1.75em;
    vertical-align: middle;
    fill: none;
    stroke: currentColor;
    stroke-width: 2;
  }
  /* A call is live: a badge on the round button, whether the card is open or not. */
  :host([state='requesting-microphone']) [part='launcher']::after,
  :host([state='connecting']) [part='launcher']::after,
  :host([state='connected']) [part='launcher']::after {
    content: '';
    position: absolute;
    top: 0;
    right: 0;
    width: 0.9em;
    height: 0.9em;
    border: 2px solid var(--_bg);
    border-radius: 50%;
    background: var(--_danger);
  }
  .launcher [part='base'] {
    position: relative;
    box-sizing: border-box;
    width: min(24em, calc(100vw - 2em - env(safe-area-inset-left) - env(safe-area-inset-right)));
    max-height: calc(100vh - 6.5em - env(safe-area-inset-top) - env(safe-area-inset-bottom));
    overflow: auto;
    box-shadow: 0 4px 16px #0004;
  }
  /* Its display above would otherwise show a closed card. */
  [part='base'][hidden] {
    display: none;
  }
  /* In the card's corner, beside the call button's row rather than on a row of its own. */
  [part='close'] {
    position: absolute;
    top: 0.4em;
    right: 0.4em;
    min-height: 2em;
    padding: 0 0.5em;
    border: none;
    font-size: 1.25em;
    line-height: 1;
  }
`;
