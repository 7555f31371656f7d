-- flashfest schema, version 5: checkout. A deal says which payment methods it accepts (the
-- brand's call: cash on delivery suits a spice box more than a phone), and a payment says which
-- one it was paid with. Method names are the wire's (shared/protocol.ts PaymentMethod); a real
-- provider's own methods (upi, alipay, ...) are new names, not a new column.

ALTER TABLE deals ADD COLUMN payment_methods text[] NOT NULL DEFAULT '{wallet,card}'
  CHECK (cardinality(payment_methods) BETWEEN 1 AND 8);

-- NULL for payments taken before methods existed.
ALTER TABLE payments ADD COLUMN method text;
