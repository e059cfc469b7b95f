import { css } from 'lit';

// Colours meet WCAG AA (4.5:1) for text on both schemes; the button text is the background colour.
// Elements that occur once in the shadow tree are selected by tag (shorter than their `part`).
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
  [aria-pressed='true'] {
    font-weight: 600;
    border: none;
    background: var(--_accent);
    color: var(--_bg);
  }
  /* The active states: requesting-microphone, connecting, connected. */
  :host([state^='req']) [part='button'],
  :host([state^='conn']) [part='button'] {
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
  [part='lease'] {
    font-variant-numeric: tabular-nums;
  }
  :host([lease-ending]) [part='lease'] {
    color: var(--_danger);
    font-weight: 600;
  }
  /* The volume slider, the only input. */
  input {
    flex: 1;
    min-width: 4em;
  }
  [part='panel'],
  dl {
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
  details,
  [part~='partial'] {
    color: var(--_muted-fg);
  }
  [part='stats'],
  details {
    font-size: 0.9em;
  }
  dl,
  dd {
    margin: 0;
  }
  dd {
    overflow-wrap: anywhere;
  }
  /* The transcript. (The <audio> needs no rule: without controls it is display: none by default.) */
  [role='log'] {
    max-height: var(--voice-call-transcript-height, 12em);
    overflow: auto;
    margin-top: 0.5em;
  }
  p {
    margin: 0.25em 0;
  }
`;
