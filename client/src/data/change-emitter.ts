// The stores' subscribe(onChange) -> unsubscribe, with notices coalesced: many messages can land
// in one task (a burst of deal updates, a serving broadcast), listeners hear once per microtask.
export class ChangeEmitter {
  private readonly listeners = new Set<() => void>();
  private queued = false;

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    return () => this.listeners.delete(onChange);
  }

  emit(): void {
    if (this.queued) return;
    this.queued = true;
    queueMicrotask(() => {
      this.queued = false;
      for (const l of this.listeners) l();
    });
  }
}
