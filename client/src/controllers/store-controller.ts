// Keeps a host subscribed to a store (anything with subscribe(onChange) -> unsubscribe) only
// while it is connected.
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export interface Subscribable {
  subscribe(onChange: () => void): () => void;
}

export class StoreController implements ReactiveController {
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly store: Subscribable,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.unsubscribe ??= this.store.subscribe(() => this.host.requestUpdate());
  }

  hostDisconnected(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
