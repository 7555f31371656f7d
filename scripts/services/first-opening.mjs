// The line `npm start` prints once the server is up: when the first deal opens, counted from
// now on the server's clock (the seed ran before the server booted, so "30 s after the start"
// is already fewer by then), so a newcomer opens the page in time to watch the countdown.

/** HH:MM:SS on this machine's clock, as the terminal's reader lives by it. */
export function clockTime(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/**
 * What opens next, from a festival as `GET /api/festivals/current` answers it.
 * @param {{ deals: Array<{ startsAt: number, state: string }>, serverTime: number } | null} festival
 * @param {string} url the page people open
 */
export function describeFirstOpening(festival, url) {
  if (!festival) return 'no festival is running or scheduled: "npm run seed" adds the demo one';
  const now = festival.serverTime;
  const live = festival.deals.filter((d) => d.state === 'live').length;
  const waiting = festival.deals.filter((d) => (d.state === 'scheduled' || d.state === 'warming') && d.startsAt > now);
  const first = Math.min(...waiting.map((d) => d.startsAt));
  const together = waiting.filter((d) => d.startsAt === first).length;
  const opening = waiting.length
    ? `${together > 1 ? `the first ${together} deals open` : 'the first deal opens'} in ${Math.round((first - now) / 1000)} s, at ${clockTime(first)}`
    : '';
  if (live) {
    return `${live} deal${live > 1 ? 's are' : ' is'} open now at ${url}${opening ? `; ${opening.replace('the first', 'the next')}` : ''}`;
  }
  if (!waiting.length) return `no deal of "${festival.name ?? 'the festival'}" is open or still to open`;
  return `${opening}: watch the countdown at ${url}`;
}

/** Asks the server what opens first; null when it does not answer (the line is a courtesy). */
export async function firstOpeningLine(base, url) {
  try {
    const res = await fetch(`${base}/api/festivals/current`, { signal: AbortSignal.timeout(3_000) });
    if (res.status === 404) return describeFirstOpening(null, url);
    if (!res.ok) return null;
    return describeFirstOpening(await res.json(), url);
  } catch {
    return null;
  }
}
