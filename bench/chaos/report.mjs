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
  const payCodes = {};
  let paySends = 0;
  for (const p of rec.pays.values()) {
    paySends += p.sends.length;
    const last = p.answers.at(-1);
    const k = !last ? 'no answer' : last.t === 'paid' ? 'paid' : last.code;
    payCodes[k] = (payCodes[k] ?? 0) + 1;
  }
  // a hold_expired answer to a pay sent well before the hold's expiry is worth a look
  const early = [...rec.pays.values()].filter((p) => p.answers.some((x) => x.code === 'hold_expired') && p.sends[0] < p.expiresAt - 1000).length;
  log(`payments: ${rec.pays.size} holds paid for (${paySends} pay frames): ${Object.entries(payCodes).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}; ${early} refused hold_expired though first sent over 1 s before the hold's expiresAt`);
  const holds = state.holds;
  const byState = {};
  for (const h of holds) byState[h.state] = (byState[h.state] ?? 0) + 1;
  const ended = holds.filter((h) => { const p = rec.pushes.get(h.hold); return p && (p.paid > 0 || p.expired > 0); }).length;
  const orderPush = holds.filter((h) => rec.pushes.get(h.hold)?.order > 0).length;
  log(`holds: ${holds.length} (${Object.entries(byState).map(([k, n]) => `${k} ${n}`).join(', ')}); shoppers got an order push for ${orderPush}, a paid or expired push for ${ended}`);
  log(`settle: ${settled.settled ? 'settled' : 'not settled'} in ${(settled.ms / 1000).toFixed(1)} s (${settled.last})`);
}
