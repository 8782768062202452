package dev.framecast.scheduler.tenant;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The tenant policies in force, reloadable without a restart.
 *
 * <p>Readers ({@link #policy}, {@link #snapshot}) take a volatile read of an immutable {@link
 * TenantConfig}: no lock on the admission path, and a reload is seen entirely or not at all. A file
 * that fails to parse is logged and ignored, so a typo during an edit never takes tenants offline.
 *
 * <p>Change detection is two-stage: each poll costs one {@code stat}; the file is read and hashed
 * only when its modification time or size moved, and parsed only when its SHA-256 differs from the
 * last content seen. Touching a file, or rewriting it with the same bytes, parses nothing. (Content
 * rewritten with identical size inside one mtime tick would be missed until the next write;
 * filesystems in use here have nanosecond mtimes and Kubernetes swaps ConfigMaps as new files, so
 * this is judged cheaper than reading the file on every poll.)
 */
public final class TenantRegistry {

  /** The demo tenants shipped inside the jar. */
  public static final String BUNDLED_RESOURCE = "/tenants.yaml";

  private static final Logger LOG = Logger.getLogger(TenantRegistry.class.getName());

  /** Told about every applied change, on the reloading thread, in order of changes. */
  @FunctionalInterface
  public interface Listener {
    /**
     * Called after {@code current} replaced {@code previous}. Runs on the reloading thread while
     * reloads are serialised, so it must be quick: the scheduler only enqueues a command for its
     * loop (house rule 1).
     */
    void onChange(TenantConfig previous, TenantConfig current);
  }

  private final Path file; // null when the policies are fixed
  private final BiFunction<String, String, TenantConfig> parser;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private volatile TenantConfig current;

  // Guarded by this: what the last poll saw, to skip work when nothing moved.
  private FileTime seenModified;
  private long seenSize;
  private byte[] seenHash;
  private String lastError;

  /**
   * Loads the policies from {@code file}; call {@link #reloadIfChanged} or {@link #startWatching}
   * to follow later edits.
   *
   * @throws TenantConfigException if the file cannot be read or parsed: at startup there is no
   *     previous config to fall back on
   */
  public TenantRegistry(Path file) {
    this(file, TenantConfig::parse);
  }

  /** With a replaceable parser, so tests can count parses. */
  TenantRegistry(Path file, BiFunction<String, String, TenantConfig> parser) {
    this.file = Objects.requireNonNull(file, "file");
    this.parser = parser;
    BasicFileAttributes attributes = attributes(file);
    String text = TenantConfig.read(file);
    this.current = parser.apply(text, file.toString());
    synchronized (this) {
      seenModified = attributes.lastModifiedTime();
      seenSize = attributes.size();
      seenHash = sha256(text);
    }
  }

  private TenantRegistry(TenantConfig fixed) {
    this.file = null;
    this.parser = null;
    this.current = Objects.requireNonNull(fixed, "config");
  }

  /** Fixed policies that never reload (tests, embedding with policies built in code). */
  public static TenantRegistry fixed(TenantConfig config) {
    return new TenantRegistry(config);
  }

  /**
   * The demo tenants bundled as {@value #BUNDLED_RESOURCE}. Fixed: a jar's resources do not change
   * while it runs.
   */
  public static TenantRegistry fromClasspath() {
    try (InputStream in = TenantRegistry.class.getResourceAsStream(BUNDLED_RESOURCE)) {
      if (in == null) {
        throw new TenantConfigException("classpath resource " + BUNDLED_RESOURCE + " is missing");
      }
      byte[] bytes = in.readNBytes(TenantConfig.MAX_FILE_BYTES + 1);
      if (bytes.length > TenantConfig.MAX_FILE_BYTES) {
        throw new TenantConfigException("classpath resource " + BUNDLED_RESOURCE + " is too large");
      }
      String text = new String(bytes, StandardCharsets.UTF_8);
      return fixed(TenantConfig.parse(text, "classpath:" + BUNDLED_RESOURCE));
    } catch (IOException e) {
      throw new TenantConfigException("cannot read classpath " + BUNDLED_RESOURCE + ": " + e, e);
    }
  }

  /** The policy of {@code tenant}, or empty when the tenant is not configured. */
  public Optional<TenantPolicy> policy(String tenant) {
    return current.policy(tenant);
  }

  /** All policies in force now; immutable, so it stays consistent however long it is held. */
  public TenantConfig snapshot() {
    return current;
  }

  /** The watched file; empty for fixed policies. */
  public Optional<Path> file() {
    return Optional.ofNullable(file);
  }

  public void addListener(Listener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }

  /**
   * Re-reads the file if it changed and applies it if it parses.
   *
   * @return true when different policies were applied (and listeners were told)
   */
  public synchronized boolean reloadIfChanged() {
    if (file == null) {
      return false;
    }
    String text;
    BasicFileAttributes attributes;
    try {
      attributes = attributes(file);
      if (attributes.lastModifiedTime().equals(seenModified) && attributes.size() == seenSize) {
        return false;
      }
      text = TenantConfig.read(file);
    } catch (TenantConfigException e) {
      // Not remembered as seen: the file may be mid-replacement; the next poll tries again.
      logOnce(e.getMessage());
      return false;
    }
    seenModified = attributes.lastModifiedTime();
    seenSize = attributes.size();
    byte[] hash = sha256(text);
    if (MessageDigest.isEqual(hash, seenHash)) {
      return false;
    }
    // Remembered before parsing so that a bad file is reported once, not on every poll.
    seenHash = hash;
    TenantConfig next;
    try {
      next = parser.apply(text, file.toString());
    } catch (TenantConfigException e) {
      logOnce("tenants file rejected, keeping the previous policies: " + e.getMessage());
      return false;
    }
    lastError = null;
    TenantConfig previous = current;
    if (next.equals(previous)) {
      return false; // comments or formatting only
    }
    current = next;
    LOG.info(() -> "tenants reloaded from " + file + ": " + describeChange(previous, next));
    for (Listener listener : listeners) {
      try {
        listener.onChange(previous, next);
      } catch (RuntimeException e) {
        // One broken listener must not keep the others from hearing about the change.
        LOG.log(Level.WARNING, "tenant listener " + listener + " failed", e);
      }
    }
    return true;
  }

  /**
   * Polls the file every {@code interval} on {@code executor}; cancel the returned future to stop.
   */
  public ScheduledFuture<?> startWatching(ScheduledExecutorService executor, Duration interval) {
    if (file == null) {
      throw new IllegalStateException("fixed tenant policies have no file to watch");
    }
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval must be positive, got " + interval);
    }
    long nanos = interval.toNanos();
    return executor.scheduleWithFixedDelay(this::poll, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  private void poll() {
    try {
      reloadIfChanged();
    } catch (RuntimeException e) {
      // A periodic task that throws is silently never run again; keep watching instead.
      LOG.log(Level.WARNING, "tenants reload of " + file + " failed", e);
    }
  }

  private void logOnce(String message) {
    if (!message.equals(lastError)) {
      lastError = message;
      LOG.warning(message);
    }
  }

  private static BasicFileAttributes attributes(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      throw new TenantConfigException("cannot read " + file + ": " + e, e);
    }
  }

  private static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM provides SHA-256", e);
    }
  }

  /** "acme: weight 2.0 -> 3.0; added initech (...); removed globex", in from -> to style. */
  private static String describeChange(TenantConfig previous, TenantConfig next) {
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, TenantPolicy> entry : next.policies().entrySet()) {
      TenantPolicy before = previous.policies().get(entry.getKey());
      if (before == null) {
        parts.add("added " + entry.getValue());
      } else if (!before.equals(entry.getValue())) {
        parts.add(entry.getKey() + ": " + before.changesTo(entry.getValue()));
      }
    }
    for (String name : previous.tenants()) {
      if (!next.policies().containsKey(name)) {
        parts.add("removed " + name);
      }
    }
    return String.join("; ", parts);
  }
}
