-- "Remind me": a browser's Web Push subscription, and the deals it asked to be reminded of.
-- A row of deal_reminders is claimed (sent_at set) by one UPDATE before its push leaves, so
-- any number of schedulers send each reminder at most once.
CREATE TABLE push_subscriptions (
  id          bigserial PRIMARY KEY,
  endpoint    text NOT NULL UNIQUE CHECK (length(endpoint) <= 2048),
  -- the browser's P-256 public key and auth secret (base64url), for RFC 8291 encryption
  p256dh      text NOT NULL CHECK (length(p256dh) <= 200),
  auth        text NOT NULL CHECK (length(auth) <= 100),
  shopper_id  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE deal_reminders (
  subscription_id  bigint NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
  deal_id          bigint NOT NULL REFERENCES deals(id),
  created_at       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz,
  -- failed sends put sent_at back; after a few the reminder is given up
  attempts         integer NOT NULL DEFAULT 0,
  PRIMARY KEY (subscription_id, deal_id)
);
CREATE INDEX deal_reminders_unsent ON deal_reminders (deal_id) WHERE sent_at IS NULL;
