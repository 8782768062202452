package dev.framecast.scheduler.store;

import dev.framecast.scheduler.SchedulerServer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Assumptions;

/**
 * The databases the job store is tested on: SQLite in a temporary file (always), and a real
 * PostgreSQL server, each test in a schema of its own. PostgreSQL comes from {@code
 * FRAMECAST_TEST_DATABASE} (default {@value #DEFAULT_URL}, user and password {@code framecast});
 * start it locally with {@code sudo .ci/postgres}. Where it cannot be reached the PostgreSQL tests
 * are skipped, except in CI ({@code FRAMECAST_CI} set), where they fail.
 */
public final class TestDatabases {
  static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/framecast_test";

  private TestDatabases() {}

  /** The kinds of database a test runs on (for parameterized tests). */
  public enum Kind {
    SQLITE,
    POSTGRESQL
  }

  /** A fresh, empty database of that kind. */
  public static SchedulerServer.Database fresh(Kind kind, Path dir) {
    return kind == Kind.SQLITE ? sqlite(dir) : postgresql();
  }

  public static SchedulerServer.Database sqlite(Path dir) {
    return new SchedulerServer.Database(
        "jdbc:sqlite:" + dir.resolve("store-" + UUID.randomUUID() + ".db"), null, null);
  }

  /** A new schema on the test server; the test is skipped (failed in CI) when it is down. */
  public static SchedulerServer.Database postgresql() {
    String url = env("FRAMECAST_TEST_DATABASE", DEFAULT_URL);
    String user = env("FRAMECAST_TEST_DATABASE_USER", "framecast");
    String password = env("FRAMECAST_TEST_DATABASE_PASSWORD", "framecast");
    String schema = "t_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = DriverManager.getConnection(url, user, password);
        Statement s = c.createStatement()) {
      s.execute("CREATE SCHEMA " + schema);
    } catch (SQLException e) {
      String why =
          "PostgreSQL at "
              + url
              + " is not reachable ("
              + e.getMessage()
              + "); start it with: sudo .ci/postgres";
      if (System.getenv("FRAMECAST_CI") != null) {
        throw new AssertionError(why, e);
      }
      Assumptions.abort(why);
    }
    return new SchedulerServer.Database(
        url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema, user, password);
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isEmpty() ? fallback : value;
  }

  public static JobStore open(SchedulerServer.Database database) {
    return JobStore.open(database.url(), database.user(), database.password());
  }
}
