type Listener<T> = (detail: T) => void;

/**
 * A typed listener registry. The session avoids `EventTarget`/`CustomEvent` so it can be imported and
 * unit-tested without a DOM; the element turns these into DOM events.
 */
export class Emitter<Events extends object> {
  #listeners: { [K in keyof Events]?: Set<Listener<never>> } = {};

  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    const set = (this.#listeners[type] ??= new Set()).add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  protected emit<K extends keyof Events>(type: K, detail: Events[K]): void {
    for (const listener of [...(this.#listeners[type] ?? [])]) {
      try {
        (listener as Listener<Events[K]>)(detail);
      } catch (error) {
        // One broken listener must not stop the state machine; surface it like the DOM does.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
