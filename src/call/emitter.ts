type Listener<T> = (detail: T) => void;

/**
 * A typed listener registry. The session avoids `EventTarget`/`CustomEvent` so it can be imported and
 * unit-tested without a DOM; the element turns these into DOM events.
 */
export class Emitter<Events extends object> {
  #listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  protected emit<K extends keyof Events>(type: K, detail: Events[K]): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
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
