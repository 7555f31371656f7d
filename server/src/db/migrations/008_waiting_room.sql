-- The waiting room of a deal (server/src/room/): its mode and settings, set by the brand or
-- ops. A deal without a row has no room (mode off). The line itself lives in Redis.
CREATE TABLE deal_rooms (
  deal_id         bigint PRIMARY KEY REFERENCES deals(id),
  -- off: no room; on: every shopper queues; auto: on when watchers exceed auto_multiple x stock
  mode            text NOT NULL DEFAULT 'off' CHECK (mode IN ('off', 'on', 'auto')),
  -- shoppers admitted per second
  outflow         integer NOT NULL CHECK (outflow BETWEEN 1 AND 1000000),
  -- how long an admitted shopper may grab
  window_seconds  integer NOT NULL CHECK (window_seconds BETWEEN 1 AND 3600),
  -- how long a disconnected waiter keeps its place
  grace_seconds   integer NOT NULL CHECK (grace_seconds BETWEEN 0 AND 3600),
  auto_multiple   integer NOT NULL DEFAULT 3 CHECK (auto_multiple BETWEEN 1 AND 1000000),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
