-- flashfest schema, version 10: a shopper's orders are found through a hash index on shopper_id
-- instead of the btree on (shopper_id, held_at DESC). Every order row adds an entry to this index,
-- and shopper ids arrive in no order: the btree's insert descends to a random leaf and compares
-- text keys all the way down, and was the most expensive of the order write's index entries
-- (measured: bench/order-write-cost.mjs, figures in the README's Performance section). Its only
-- reader is listShopperOrders (equality on one shopper, newest first): a hash index answers the
-- equality, and the sort of one shopper's few orders by held_at is done on the rows found.
DROP INDEX orders_shopper_idx;
CREATE INDEX orders_shopper_idx ON orders USING hash (shopper_id);
