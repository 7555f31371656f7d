// A scripted storm for the live/metrics tests: shoppers on their own sockets grab a few deals
// (some sell out, some hit the limit, some are answered locally once sold out), a share of the
// holds are paid. Returns what the shoppers saw, to compare with the aggregates.
import { SessionSigner } from '../../src/gateway/session.ts';
import { ShopperSocket } from '../helpers/shopper-socket.ts';
import type { ServerMessage } from '../../src/shared/protocol.ts';

export interface StormResult {
  sockets: ShopperSocket[];
  /** per deal: grabs sent, answers by result ('held' or refusal code) */
  perDeal: Map<string, { sent: number; results: Map<string, number>; heldUnits: number }>;
  holds: { hold: string; deal: string; qty: number; socket: ShopperSocket }[];
  paid: { hold: string; deal: string; qty: number }[];
}

export async function openSockets(wsUrl: string, secret: string, n: number, wave = 200): Promise<ShopperSocket[]> {
  const signer = new SessionSigner(secret, 3_600);
  const out: ShopperSocket[] = [];
  for (let i = 0; i < n; i += wave) {
    out.push(...await Promise.all(Array.from({ length: Math.min(wave, n - i) }, () => ShopperSocket.open(wsUrl, signer.issue().token))));
  }
  return out;
}

export async function runStorm(opts: {
  wsUrl: string; secret: string; dealIds: string[]; shoppers: number; grabsEach: number; payEvery: number;
}): Promise<StormResult> {
  const sockets = await openSockets(opts.wsUrl, opts.secret, opts.shoppers);
  const perDeal: StormResult['perDeal'] = new Map(opts.dealIds.map((d) => [d, { sent: 0, results: new Map(), heldUnits: 0 }]));
  const answers: Promise<{ m: ServerMessage; deal: string; socket: ShopperSocket }>[] = [];
  sockets.forEach((s, i) => {
    for (let g = 0; g < opts.grabsEach; g++) {
      const deal = opts.dealIds[(i + g) % opts.dealIds.length]!;
      const rid = `st${i}-${g}`;
      perDeal.get(deal)!.sent++;
      answers.push(s.answerTo(rid, 60_000).then((m) => ({ m, deal, socket: s })));
      s.send({ t: 'grab', deal, qty: 1 + (g % 2), rid });
    }
  });
  const all = await Promise.all(answers);
  const holds: StormResult['holds'] = [];
  for (const { m, deal, socket } of all) {
    const pd = perDeal.get(deal)!;
    const key = m.t === 'held' ? 'held' : m.t === 'refused' ? m.code : m.t;
    pd.results.set(key, (pd.results.get(key) ?? 0) + 1);
    if (m.t === 'held') {
      pd.heldUnits += m.qty;
      holds.push({ hold: m.hold, deal, qty: m.qty, socket });
    }
  }
  const toPay = opts.payEvery > 0 ? holds.filter((_, i) => i % opts.payEvery === 0) : [];
  const paid = await Promise.all(toPay.map(async (h) => {
    h.socket.send({ t: 'pay', hold: h.hold, rid: `pay-${h.hold}` });
    const m = await h.socket.waitFor((x) => (x.t === 'paid' || x.t === 'refused') && 'hold' in x && x.hold === h.hold, 30_000);
    if (m.t !== 'paid') throw new Error(`payment of ${h.hold} refused: ${JSON.stringify(m)}`);
    return { hold: h.hold, deal: h.deal, qty: h.qty };
  }));
  return { sockets, perDeal, holds, paid };
}
