-- Webhook deliveries not yet made (issue 19): written before the first attempt, updated after
-- each failed one, deleted once delivered or given up, so a scheduler that restarts (or a
-- standby that takes over) sends what was owed. One row per event and URL; the body is what is
-- signed, the id is the webhook-id every attempt carries.
CREATE TABLE webhook_deliveries (
  id         TEXT PRIMARY KEY,
  tenant     TEXT NOT NULL,
  event_type TEXT NOT NULL,
  url        TEXT NOT NULL,
  body       TEXT NOT NULL,
  attempts   INTEGER NOT NULL,
  due_ms     BIGINT NOT NULL
);
