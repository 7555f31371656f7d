-- flashfest schema, version 3: cheaper order admission writes. Every order the worker writes is
-- one orders row and one stock_ledger row; at the sale's peak this insert path is what bounds
-- the drain rate, and Postgres CPU is what bounds it.

-- stock_ledger: (hold_id, reason) was already unique and is what every write conflicts on; make
-- it the primary key and drop the bigserial id, which nothing reads (no query, script, bench or
-- test selects or orders by it). One index and one sequence call fewer per ledger row.
ALTER TABLE stock_ledger DROP CONSTRAINT stock_ledger_pkey;
ALTER TABLE stock_ledger DROP COLUMN id;
ALTER TABLE stock_ledger DROP CONSTRAINT stock_ledger_hold_id_reason_key;
ALTER TABLE stock_ledger ADD CONSTRAINT stock_ledger_pkey PRIMARY KEY (hold_id, reason);

-- Hold ids, shopper ids and ledger reasons are identifiers, compared only for equality and never
-- sorted for people: compare them bytewise (COLLATE "C") instead of through the database's
-- libc locale (strcoll), which was a tenth of the insert's CPU in the unique-index checks.
-- Equality is the same under both; every hold_id column changes together, so hold ids of
-- different tables still compare with each other.
ALTER TABLE orders ALTER COLUMN hold_id TYPE text COLLATE "C", ALTER COLUMN shopper_id TYPE text COLLATE "C";
ALTER TABLE stock_ledger ALTER COLUMN hold_id TYPE text COLLATE "C", ALTER COLUMN reason TYPE text COLLATE "C";
ALTER TABLE payments ALTER COLUMN hold_id TYPE text COLLATE "C";

-- No per-row foreign keys to deals on the two hot tables. Each was an RI trigger that ran a
-- SELECT ... FOR KEY SHARE on deals for every inserted row: together about a third of the
-- Postgres CPU of an order. What they guaranteed is kept more cheaply:
--  * a new row's deal exists: a hold can only be made for a deal warmed into Redis from its
--    Postgres row, and orders-repo.ts checks and FOR KEY SHARE-locks the distinct deals of a
--    batch once per statement before inserting (the lock the trigger took, once instead of per
--    row), failing with 23503 as the FK did. stock_ledger rows are written only in the
--    transaction that writes or updates the same hold's order, so that check covers them.
--  * a deal with orders never disappears (listShopperOrders joins deals): the trigger below
--    refuses to delete such a deal or change its id. Nothing in the engine deletes deals; this
--    costs nothing on the hot path.
ALTER TABLE orders DROP CONSTRAINT orders_deal_id_fkey;
ALTER TABLE stock_ledger DROP CONSTRAINT stock_ledger_deal_id_fkey;

CREATE FUNCTION deals_keep_referenced() RETURNS trigger
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.id = OLD.id THEN
    RETURN NEW;
  END IF;
  -- runs after the row lock is ours, with a fresh snapshot: a batch that held the deal
  -- FOR KEY SHARE has committed by now and its orders are seen
  IF EXISTS (SELECT 1 FROM orders WHERE deal_id = OLD.id)
     OR EXISTS (SELECT 1 FROM stock_ledger WHERE deal_id = OLD.id) THEN
    RAISE EXCEPTION 'deal % has orders or stock ledger rows', OLD.id
      USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER deals_keep_referenced BEFORE DELETE OR UPDATE OF id ON deals
  FOR EACH ROW EXECUTE FUNCTION deals_keep_referenced();
