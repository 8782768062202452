-- Which scheduler leads (issue 17): one row. A scheduler writes jobs only while it holds this
-- lease: it renews expires_ms every second; a standby takes the lease once it has expired, and
-- each new holder increments epoch. Every job store commit first checks the epoch it leads
-- under (and, on PostgreSQL, locks the row until it commits), so a deposed leader that wakes up
-- can write nothing: its commit is refused and it stops (fencing).
CREATE TABLE scheduler_lease (
  id         INTEGER PRIMARY KEY,
  holder     TEXT NOT NULL,
  epoch      BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL
);
INSERT INTO scheduler_lease (id, holder, epoch, expires_ms) VALUES (1, '', 0, 0);
