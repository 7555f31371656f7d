-- flashfest schema, version 10: a hold's entry in the stock ledger is its order row. Every path
-- that wrote an order wrote, in the same statement, a 'hold' ledger row carrying the order's own
-- deal, hold id and units: the same fact twice, a second heap row and primary-key entry per
-- order on the drain's hot path (measured: bench/order-write-cost.mjs, figures in the README's
-- Performance section), and a second copy that could disagree with the first (issue 13 found orders without
-- their 'hold' row). Now the moves out of a hold, 'sale' and 'release', are the rows of
-- stock_moves, and stock_ledger is a view: one 'hold' entry per order (at the order's
-- created_at, the moment the old row was written) followed by the moves. Every order has exactly
-- one 'hold' entry by construction; readers see the ledger they saw before.
ALTER TABLE stock_ledger RENAME TO stock_moves;
ALTER TABLE stock_moves RENAME CONSTRAINT stock_ledger_pkey TO stock_moves_pkey;
ALTER TABLE stock_moves RENAME CONSTRAINT stock_ledger_hold_of_deal TO stock_moves_hold_of_deal;

-- The 'hold' rows go only if each one says what its order says; anything else is a ledger this
-- migration will not silently rewrite.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM stock_moves m WHERE m.reason = 'hold' AND NOT EXISTS (
       SELECT 1 FROM orders o WHERE o.hold_id = m.hold_id AND o.deal_id = m.deal_id AND o.qty = m.qty)) THEN
    RAISE EXCEPTION 'stock_ledger has ''hold'' rows that match no order: settle them before this migration';
  END IF;
END
$$;
DELETE FROM stock_moves WHERE reason = 'hold';
ALTER TABLE stock_moves DROP CONSTRAINT stock_ledger_reason_check;
ALTER TABLE stock_moves RENAME CONSTRAINT stock_ledger_qty_check TO stock_moves_qty_check;
ALTER TABLE stock_moves ADD CONSTRAINT stock_moves_reason_check CHECK (reason IN ('release', 'sale'));

CREATE VIEW stock_ledger AS
  SELECT deal_id, hold_id, 'hold'::text COLLATE "C" AS reason, qty, created_at AS at FROM orders
  UNION ALL
  SELECT deal_id, hold_id, reason, qty, at FROM stock_moves;

-- migration 009's trigger, reading the moves where it read the ledger (the orders it reads
-- already cover the 'hold' entries)
CREATE OR REPLACE FUNCTION deals_keep_referenced() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
    RETURN NEW;
  END IF;
  -- runs after the row lock is ours, with a fresh snapshot: a batch that held the deal
  -- FOR KEY SHARE has committed by now and its orders are seen
  IF EXISTS (SELECT 1 FROM orders WHERE hold_id >= OLD.id::text || '-' AND hold_id < OLD.id::text || '.')
     OR EXISTS (SELECT 1 FROM stock_moves WHERE hold_id >= OLD.id::text || '-' AND hold_id < OLD.id::text || '.') THEN
    RAISE EXCEPTION 'deal % has orders or stock ledger rows', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;
