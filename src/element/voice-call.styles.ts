import { css } from 'lit';

export const styles = css`
  :host {
    --_accent: var(--voice-call-accent, #0b57d0);
    --_danger: var(--voice-call-danger, #b3261e);
    --_fg: var(--voice-call-color, #1f1f1f);
    --_muted-fg: var(--voice-call-muted-color, #555);
    --_bg: var(--voice-call-background, #fff);
    --_border: var(--voice-call-border-color, #c4c7c5);
    --_radius: var(--voice-call-radius, 12px);
    display: inline-block;
    box-sizing: border-box;
    font: var(--voice-call-font, 14px/1.4 system-ui, sans-serif);
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
  :host([hidden]) {
    display: none;
  }
  [part='base'] {
    display: grid;
    gap: 0.5em;
    padding: var(--voice-call-padding, 0.75em 1em);
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }
  [part='button'] {
    font: inherit;
    font-weight: 600;
    cursor: pointer;
    padding: 0.5em 1.25em;
    border: none;
    border-radius: 999px;
    background: var(--_accent);
    color: var(--_bg);
  }
  :host([state='connected']) [part='button'],
  :host([state='connecting']) [part='button'],
  :host([state='requesting-microphone']) [part='button'] {
    background: var(--_danger);
  }
  [part='button']:focus-visible {
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
  :host([lease-warning]) [part='lease'] {
    color: var(--_danger);
    font-weight: 600;
  }
  [part='details'] {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: 0 0.75em;
    margin: 0;
    color: var(--_muted-fg);
  }
  [part='details'] dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  audio {
    display: none;
  }
`;
