// The console's state: the key (sessionStorage: gone when the tab closes), the brand, its
// festivals and deals, polled every 1.5 s while someone is looking.
import { BrandApi, BrandApiError, type BrandDealView, type BrandFestival } from './brand-api.ts';

const storageKey = 'ff.brandKey';
const pollMs = 1_500;

export type ConsoleState = 'signed_out' | 'checking' | 'ready';

export class BrandStore {
  state: ConsoleState = 'signed_out';
  brand: { id: string; name: string } | null = null;
  festivals: BrandFestival[] = [];
  deals: BrandDealView[] = [];
  error: string | null = null;
  api: BrandApi | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();

  subscribe(onChange: () => void): () => void {
    this.listeners.add(onChange);
    if (this.listeners.size === 1) this.resume();
    return () => {
      this.listeners.delete(onChange);
      if (this.listeners.size === 0) clearTimeout(this.timer);
    };
  }

  private resume(): void {
    let saved: string | null = null;
    try {
      saved = sessionStorage.getItem(storageKey);
    } catch {
      /* storage disabled */
    }
    if (saved && this.state === 'signed_out') void this.signIn(saved);
    else if (this.state === 'ready') void this.poll();
  }

  async signIn(key: string): Promise<void> {
    this.state = 'checking';
    this.error = null;
    this.emit();
    const api = new BrandApi(key.trim());
    try {
      const me = await api.me();
      this.api = api;
      this.brand = me.brand;
      try {
        sessionStorage.setItem(storageKey, key.trim());
      } catch {
        /* the key then lasts for this page only */
      }
      this.state = 'ready';
      await this.poll();
    } catch (err) {
      this.signOut();
      this.error = err instanceof BrandApiError ? err.message : 'Could not reach flashfest.';
      this.emit();
    }
  }

  signOut(): void {
    clearTimeout(this.timer);
    try {
      sessionStorage.removeItem(storageKey);
    } catch {
      /* nothing stored */
    }
    this.api = null;
    this.brand = null;
    this.deals = [];
    this.state = 'signed_out';
    this.emit();
  }

  /** Fetch now (after a change) and keep polling. */
  async poll(): Promise<void> {
    clearTimeout(this.timer);
    const api = this.api;
    if (!api) return;
    try {
      const [festivals, deals] = await Promise.all([api.festivals(), api.deals()]);
      if (api !== this.api) return;
      this.festivals = festivals;
      this.deals = deals;
      this.error = null;
    } catch (err) {
      if (err instanceof BrandApiError && err.status === 401) {
        this.signOut();
        this.error = err.message;
      } else if (!(err instanceof BrandApiError && err.status === 429)) {
        this.error = err instanceof Error ? err.message : String(err);
      }
    }
    this.emit();
    if (this.api === api && this.listeners.size > 0) this.timer = setTimeout(() => void this.poll(), pollMs);
  }

  private emit(): void {
    for (const l of this.listeners) l();
  }
}
