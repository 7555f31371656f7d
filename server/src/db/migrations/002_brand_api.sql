-- flashfest schema, version 2: brand API keys and the audit trail of brand changes.

-- A key is shown once as `ffb_<id>_<secret>`; only sha256(secret) is kept. Lookup is by id, so
-- checking a key is one primary-key read plus a constant-time hash compare.
CREATE TABLE api_keys (
  id            bigserial PRIMARY KEY,
  brand_id      bigint NOT NULL REFERENCES brands(id),
  label         text NOT NULL DEFAULT '' CHECK (length(label) <= 120),
  secret_sha256 bytea NOT NULL CHECK (length(secret_sha256) = 32),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX api_keys_brand_idx ON api_keys (brand_id);

-- One row per change made through the brand API (or by ops to a brand's keys): who (key and
-- brand), what, when, and the row before and after.
CREATE TABLE brand_audit (
  id          bigserial PRIMARY KEY,
  brand_id    bigint NOT NULL REFERENCES brands(id),
  key_id      bigint REFERENCES api_keys(id),
  action      text NOT NULL,
  deal_id     bigint REFERENCES deals(id),
  before      jsonb,
  after       jsonb,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX brand_audit_brand_idx ON brand_audit (brand_id, at);
CREATE INDEX brand_audit_deal_idx ON brand_audit (deal_id, at);

CREATE INDEX deals_brand_idx ON deals (brand_id, starts_at);
