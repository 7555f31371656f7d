-- flashfest schema, version 9: a deal's orders and ledger rows are found through the primary
-- keys, and the two per-deal indexes go. Every order row is written with one 'hold' ledger row,
-- so an order costs a heap row and an entry in each index of both tables; orders_deal_idx and
-- stock_ledger_deal_idx were two of the five entries, there only for the per-deal reads
-- (reconcile's ledger balance and order totals, the deals_keep_referenced trigger).
--
-- A hold id is `<dealId>-<seq>` (stock/keys.ts holdId; so since the first version), and hold_id
-- compares bytewise (COLLATE "C", migration 003): a deal's rows are exactly the key range
-- ['<dealId>-', '<dealId>.') of each primary key ('.' is the byte after '-'), which
-- db/orders-repo.ts dealHolds() reads. The checks below make that exact: a row whose hold id
-- does not start with its deal's id and a '-' is refused, so no row of a deal can sit outside
-- its range.
ALTER TABLE orders ADD CONSTRAINT orders_hold_of_deal CHECK (starts_with(hold_id, deal_id::text || '-'));
ALTER TABLE stock_ledger ADD CONSTRAINT stock_ledger_hold_of_deal CHECK (starts_with(hold_id, deal_id::text || '-'));

DROP INDEX orders_deal_idx;
DROP INDEX stock_ledger_deal_idx;

-- The same trigger as migration 003's, looking through the primary keys.
CREATE OR REPLACE FUNCTION deals_keep_referenced() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
    RETURN NEW;
  END IF;
  -- runs after the row lock is ours, with a fresh snapshot: a batch that held the deal
  -- FOR KEY SHARE has committed by now and its orders are seen
  IF EXISTS (SELECT 1 FROM orders WHERE hold_id >= OLD.id::text || '-' AND hold_id < OLD.id::text || '.')
     OR EXISTS (SELECT 1 FROM stock_ledger WHERE hold_id >= OLD.id::text || '-' AND hold_id < OLD.id::text || '.') THEN
    RAISE EXCEPTION 'deal % has orders or stock ledger rows', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
