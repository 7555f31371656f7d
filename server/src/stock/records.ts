// The records stored as strings inside a deal's hashes (see keys.ts), and how to read them.

export interface HoldRecord {
  hold: string;
  shopper: string;
  qty: number;
  expiresAt: number;
  heldAt: number;
  state: 'held' | 'paid' | 'expired';
}

/** A holds-hash value `shopper|qty|expiresAt|state|heldAt` (written by lua/grab-batch-5.lua). */
export function parseHoldRecord(hold: string, raw: string): HoldRecord {
  const m = /^(.*)\|(\d+)\|(\d+)\|([a-z]+)\|(\d+)$/.exec(raw);
  if (!m) throw new Error(`corrupt hold record ${hold}: ${raw}`);
  return {
    hold, shopper: m[1]!, qty: Number(m[2]), expiresAt: Number(m[3]),
    state: m[4] as HoldRecord['state'], heldAt: Number(m[5]),
  };
}

/** A provider charge not yet settled, as JSON in the deal's charge journal
 *  (admission/charge-journal.ts says why it exists). */
export interface ChargeEntry {
  hold: string;
  shopper: string;
  ref: string;
  provider: string;
  /** absent in entries written before payment methods */
  method?: string;
  amountMinor: number;
  currency: string;
  /** when the charge succeeded, epoch ms */
  at: number;
}

/** The entry's field in the charges hash: a hold may be charged twice (two payers racing). */
export function chargeField(e: Pick<ChargeEntry, 'hold' | 'ref'>): string {
  return `${e.hold}|${e.ref}`;
}
