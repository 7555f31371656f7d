-- flashfest schema, version 1. Money is integer minor units + ISO 4217 code; times timestamptz.

CREATE TABLE brands (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 120),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE festivals (
  id                bigserial PRIMARY KEY,
  name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  starts_at         timestamptz NOT NULL,
  ends_at           timestamptz NOT NULL CHECK (ends_at > starts_at),
  display_currency  char(3) NOT NULL DEFAULT 'USD',
  created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deals (
  id                 bigserial PRIMARY KEY,
  festival_id        bigint NOT NULL REFERENCES festivals(id),
  brand_id           bigint NOT NULL REFERENCES brands(id),
  title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description        text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  image_url          text,
  list_price_minor   bigint NOT NULL CHECK (list_price_minor > 0),
  deal_price_minor   bigint NOT NULL CHECK (deal_price_minor > 0 AND deal_price_minor < list_price_minor),
  currency           char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  stock              integer NOT NULL CHECK (stock BETWEEN 1 AND 10000000),
  per_shopper_limit  integer NOT NULL CHECK (per_shopper_limit >= 1 AND per_shopper_limit <= stock),
  hold_seconds       integer NOT NULL CHECK (hold_seconds BETWEEN 5 AND 3600),
  starts_at          timestamptz NOT NULL,
  ends_at            timestamptz NOT NULL CHECK (ends_at > starts_at),
  state              text NOT NULL DEFAULT 'scheduled'
                     CHECK (state IN ('scheduled','warming','live','sold_out','ended','stopped','cancelled')),
  -- counters written by the scheduler when the deal ends (and by reconcile after)
  final_held         integer,
  final_sold         integer,
  final_available    integer,
  opened_at          timestamptz,
  closed_at          timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deals_festival_idx ON deals (festival_id, starts_at);
CREATE INDEX deals_pending_idx ON deals (starts_at) WHERE state IN ('scheduled','warming','live');

-- One row per hold. A hold becomes an order the moment it is decided in Redis; it ends as
-- 'paid' or 'cancelled' (expired unpaid), exactly once.
CREATE TABLE orders (
  hold_id           text PRIMARY KEY,
  deal_id           bigint NOT NULL REFERENCES deals(id),
  shopper_id        text NOT NULL,
  qty               integer NOT NULL CHECK (qty > 0),
  unit_price_minor  bigint NOT NULL CHECK (unit_price_minor > 0),
  currency          char(3) NOT NULL,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','paid','cancelled')),
  held_at           timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  paid_at           timestamptz,
  cancelled_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_shopper_idx ON orders (shopper_id, held_at DESC);
CREATE INDEX orders_deal_idx ON orders (deal_id, status);

CREATE TABLE payments (
  id            bigserial PRIMARY KEY,
  hold_id       text NOT NULL UNIQUE,
  provider      text NOT NULL,
  provider_ref  text NOT NULL,
  amount_minor  bigint NOT NULL CHECK (amount_minor > 0),
  currency      char(3) NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Every unit movement: hold (-qty available), release (+qty available), sale (held -> sold).
-- One row per (hold, reason), so a retried job writes nothing twice.
CREATE TABLE stock_ledger (
  id        bigserial PRIMARY KEY,
  deal_id   bigint NOT NULL REFERENCES deals(id),
  hold_id   text NOT NULL,
  reason    text NOT NULL CHECK (reason IN ('hold','release','sale')),
  qty       integer NOT NULL CHECK (qty > 0),
  at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (hold_id, reason)
);
CREATE INDEX stock_ledger_deal_idx ON stock_ledger (deal_id);

-- The scheduler leader's fencing token. A state write by the scheduler carries its token and
-- is refused when a newer leader has raised the fence (see scheduler/fence.ts).
CREATE TABLE scheduler_fence (
  id       boolean PRIMARY KEY DEFAULT true CHECK (id),
  token    bigint NOT NULL,
  leader   text NOT NULL,
  since    timestamptz NOT NULL DEFAULT now()
);

-- Deal life-cycle transitions, one row each: proves "opened once" and serves the audit trail.
CREATE TABLE deal_events (
  id          bigserial PRIMARY KEY,
  deal_id     bigint NOT NULL REFERENCES deals(id),
  from_state  text NOT NULL,
  to_state    text NOT NULL,
  fence       bigint,
  at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deal_events_deal_idx ON deal_events (deal_id, at);
