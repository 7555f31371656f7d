// Seeded draws for the chaos suite: the same seed gives the same fault plan, grab instants and
// payers, so a failing run can be replayed. No imports: the Node load client uses it too.

/** A small seeded generator (mulberry32): the same seed, the same draws. */
export function seededRandom(seed) {
  let a = (Number(seed) >>> 0) || 1;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
