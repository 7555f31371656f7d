// The order number people see ("FF-B000-001K"), derived from the hold id ("11-1") and back,
// with no Postgres sequence: a hold is paid (and its number shown) before its order row may
// exist, and every device, gateway and the ops tools compute the same number from the hold id
// alone. Crockford base32 (no I, L, O, U: nothing to misread on a phone or over a call) of
// dealId * 2^30 + seq, at least 7 symbols, then one Luhn mod 32 check symbol, which catches
// every single mistyped symbol and most swaps of two neighbours. Imported by the client too:
// no Node code here.

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SEQ_BITS = 30n;
const SEQ_MASK = (1n << SEQ_BITS) - 1n;
const MIN_SYMBOLS = 7;
const PREFIX = 'FF';

/** Luhn mod N over the base32 symbols of `payload`: the symbol that makes the sum check. */
function checkSymbol(payload: string): string {
  let factor = 2;
  let sum = 0;
  for (let i = payload.length - 1; i >= 0; i--) {
    const addend = factor * ALPHABET.indexOf(payload[i]!);
    factor = factor === 2 ? 1 : 2;
    sum += Math.floor(addend / 32) + (addend % 32);
  }
  return ALPHABET[(32 - (sum % 32)) % 32]!;
}

/** Groups of four from the right, so the end people compare first is always four symbols. */
function group(symbols: string): string {
  const parts: string[] = [];
  for (let end = symbols.length; end > 0; end -= 4) parts.unshift(symbols.slice(Math.max(0, end - 4), end));
  return parts.join('-');
}

/** "11-1" -> "FF-B000-001K"; null for a string that is not a hold id (or a seq past 2^30). */
export function orderNumber(holdId: string): string | null {
  const m = /^([0-9]{1,18})-([0-9]{1,18})$/.exec(holdId);
  if (!m) return null;
  const deal = BigInt(m[1]!);
  const seq = BigInt(m[2]!);
  if (seq > SEQ_MASK) return null;
  let n = (deal << SEQ_BITS) | seq;
  let payload = '';
  do {
    payload = ALPHABET[Number(n % 32n)]! + payload;
    n /= 32n;
  } while (n > 0n);
  payload = payload.padStart(MIN_SYMBOLS, '0');
  return `${PREFIX}-${group(payload + checkSymbol(payload))}`;
}

/** An order number as a person may type it ("ff-b000-001k", "B000 001K", O for 0) -> the hold id,
 *  or null when it is not one (a wrong check symbol included). */
export function holdIdOfOrderNumber(input: string): string | null {
  let s = input.trim().toUpperCase().replace(/[\s-]/g, '');
  if (s.startsWith(PREFIX)) s = s.slice(PREFIX.length);
  s = s.replace(/O/g, '0').replace(/[IL]/g, '1');
  if (s.length < MIN_SYMBOLS + 1 || s.length > 24 || ![...s].every((c) => ALPHABET.includes(c))) return null;
  const payload = s.slice(0, -1);
  if (checkSymbol(payload) !== s.slice(-1)) return null;
  let n = 0n;
  for (const c of payload) n = n * 32n + BigInt(ALPHABET.indexOf(c));
  const deal = n >> SEQ_BITS;
  const seq = n & SEQ_MASK;
  if (deal === 0n) return null;
  const hold = `${deal}-${seq}`;
  // one spelling per hold: a zero-padded payload longer than needed is not a number we issued
  return orderNumber(hold) === `${PREFIX}-${group(s)}` ? hold : null;
}
