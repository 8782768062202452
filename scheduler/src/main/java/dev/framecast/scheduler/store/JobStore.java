package dev.framecast.scheduler.store;

import com.google.protobuf.InvalidProtocolBufferException;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.job.JobRecord;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.webhook.Outbox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The durable job store over JDBC: PostgreSQL in a deployment, SQLite in a file for the embedded
 * default (same schema, same statements: see {@code db/framecast/V1__job_store.sql}). The schema is
 * migrated by Flyway on open; connections are pooled (HikariCP). Only {@link StoreWriter} writes;
 * readers (GetJob, ListJobs, replay, recovery) call the read methods from any thread.
 */
public final class JobStore implements AutoCloseable, Outbox {
  /** A job's write in one group commit: its record and what changed since the last commit. */
  record JobWrite(
      JobRecord record,
      boolean insert,
      List<JobEvent> events,
      String idempotencyKey,
      byte[] keyedRequest,
      LocalDate day,
      double gpuSecondsDelta,
      JobPhase outcome) {}

  /** An idempotency key's job and the request it stands for. */
  public record StoredKey(String jobId, byte[] request, Instant created) {}

  /** A tenant's usage of one UTC day. */
  public record DayUsage(double gpuSeconds, long succeeded, long failed, long cancelled) {}

  private static final String JOB_COLUMNS =
      "id, tenant, spec, phase, created_ms, started_ms, finished_ms, step, gpu_seconds, last_seq,"
          + " error, clip";

  private final HikariDataSource pool;
  private final boolean sqlite;

  private JobStore(HikariDataSource pool, boolean sqlite) {
    this.pool = pool;
    this.sqlite = sqlite;
  }

  /**
   * Opens the store at a JDBC URL ({@code jdbc:postgresql://...} or {@code jdbc:sqlite:FILE}) and
   * migrates its schema.
   */
  public static JobStore open(String url, String user, String password) {
    boolean sqlite = url.startsWith("jdbc:sqlite:");
    if (!sqlite && !url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "the job store needs a jdbc:postgresql: or jdbc:sqlite: URL, got '" + url + "'");
    }
    HikariConfig config = new HikariConfig();
    config.setPoolName("framecast-store");
    config.setJdbcUrl(sqlite ? sqliteUrl(url) : url);
    if (user != null && !user.isEmpty()) {
      config.setUsername(user);
      config.setPassword(password);
    }
    // SQLite has one writer at a time; WAL lets readers run beside it.
    config.setMaximumPoolSize(sqlite ? 4 : 8);
    config.setConnectionTimeout(10_000);
    config.setInitializationFailTimeout(10_000);
    if (!sqlite) {
      config.addDataSourceProperty("reWriteBatchedInserts", "true");
    }
    HikariDataSource pool = new HikariDataSource(config);
    try {
      migrate(pool);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new JobStore(pool, sqlite);
  }

  /** A SQLite URL with the settings the store relies on: WAL, full sync, a busy timeout. */
  private static String sqliteUrl(String url) {
    String file = url.substring("jdbc:sqlite:".length());
    int query = file.indexOf('?');
    String path = query < 0 ? file : file.substring(0, query);
    if (!path.isEmpty() && !path.equals(":memory:")) {
      try {
        Path parent = Path.of(path).toAbsolutePath().getParent();
        if (parent != null) {
          Files.createDirectories(parent);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create the directory of the job store " + path, e);
      }
    }
    String settings = "journal_mode=WAL&synchronous=FULL&busy_timeout=10000&foreign_keys=false";
    return url + (query < 0 ? "?" : "&") + settings;
  }

  private static void migrate(DataSource source) {
    Flyway.configure()
        .dataSource(source)
        .locations("classpath:db/framecast")
        .table("framecast_schema_history")
        .load()
        .migrate();
  }

  public boolean embedded() {
    return sqlite;
  }

  /**
   * What a commit carries to show its scheduler still leads: the lease's holder and the epoch it
   * was taken under ({@link Lease}).
   */
  public record Fence(String holder, long epoch) {}

  /** A commit refused because another scheduler took the lease. */
  public static final class FencedException extends SQLException {
    private static final long serialVersionUID = 1L;

    FencedException(Fence fence) {
      super(
          "the job store's lease is no longer held by "
              + fence.holder()
              + " at epoch "
              + fence.epoch()
              + ": another scheduler leads");
    }
  }

  /** Writes one group of jobs' changes in one transaction (no lease: a test, a benchmark). */
  void write(List<JobWrite> writes) throws SQLException {
    write(writes, null);
  }

  /**
   * Writes one group of jobs' changes in one transaction, first checking that {@code fence} still
   * holds the lease (on PostgreSQL the lease row stays locked until the commit, so a takeover waits
   * for it or this commit sees the new epoch and is refused).
   */
  void write(List<JobWrite> writes, Fence fence) throws SQLException {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        if (fence != null) {
          checkFence(c, fence);
        }
        writeJobs(c, writes);
        writeEvents(c, writes);
        writeKeys(c, writes);
        writeUsage(c, writes);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static void checkFence(Connection c, Fence fence) throws SQLException {
    try (PreparedStatement check =
        c.prepareStatement(
            "UPDATE scheduler_lease SET expires_ms = expires_ms"
                + " WHERE id = 1 AND holder = ? AND epoch = ?")) {
      check.setString(1, fence.holder());
      check.setLong(2, fence.epoch());
      if (check.executeUpdate() != 1) {
        throw new FencedException(fence);
      }
    }
  }

  /**
   * Takes the lease if it is free or expired at {@code nowMillis}: the new epoch's fence, or null
   * while another scheduler holds it.
   */
  Fence tryLease(String holder, long nowMillis, long ttlMillis) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement take =
              c.prepareStatement(
                  "UPDATE scheduler_lease SET holder = ?, epoch = epoch + 1, expires_ms = ?"
                      + " WHERE id = 1 AND (holder = '' OR expires_ms < ?)");
          PreparedStatement read =
              c.prepareStatement("SELECT epoch FROM scheduler_lease WHERE id = 1")) {
        take.setString(1, holder);
        take.setLong(2, nowMillis + ttlMillis);
        take.setLong(3, nowMillis);
        if (take.executeUpdate() != 1) {
          c.rollback();
          return null;
        }
        long epoch;
        try (ResultSet rs = read.executeQuery()) {
          rs.next();
          epoch = rs.getLong(1);
        }
        c.commit();
        return new Fence(holder, epoch);
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("taking the lease", e);
    }
  }

  /** Extends the lease; false when it is no longer this fence's (another scheduler took it). */
  boolean renewLease(Fence fence, long nowMillis, long ttlMillis) {
    return updateLease(
        "UPDATE scheduler_lease SET expires_ms = ? WHERE id = 1 AND holder = ? AND epoch = ?",
        nowMillis + ttlMillis,
        fence);
  }

  /** Gives the lease up (a clean stop), so a standby need not wait for it to expire. */
  void releaseLease(Fence fence) {
    updateLease(
        "UPDATE scheduler_lease SET holder = '', expires_ms = ? WHERE id = 1 AND holder = ?"
            + " AND epoch = ?",
        0,
        fence);
  }

  private boolean updateLease(String sql, long expires, Fence fence) {
    try (Connection c = pool.getConnection();
        PreparedStatement update = c.prepareStatement(sql)) {
      update.setLong(1, expires);
      update.setString(2, fence.holder());
      update.setLong(3, fence.epoch());
      return update.executeUpdate() == 1;
    } catch (SQLException e) {
      throw new StoreException("updating the lease", e);
    }
  }

  /**
   * A job's first write inserts its record, spec included (an upsert: a retried commit whose first
   * try did land writes the same row); later writes update only what changes, so the spec is
   * serialized once per job, not once per commit.
   */
  private static void writeJobs(Connection c, List<JobWrite> writes) throws SQLException {
    try (PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO jobs ("
                    + JOB_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                    + " phase = excluded.phase, started_ms = excluded.started_ms, finished_ms ="
                    + " excluded.finished_ms, step = excluded.step, gpu_seconds ="
                    + " excluded.gpu_seconds, last_seq = excluded.last_seq, error = excluded.error,"
                    + " clip = excluded.clip");
        PreparedStatement update =
            c.prepareStatement(
                "UPDATE jobs SET phase = ?, started_ms = ?, finished_ms = ?, step = ?,"
                    + " gpu_seconds = ?, last_seq = ?, error = ?, clip = ? WHERE id = ?")) {
      int inserts = 0;
      int updates = 0;
      for (JobWrite w : writes) {
        JobRecord r = w.record();
        if (w.insert()) {
          insert.setString(1, r.id());
          insert.setString(2, r.tenant());
          insert.setBytes(3, r.spec().toRequest().toByteArray());
          bindState(insert, 4, r);
          insert.addBatch();
          inserts++;
        } else {
          bindState(update, 1, r);
          update.setString(9, r.id());
          update.addBatch();
          updates++;
        }
      }
      if (inserts > 0) {
        insert.executeBatch();
      }
      if (updates > 0) {
        update.executeBatch();
      }
    }
  }

  /**
   * Binds what changes as a job runs, from {@code first} on: phase, (created, for an insert),
   * started, finished, step, GPU-seconds, last seq, error, clip.
   */
  private static void bindState(PreparedStatement s, int first, JobRecord r) throws SQLException {
    int i = first;
    s.setString(i++, r.phase().name());
    if (first > 1) {
      s.setLong(i++, r.created().toEpochMilli());
    }
    setMillis(s, i++, r.started());
    setMillis(s, i++, r.phase().isTerminal() ? r.finished() : null);
    s.setInt(i++, r.step());
    s.setDouble(i++, r.gpuSeconds());
    s.setLong(i++, r.lastSeq());
    s.setBytes(i++, r.error() == null ? null : r.error().toByteArray());
    s.setBytes(i, r.clip() == null ? null : r.clip().toByteArray());
  }

  private static void writeEvents(Connection c, List<JobWrite> writes) throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO job_events (job_id, seq, event) VALUES (?, ?, ?)"
                + " ON CONFLICT (job_id, seq) DO NOTHING")) {
      int n = 0;
      for (JobWrite w : writes) {
        for (JobEvent event : w.events()) {
          insert.setString(1, w.record().id());
          insert.setLong(2, event.getSeq());
          insert.setBytes(3, StoredEvents.strip(event).toByteArray());
          insert.addBatch();
          n++;
        }
      }
      if (n > 0) {
        insert.executeBatch();
      }
    }
  }

  private static void writeKeys(Connection c, List<JobWrite> writes) throws SQLException {
    try (PreparedStatement insert =
        c.prepareStatement(
            "INSERT INTO idempotency_keys (tenant, idem_key, job_id, request, created_ms)"
                + " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tenant, idem_key) DO UPDATE SET job_id ="
                + " excluded.job_id, request = excluded.request, created_ms = excluded.created_ms")) {
      int n = 0;
      for (JobWrite w : writes) {
        if (w.idempotencyKey() != null) {
          insert.setString(1, w.record().tenant());
          insert.setString(2, w.idempotencyKey());
          insert.setString(3, w.record().id());
          insert.setBytes(4, w.keyedRequest());
          insert.setLong(5, w.record().created().toEpochMilli());
          insert.addBatch();
          n++;
        }
      }
      if (n > 0) {
        insert.executeBatch();
      }
    }
  }

  private static void writeUsage(Connection c, List<JobWrite> writes) throws SQLException {
    record Key(String tenant, LocalDate day) {}
    Map<Key, double[]> sums = new HashMap<>();
    for (JobWrite w : writes) {
      if (w.gpuSecondsDelta() == 0 && w.outcome() == null) {
        continue;
      }
      double[] sum =
          sums.computeIfAbsent(new Key(w.record().tenant(), w.day()), k -> new double[4]);
      sum[0] += w.gpuSecondsDelta();
      if (w.outcome() == JobPhase.SUCCEEDED) {
        sum[1]++;
      } else if (w.outcome() == JobPhase.FAILED) {
        sum[2]++;
      } else if (w.outcome() == JobPhase.CANCELLED) {
        sum[3]++;
      }
    }
    if (sums.isEmpty()) {
      return;
    }
    try (PreparedStatement upsert =
        c.prepareStatement(
            "INSERT INTO usage_daily (tenant, day, gpu_seconds, succeeded, failed, cancelled)"
                + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, day) DO UPDATE SET"
                + " gpu_seconds = usage_daily.gpu_seconds + excluded.gpu_seconds,"
                + " succeeded = usage_daily.succeeded + excluded.succeeded,"
                + " failed = usage_daily.failed + excluded.failed,"
                + " cancelled = usage_daily.cancelled + excluded.cancelled")) {
      for (Map.Entry<Key, double[]> e : sums.entrySet()) {
        double[] sum = e.getValue();
        upsert.setString(1, e.getKey().tenant());
        upsert.setString(2, e.getKey().day().toString());
        upsert.setDouble(3, sum[0]);
        upsert.setLong(4, (long) sum[1]);
        upsert.setLong(5, (long) sum[2]);
        upsert.setLong(6, (long) sum[3]);
        upsert.addBatch();
      }
      upsert.executeBatch();
    }
  }

  /** Jobs that have not ended, oldest first: what a restart takes back. */
  public List<JobRecord> unfinished() {
    return query(
        "SELECT " + JOB_COLUMNS + " FROM jobs WHERE finished_ms IS NULL ORDER BY created_ms, id",
        s -> {});
  }

  public Optional<JobRecord> job(String id) {
    List<JobRecord> found =
        query("SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = ?", s -> s.setString(1, id));
    return found.stream().findFirst();
  }

  /**
   * A tenant's jobs, newest first (created, then id, both descending), after the job {@code
   * afterId} when given: keyset pagination, stable under inserts.
   */
  public List<JobRecord> page(String tenant, String afterId, int limit) {
    return page(tenant, afterId, limit, false);
  }

  /** As {@link #page(String, String, int)}, oldest first when {@code oldestFirst}. */
  public List<JobRecord> page(String tenant, String afterId, int limit, boolean oldestFirst) {
    String order = oldestFirst ? " ORDER BY created_ms, id" : " ORDER BY created_ms DESC, id DESC";
    if (afterId == null) {
      return query(
          "SELECT " + JOB_COLUMNS + " FROM jobs WHERE tenant = ?" + order + " LIMIT ?",
          s -> {
            s.setString(1, tenant);
            s.setInt(2, limit);
          });
    }
    return query(
        "SELECT "
            + JOB_COLUMNS
            + " FROM jobs j WHERE tenant = ? AND (created_ms, id) "
            + (oldestFirst ? ">" : "<")
            + " (SELECT created_ms, id FROM jobs WHERE id = ?)"
            + order
            + " LIMIT ?",
        s -> {
          s.setString(1, tenant);
          s.setString(2, afterId);
          s.setInt(3, limit);
        });
  }

  /**
   * Deletes an ended job: its record, its events and the idempotency keys that name it, in one
   * transaction; false when there was no such ended job. Its GPU-seconds stay in the day's usage.
   */
  public boolean delete(String jobId) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement events =
              c.prepareStatement(
                  "DELETE FROM job_events WHERE job_id IN (SELECT id FROM jobs WHERE id = ? AND"
                      + " finished_ms IS NOT NULL)");
          PreparedStatement keys =
              c.prepareStatement(
                  "DELETE FROM idempotency_keys WHERE job_id IN (SELECT id FROM jobs WHERE id = ?"
                      + " AND finished_ms IS NOT NULL)");
          PreparedStatement jobs =
              c.prepareStatement("DELETE FROM jobs WHERE id = ? AND finished_ms IS NOT NULL")) {
        events.setString(1, jobId);
        events.executeUpdate();
        keys.setString(1, jobId);
        keys.executeUpdate();
        jobs.setString(1, jobId);
        int deleted = jobs.executeUpdate();
        c.commit();
        return deleted > 0;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("deleting job " + jobId, e);
    }
  }

  /** A job's stored events in seq order, without their blobs (see {@link StoredEvents}). */
  public List<JobEvent> events(String jobId) {
    List<JobEvent> events = new ArrayList<>();
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement("SELECT event FROM job_events WHERE job_id = ? ORDER BY seq")) {
      s.setString(1, jobId);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          events.add(JobEvent.parseFrom(rs.getBytes(1)));
        }
      }
      return events;
    } catch (SQLException e) {
      throw new StoreException("reading the events of job " + jobId, e);
    } catch (InvalidProtocolBufferException e) {
      throw new StoreException("a stored event of job " + jobId + " is corrupt", e);
    }
  }

  /**
   * Stored events with their blobs back from the clip store's {@code clip} and {@code frames}
   * (either may be null: those stay empty).
   */
  public static List<JobEvent> rehydrate(List<JobEvent> stored, byte[] clip, List<byte[]> frames) {
    return StoredEvents.rehydrate(stored, clip, frames);
  }

  /** The job a tenant's key created at or after {@code since}, if any. */
  public Optional<StoredKey> idempotencyKey(String tenant, String key, Instant since) {
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT job_id, request, created_ms FROM idempotency_keys WHERE tenant = ? AND"
                    + " idem_key = ? AND created_ms >= ?")) {
      s.setString(1, tenant);
      s.setString(2, key);
      s.setLong(3, since.toEpochMilli());
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new StoredKey(rs.getString(1), rs.getBytes(2), Instant.ofEpochMilli(rs.getLong(3))));
      }
    } catch (SQLException e) {
      throw new StoreException("reading an idempotency key of tenant " + tenant, e);
    }
  }

  @Override
  public void save(Outbox.Pending delivery) {
    update(
        "INSERT INTO webhook_deliveries (id, tenant, event_type, url, body, attempts, due_ms)"
            + " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
        "keeping webhook delivery " + delivery.id(),
        s -> {
          s.setString(1, delivery.id());
          s.setString(2, delivery.tenant());
          s.setString(3, delivery.type());
          s.setString(4, delivery.url());
          s.setString(5, delivery.body());
          s.setInt(6, delivery.attempts());
          s.setLong(7, delivery.due().toEpochMilli());
        });
  }

  @Override
  public void attempted(String id, int attempts, Instant due) {
    update(
        "UPDATE webhook_deliveries SET attempts = ?, due_ms = ? WHERE id = ?",
        "updating webhook delivery " + id,
        s -> {
          s.setInt(1, attempts);
          s.setLong(2, due.toEpochMilli());
          s.setString(3, id);
        });
  }

  @Override
  public void done(String id) {
    update(
        "DELETE FROM webhook_deliveries WHERE id = ?",
        "forgetting webhook delivery " + id,
        s -> s.setString(1, id));
  }

  @Override
  public List<Outbox.Pending> pending() {
    List<Outbox.Pending> deliveries = new ArrayList<>();
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT id, tenant, event_type, url, body, attempts, due_ms FROM"
                    + " webhook_deliveries ORDER BY due_ms, id");
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        deliveries.add(
            new Outbox.Pending(
                rs.getString(1),
                rs.getString(2),
                rs.getString(3),
                rs.getString(4),
                rs.getString(5),
                rs.getInt(6),
                Instant.ofEpochMilli(rs.getLong(7))));
      }
    } catch (SQLException e) {
      throw new StoreException("reading the webhook deliveries owed", e);
    }
    return deliveries;
  }

  private void update(String sql, String what, Binder binder) {
    try (Connection c = pool.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      binder.bind(s);
      s.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException(what, e);
    }
  }

  /** Each tenant's usage on {@code day}. */
  public Map<String, DayUsage> usage(LocalDate day) {
    Map<String, DayUsage> usage = new HashMap<>();
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT tenant, gpu_seconds, succeeded, failed, cancelled FROM usage_daily"
                    + " WHERE day = ?")) {
      s.setString(1, day.toString());
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          usage.put(
              rs.getString(1),
              new DayUsage(rs.getDouble(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
        }
      }
      return usage;
    } catch (SQLException e) {
      throw new StoreException("reading usage", e);
    }
  }

  /** Each tenant's usage summed over every stored day. */
  public Map<String, DayUsage> totals() {
    Map<String, DayUsage> totals = new HashMap<>();
    try (Connection c = pool.getConnection();
        PreparedStatement s =
            c.prepareStatement(
                "SELECT tenant, SUM(gpu_seconds), SUM(succeeded), SUM(failed), SUM(cancelled)"
                    + " FROM usage_daily GROUP BY tenant");
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        totals.put(
            rs.getString(1),
            new DayUsage(rs.getDouble(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)));
      }
      return totals;
    } catch (SQLException e) {
      throw new StoreException("reading usage", e);
    }
  }

  /**
   * Forgets jobs that ended before {@code finishedBefore} (with their events) and keys older than
   * {@code keysBefore}; returns how many jobs.
   */
  public int prune(Instant finishedBefore, Instant keysBefore) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement events =
              c.prepareStatement(
                  "DELETE FROM job_events WHERE job_id IN (SELECT id FROM jobs WHERE finished_ms"
                      + " < ?)");
          PreparedStatement jobs = c.prepareStatement("DELETE FROM jobs WHERE finished_ms < ?");
          PreparedStatement keys =
              c.prepareStatement("DELETE FROM idempotency_keys WHERE created_ms < ?")) {
        events.setLong(1, finishedBefore.toEpochMilli());
        events.executeUpdate();
        jobs.setLong(1, finishedBefore.toEpochMilli());
        int deleted = jobs.executeUpdate();
        keys.setLong(1, keysBefore.toEpochMilli());
        keys.executeUpdate();
        c.commit();
        return deleted;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new StoreException("pruning the job store", e);
    }
  }

  private interface Binder {
    void bind(PreparedStatement statement) throws SQLException;
  }

  private List<JobRecord> query(String sql, Binder binder) {
    List<JobRecord> jobs = new ArrayList<>();
    try (Connection c = pool.getConnection();
        PreparedStatement s = c.prepareStatement(sql)) {
      binder.bind(s);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          jobs.add(record(rs));
        }
      }
      return jobs;
    } catch (SQLException e) {
      throw new StoreException("reading jobs", e);
    }
  }

  private static JobRecord record(ResultSet rs) throws SQLException {
    String id = rs.getString(1);
    try {
      byte[] error = rs.getBytes(11);
      byte[] clip = rs.getBytes(12);
      return new JobRecord(
          id,
          rs.getString(2),
          JobSpec.of(GenerateRequest.parseFrom(rs.getBytes(3))),
          JobPhase.valueOf(rs.getString(4)),
          Instant.ofEpochMilli(rs.getLong(5)),
          millis(rs, 6),
          millis(rs, 7),
          rs.getInt(8),
          rs.getDouble(9),
          rs.getLong(10),
          error == null ? null : com.google.rpc.Status.parseFrom(error),
          clip == null ? null : ClipInfo.parseFrom(clip));
    } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
      throw new StoreException("the stored record of job " + id + " is corrupt", e);
    }
  }

  private static Instant millis(ResultSet rs, int column) throws SQLException {
    long value = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(value);
  }

  private static void setMillis(PreparedStatement s, int index, Instant instant)
      throws SQLException {
    if (instant == null) {
      s.setNull(index, Types.BIGINT);
    } else {
      s.setLong(index, instant.toEpochMilli());
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  /** The store could not be read or written. */
  public static final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreException(String message, Throwable cause) {
      super(message + ": " + cause.getMessage(), cause);
    }
  }
}
