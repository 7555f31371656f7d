// The stock ledger of one deal against its orders: reconcile's check that the system of record
// balances whatever order the events arrived in (see db/orders-repo.ts ledgerBalance). Every
// order is its own 'hold' entry (migration 010); an ended order has one 'sale' (paid) or
// 'release' (cancelled) move, never both; each move's units are its order's; and the totals add up.
import type pg from 'pg';
import { ledgerBalance, type LedgerBalance, type LedgerProblem } from '../db/orders-repo.ts';

export type LedgerViolationKind = LedgerProblem | 'ledger_units';

const WHAT: Record<LedgerProblem, string> = {
  ledger_without_order: 'hold(s) with ledger rows but no order',
  ledger_sold_and_released: "hold(s) with both a 'sale' and a 'release' row",
  ledger_wrong_end: "order(s) with a 'sale' row but not paid, or a 'release' row but not cancelled",
  ledger_missing_end: "ended order(s) without their 'sale' (paid) or 'release' (cancelled) row",
  ledger_qty: 'order(s) whose ledger rows carry other units than the order',
};

export async function checkLedger(pool: pg.Pool, dealId: string):
  Promise<{ balance: LedgerBalance; violations: { dealId: string; kind: LedgerViolationKind; detail: string }[] }> {
  const b = await ledgerBalance(pool, dealId);
  const violations: { dealId: string; kind: LedgerViolationKind; detail: string }[] = b.problems.map((p) => ({
    dealId, kind: p.problem, detail: `${p.holds} ${WHAT[p.problem]}, e.g. ${p.examples.join(', ')}`,
  }));
  const sums: string[] = [];
  if (b.saleUnits !== b.paidUnits) sums.push(`'sale' ${b.saleUnits} units, paid orders ${b.paidUnits}`);
  if (b.releaseUnits !== b.cancelledUnits) sums.push(`'release' ${b.releaseUnits} units, cancelled orders ${b.cancelledUnits}`);
  if (b.holdUnits !== b.saleUnits + b.releaseUnits + b.pendingUnits) {
    sums.push(`'hold' ${b.holdUnits} units != 'sale' ${b.saleUnits} + 'release' ${b.releaseUnits} + pending ${b.pendingUnits}`);
  }
  if (sums.length) violations.push({ dealId, kind: 'ledger_units', detail: sums.join('; ') });
  return { balance: b, violations };
}
