import { createComponent, type EventName } from '@lit/react';
import * as React from 'react';
import { TAG_NAME } from './define.js';
import { VoiceCallEvent, type VoiceCallEventMap } from './element/events.js';
import { VoiceCallElement } from './element/voice-call.js';

type EventKey = keyof typeof VoiceCallEvent;

/** `onStateChange`, `onConnected`, `onEnded`, … : one React prop per event in the `VoiceCallEvent` table. */
export type VoiceCallReactEvents = {
  [K in EventKey as `on${K}`]: EventName<VoiceCallEventMap[(typeof VoiceCallEvent)[K]]>;
};

// Built from the table, so an event added there is mapped here without another line.
const events = Object.fromEntries(
  Object.entries(VoiceCallEvent).map(([key, type]) => [`on${key}`, type]),
) as VoiceCallReactEvents;

/**
 * `<voice-call>` as a React component: properties as props (`sessionId`, `baseUrl`, `token`, …), events as
 * `on…` callbacks with typed `CustomEvent`s, and a ref to the element itself for `start()` and `hangup()`.
 * Importing this module registers the tag.
 */
export const VoiceCall = createComponent({
  tagName: TAG_NAME,
  elementClass: VoiceCallElement,
  react: React,
  events,
  displayName: 'VoiceCall',
});

export type { VoiceCallElement };
