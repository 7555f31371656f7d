-- flashfest schema, version 4: every order has its 'hold' row in the stock ledger. Before this
-- version a payment or an expiry that came before a hold's order job wrote the order without
-- its 'hold' row, and an order job that never ran after a worker crash never added it. Every
-- path now writes the 'hold' row with the order (db/orders-repo.ts) and reconcile checks the
-- balance; book the rows those paths left out, from the orders themselves (an order's qty is
-- its hold's). Sale and release rows were always written with the status change that ends an
-- order, in its transaction, so nothing is inferred for them.
INSERT INTO stock_ledger (deal_id, hold_id, reason, qty)
SELECT deal_id, hold_id, 'hold', qty FROM orders
ON CONFLICT (hold_id, reason) DO NOTHING;
