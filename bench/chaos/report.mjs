// What happened in a chaos run, in figures, before the checks: the faults as they struck, what
// the shoppers sent and were told, and how the holds ended.

export function printFigures({ log, rec, state, events, openAt, settled }) {
  const rel = (t) => (t === null ? '-' : `${t - openAt >= 0 ? '+' : ''}${t - openAt} ms`);
  for (const e of events) {
    log(`fault ${e.fault}: ${e.victim ?? 'nothing to kill'} killed at ${rel(e.killedAt)} (planned ${e.at >= 0 ? '+' : ''}${e.at} ms), back at ${rel(e.backAt)}`);
  }
  let first = 0, retries = 0;
  for (const sends of rec.sends.values()) { first++; retries += sends.length - 1; }
  const outcomes = {};
  let unavailable = 0;
  for (const list of rec.answers.values()) {
    for (const a of list) {
      if (a.code === 'unavailable') { unavailable++; continue; }
      const k = a.t === 'held' ? 'held' : a.code;
      outcomes[k] = (outcomes[k] ?? 0) + 1;
    }
  }
  log(`grabs: ${first} sent, ${retries} resent by the shoppers (after a lost socket or unavailable), ${rec.resent.size} answered rids resent on a fresh socket`);
  log(`grab answers: ${Object.entries(outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}; unavailable ${unavailable}`);
  log(`sockets: ${rec.lost} lost or closed, ${rec.reopened} reopened; ${rec.frames} frames received`);
  // grabs sent and answered per second from the opening: a stall shows as a gap
  const perSecond = (ts) => { const b = []; for (const t of ts) { const s = Math.floor((t - openAt) / 1000); if (s >= 0 && s < 600) b[s] = (b[s] ?? 0) + 1; } return Array.from(b, (n) => n ?? 0); };
  const sent = perSecond([...rec.sends.values()].flatMap((l) => l.map((x) => x.at)));
  const answered = perSecond([...rec.answers.values()].flatMap((l) => l.map((x) => x.at)));
  log(`grabs sent per second from the opening: ${sent.join(' ')}`);
  log(`grab answers per second from the opening: ${answered.join(' ')}`);
  const payCodes = {};
  let paySends = 0;
  for (const p of rec.pays.values()) {
    paySends += p.sends.length;
    const last = p.answers.at(-1);
    const k = !last ? 'no answer' : last.t === 'paid' ? 'paid' : last.code;
    payCodes[k] = (payCodes[k] ?? 0) + 1;
  }
  // a pay refused hold_expired though sent well before the expiry waited that long in the engine
  // (the hold's end is judged by Redis TIME when the pay reaches Redis)
  const early = [...rec.pays.values()].filter((p) => p.answers.some((x) => x.code === 'hold_expired') && p.sends[0] < p.expiresAt - 1000).length;
  const payLat = [...rec.pays.values()].filter((p) => p.answers.length && p.sends.length).map((p) => p.answers[0].at - p.sends[0]).sort((x, y) => x - y);
  const pq = (q) => Math.round(payLat[Math.min(payLat.length - 1, Math.floor(q * payLat.length))] ?? 0);
  log(`payments: ${rec.pays.size} holds paid for (${paySends} pay frames): ${Object.entries(payCodes).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; first pay to its answer p50 ${pq(0.5)} ms, max ${pq(1)} ms; ${early} refused hold_expired though first sent over 1 s before the hold's expiresAt`);
  const holds = state.holds;
  const byState = {};
  for (const h of holds) byState[h.state] = (byState[h.state] ?? 0) + 1;
  const ended = holds.filter((h) => { const p = rec.pushes.get(h.hold); return p && (p.paid > 0 || p.expired > 0); }).length;
  const orderPush = holds.filter((h) => rec.pushes.get(h.hold)?.order > 0).length;
  log(`holds: ${holds.length} (${Object.entries(byState).map(([k, n]) => `${k} ${n}`).join(', ')}); shoppers got an order push for ${orderPush}, a paid or expired push for ${ended}`);
  log(`settle: ${settled.settled ? 'settled' : 'not settled'} in ${(settled.ms / 1000).toFixed(1)} s (${settled.last})`);
}
