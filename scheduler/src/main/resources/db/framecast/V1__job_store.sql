-- The job store: what a scheduler restart needs (docs/architecture.md, "Durable jobs").
-- One schema for PostgreSQL and for the embedded SQLite store: only types, keys, partial indexes
-- and upserts (INSERT ... ON CONFLICT) that both understand. Times are epoch milliseconds (UTC).

-- One row per admitted job. Written first in the transaction that acknowledges the submission,
-- then as its state changes; finished_ms is set once its terminal event is stored.
CREATE TABLE jobs (
  id          TEXT PRIMARY KEY,
  tenant      TEXT NOT NULL,
  spec        BYTEA NOT NULL,             -- framecast.api.v1.GenerateRequest, every default set
  phase       TEXT NOT NULL,              -- the scheduler's JobPhase name
  created_ms  BIGINT NOT NULL,
  started_ms  BIGINT,
  finished_ms BIGINT,
  step        INTEGER NOT NULL,
  gpu_seconds DOUBLE PRECISION NOT NULL,
  last_seq    BIGINT NOT NULL,            -- events 1..last_seq are in job_events
  error       BYTEA,                      -- google.rpc.Status of a failed job
  clip        BYTEA                       -- framecast.api.v1.ClipInfo of a succeeded job
);
CREATE INDEX jobs_by_tenant ON jobs (tenant, created_ms DESC, id DESC);
CREATE INDEX jobs_unfinished ON jobs (created_ms) WHERE finished_ms IS NULL;
CREATE INDEX jobs_by_finish ON jobs (finished_ms) WHERE finished_ms IS NOT NULL;

-- The events a client may replay, seq 1, 2, ... per job with no gaps. Blobs are not here: preview
-- images are dropped, frame PNGs and clip bytes are read back from the clip store on replay.
CREATE TABLE job_events (
  job_id TEXT NOT NULL,
  seq    BIGINT NOT NULL,
  event  BYTEA NOT NULL,                  -- framecast.api.v1.JobEvent without its blobs
  PRIMARY KEY (job_id, seq)
);

-- Which job a tenant's idempotency key created, and the request it stands for (key cleared).
CREATE TABLE idempotency_keys (
  tenant     TEXT NOT NULL,
  idem_key   TEXT NOT NULL,
  job_id     TEXT NOT NULL,
  request    BYTEA NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (tenant, idem_key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_ms);

-- Each tenant's GPU-seconds and outcomes per UTC day (the window of the daily quota), written in
-- the same transactions as the jobs they come from.
CREATE TABLE usage_daily (
  tenant      TEXT NOT NULL,
  day         TEXT NOT NULL,              -- ISO date, UTC
  gpu_seconds DOUBLE PRECISION NOT NULL,
  succeeded   BIGINT NOT NULL,
  failed      BIGINT NOT NULL,
  cancelled   BIGINT NOT NULL,
  PRIMARY KEY (tenant, day)
);
