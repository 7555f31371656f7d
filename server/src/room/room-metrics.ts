// The waiting room in Prometheus. Line figures come from the room's Redis hash, as this
// gateway's last tick read it: every gateway reports the same values (aggregate with max).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TickState } from './room-store.ts';

interface RoomLike { dealId: string; last: TickState | null }

export class RoomMetrics {
  published = 0;
  powRefused = 0;
  private readonly passRefusals = new Map<string, number>();

  constructor(registry: Registry, rooms: () => Iterable<RoomLike>) {
    const self = this;
    const perRoom = (name: string, help: string, value: (t: TickState) => number | null) => new Gauge({
      name, help, labelNames: ['deal'], registers: [registry],
      collect() {
        this.reset();
        for (const r of rooms()) {
          const v = r.last && r.last.state !== 'off' ? value(r.last) : null;
          if (v !== null) this.set({ deal: r.dealId }, v);
        }
      },
    });
    perRoom('flashfest_room_waiting', 'Shoppers in a waiting room line (or pre-queue)', (t) => t.waiting);
    perRoom('flashfest_room_admitted_per_second', 'Shoppers admitted per second, measured over about 2 s', (t) => t.rate);
    perRoom('flashfest_room_admitted', 'Shoppers admitted by a room since it opened', (t) => t.admitted);
    perRoom('flashfest_room_abandoned', 'Places skipped because their shopper was away past the grace', (t) => t.abandoned);
    perRoom('flashfest_room_now_serving', 'The last number a room admitted or skipped', (t) => t.serving);
    perRoom('flashfest_room_time_to_sold_out_seconds', 'From the room opening to the deal selling out',
      (t) => (t.soldOutAt > 0 && t.openedAt > 0 ? (t.soldOutAt - t.openedAt) / 1000 : null));
    new Counter({
      name: 'flashfest_room_pass_refusals_total', help: 'Grabs refused not_admitted by this gateway, by why the pass failed',
      labelNames: ['reason'], registers: [registry],
      collect() {
        this.reset();
        for (const [reason, n] of self.passRefusals) this.inc({ reason }, n);
      },
    });
    new Counter({
      name: 'flashfest_room_pow_refused_total', help: 'Proof-of-work solutions this gateway refused', registers: [registry],
      collect() { this.reset(); this.inc(self.powRefused); },
    });
  }

  refusedPass(reason: string): void {
    this.passRefusals.set(reason, (this.passRefusals.get(reason) ?? 0) + 1);
  }
}
