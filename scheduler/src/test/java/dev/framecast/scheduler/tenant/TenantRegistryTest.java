package dev.framecast.scheduler.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TenantRegistryTest {

  private static final String V1 = "tenants: { acme: { weight: 2 }, globex: {} }\n";
  private static final String V2 = "tenants: { acme: { weight: 3 }, initech: {} }\n";

  @TempDir Path dir;
  private Path file;
  private long mtime = 1_700_000_000_000L;

  private final Logger logger = Logger.getLogger(TenantRegistry.class.getName());
  private final List<LogRecord> logs = new ArrayList<>();
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          logs.add(record);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void setUp() throws IOException {
    file = dir.resolve("tenants.yaml");
    write(V1);
    logger.addHandler(capture);
    logger.setUseParentHandlers(false); // captured, not printed: keeps the build output readable
  }

  @AfterEach
  void tearDown() {
    logger.removeHandler(capture);
    logger.setUseParentHandlers(true);
  }

  @Test
  void loadsAtConstruction() {
    TenantRegistry registry = new TenantRegistry(file);
    assertThat(registry.snapshot().tenants()).containsExactly("acme", "globex");
    assertThat(registry.policy("acme").orElseThrow().weight()).isEqualTo(2.0);
    assertThat(registry.policy("nobody")).isEmpty();
    assertThat(registry.file()).contains(file);
  }

  @Test
  void badFileAtStartupFails() throws IOException {
    write("tenants: { acme: { weight: -1 } }");
    assertThatThrownBy(() -> new TenantRegistry(file))
        .isInstanceOf(TenantConfigException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("tenant 'acme': weight must not be negative");
  }

  @Test
  void appliesChangeAndTellsListeners() throws IOException {
    TenantRegistry registry = new TenantRegistry(file);
    TenantConfig before = registry.snapshot();
    List<TenantConfig[]> calls = new ArrayList<>();
    registry.addListener((previous, current) -> calls.add(new TenantConfig[] {previous, current}));

    write(V2);

    assertThat(registry.reloadIfChanged()).isTrue();
    assertThat(registry.snapshot().tenants()).containsExactly("acme", "initech");
    assertThat(registry.policy("acme").orElseThrow().weight()).isEqualTo(3.0);
    assertThat(registry.policy("globex")).isEmpty();
    assertThat(calls).hasSize(1);
    assertThat(calls.get(0)[0]).isSameAs(before);
    assertThat(calls.get(0)[1]).isSameAs(registry.snapshot());
    assertThat(before.tenants()).containsExactly("acme", "globex"); // old snapshot untouched
    assertThat(messages(Level.INFO))
        .singleElement()
        .asString()
        .contains("acme: weight 2.0 -> 3.0;")
        .contains("added TenantPolicy[name=initech")
        .contains("removed globex");
  }

  @Test
  void badFileKeepsPreviousPoliciesAndLogsOnce() throws IOException {
    TenantRegistry registry = new TenantRegistry(file);
    TenantConfig before = registry.snapshot();
    AtomicInteger changes = new AtomicInteger();
    registry.addListener((previous, current) -> changes.incrementAndGet());

    write("tenants: { acme: { weight: 3 }, globex: { burst: many } }");

    assertThat(registry.reloadIfChanged()).isFalse();
    assertThat(registry.snapshot()).isSameAs(before);
    assertThat(registry.policy("acme").orElseThrow().weight()).isEqualTo(2.0); // not half-applied
    assertThat(changes).hasValue(0);
    assertThat(messages(Level.WARNING))
        .singleElement()
        .asString()
        .contains("keeping the previous policies")
        .contains("tenant 'globex': burst must be a whole number");

    touch(); // same bad bytes: nothing new to say
    assertThat(registry.reloadIfChanged()).isFalse();
    assertThat(messages(Level.WARNING)).hasSize(1);

    write(V2); // fixed
    assertThat(registry.reloadIfChanged()).isTrue();
    assertThat(changes).hasValue(1);
  }

  @Test
  void missingFileKeepsPreviousPolicies() throws IOException {
    TenantRegistry registry = new TenantRegistry(file);
    Files.delete(file);

    assertThat(registry.reloadIfChanged()).isFalse();
    assertThat(registry.snapshot().tenants()).containsExactly("acme", "globex");
    assertThat(messages(Level.WARNING)).singleElement().asString().contains("cannot read");

    write(V2); // the replacement appears
    assertThat(registry.reloadIfChanged()).isTrue();
  }

  @Test
  void unchangedFileIsNotReparsed() throws IOException {
    AtomicInteger parses = new AtomicInteger();
    TenantRegistry registry =
        new TenantRegistry(
            file,
            (text, source) -> {
              parses.incrementAndGet();
              return TenantConfig.parse(text, source);
            });
    assertThat(parses).hasValue(1);

    assertThat(registry.reloadIfChanged()).isFalse(); // nothing moved: not even read
    touch(); // new mtime, same bytes: read and hashed, not parsed
    assertThat(registry.reloadIfChanged()).isFalse();
    write(V1); // rewritten with the same bytes
    assertThat(registry.reloadIfChanged()).isFalse();
    assertThat(parses).hasValue(1);

    write("# a comment\n" + V1); // parsed, but the policies are the same
    assertThat(registry.reloadIfChanged()).isFalse();
    assertThat(parses).hasValue(2);
  }

  @Test
  void brokenListenerDoesNotStopOthers() throws IOException {
    TenantRegistry registry = new TenantRegistry(file);
    AtomicInteger told = new AtomicInteger();
    registry.addListener(
        (previous, current) -> {
          throw new IllegalStateException("boom");
        });
    registry.addListener((previous, current) -> told.incrementAndGet());

    write(V2);

    assertThat(registry.reloadIfChanged()).isTrue();
    assertThat(told).hasValue(1);
  }

  @Test
  void watchingPollsWithFixedDelayAndSurvivesFailures() throws IOException {
    TenantRegistry registry =
        new TenantRegistry(
            file,
            (text, source) -> {
              if (text.contains("crash")) {
                throw new IllegalStateException("parser bug");
              }
              return TenantConfig.parse(text, source);
            });
    CapturingExecutor executor = new CapturingExecutor();
    try {
      registry.startWatching(executor, Duration.ofSeconds(5));
      assertThat(executor.delayNanos).isEqualTo(Duration.ofSeconds(5).toNanos());

      write(V2);
      executor.task.run();
      assertThat(registry.snapshot().tenants()).containsExactly("acme", "initech");

      write("# crash\n" + V1);
      // A periodic task that throws is never run again, so the poll must not throw.
      assertThatCode(executor.task::run).doesNotThrowAnyException();
      assertThat(registry.snapshot().tenants()).containsExactly("acme", "initech");
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void fixedRegistryNeverReloads() {
    TenantRegistry registry = TenantRegistry.fromClasspath();
    assertThat(registry.file()).isEmpty();
    assertThat(registry.reloadIfChanged()).isFalse();
    CapturingExecutor executor = new CapturingExecutor();
    try {
      assertThatThrownBy(() -> registry.startWatching(executor, Duration.ofSeconds(1)))
          .isInstanceOf(IllegalStateException.class);
    } finally {
      executor.shutdownNow();
    }
  }

  private void write(String text) throws IOException {
    Files.writeString(file, text);
    touch();
  }

  /** Moves the mtime explicitly: two writes within one clock tick must still look different. */
  private void touch() throws IOException {
    mtime += 1000;
    Files.setLastModifiedTime(file, FileTime.fromMillis(mtime));
  }

  private List<String> messages(Level level) {
    return logs.stream()
        .filter(r -> r.getLevel().equals(level))
        .map(LogRecord::getMessage)
        .toList();
  }

  /** Records the periodic task instead of running it, so the test decides when a poll happens. */
  private static final class CapturingExecutor extends ScheduledThreadPoolExecutor {
    Runnable task;
    long delayNanos;

    CapturingExecutor() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> scheduleWithFixedDelay(
        Runnable command, long initialDelay, long delay, TimeUnit unit) {
      task = command;
      delayNanos = unit.toNanos(delay);
      return null;
    }
  }
}
