package dev.framecast.scheduler.store;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Leadership among schedulers that share a job store: the one holding the lease serves and writes;
 * the others wait (standby) and take over once it has expired. The holder renews it every {@code
 * ttl / 5}; a new holder increments the epoch, and every job store commit is fenced by the epoch it
 * was taken under ({@link JobStore.Fence}), so a leader that stalled past its lease (a long pause,
 * a partition) and wakes up cannot write: its commit is refused and it is told it was deposed. With
 * the embedded SQLite store the lease keeps a second process off the same data directory the same
 * way.
 */
public final class Lease implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Lease.class.getName());

  private final JobStore store;
  private final Clock clock;
  private final Duration ttl;
  private final String holder;
  private final ScheduledExecutorService renewer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "framecast-lease");
            t.setDaemon(true);
            return t;
          });
  private volatile JobStore.Fence fence;
  private volatile boolean lost;

  public Lease(JobStore store, Clock clock, Duration ttl) {
    this.store = store;
    this.clock = clock;
    this.ttl = ttl;
    this.holder =
        ManagementFactory.getRuntimeMXBean().getName()
            + "/"
            + UUID.randomUUID().toString().substring(0, 8);
  }

  /** This process's name in the lease (pid@host and a random suffix). */
  public String holder() {
    return holder;
  }

  /**
   * Waits until this scheduler holds the lease, trying every 250 ms; then renews it on a thread of
   * its own until it is lost or closed, and calls {@code onLost} once if it is lost. Returns the
   * fence every commit must carry.
   */
  public JobStore.Fence acquire(Runnable onLost) throws InterruptedException {
    long period = Math.max(50, ttl.toMillis() / 5);
    // A standby asks more often than the leader renews: one small UPDATE, and the takeover
    // comes sooner after the lease expires.
    long poll = Math.min(250, period);
    boolean said = false;
    while (true) {
      try {
        JobStore.Fence taken = store.tryLease(holder, clock.millis(), ttl.toMillis());
        if (taken != null) {
          fence = taken;
          LOG.info("leading: holds the job store's lease (epoch " + taken.epoch() + ")");
          break;
        }
        if (!said) {
          LOG.info("standby: another scheduler holds the job store's lease; waiting for it");
          said = true;
        }
      } catch (JobStore.StoreException e) {
        LOG.warning("taking the lease failed (retrying): " + e.getMessage());
      }
      Thread.sleep(poll);
    }
    renewer.scheduleWithFixedDelay(() -> renew(onLost), period, period, TimeUnit.MILLISECONDS);
    return fence;
  }

  private void renew(Runnable onLost) {
    if (lost) {
      return;
    }
    try {
      if (!store.renewLease(fence, clock.millis(), ttl.toMillis())) {
        deposed(onLost, "another scheduler took the lease");
      }
    } catch (JobStore.StoreException e) {
      // Not lost yet: the lease runs until it expires; the next renewal may reach the database.
      LOG.warning("renewing the lease failed: " + e.getMessage());
    }
  }

  /** The job store refused a commit: this scheduler no longer leads. */
  public void deposed(Runnable onLost, String why) {
    synchronized (this) {
      if (lost) {
        return;
      }
      lost = true;
    }
    LOG.severe("deposed (" + why + "): this scheduler stops; the leader took its jobs");
    renewer.shutdownNow();
    onLost.run();
  }

  public boolean lost() {
    return lost;
  }

  /** Stops renewing and gives the lease up, so a standby takes over at once. */
  @Override
  public void close() {
    renewer.shutdownNow();
    JobStore.Fence held = fence;
    if (held != null && !lost) {
      try {
        store.releaseLease(held);
      } catch (JobStore.StoreException e) {
        LOG.warning("giving up the lease failed (it expires by itself): " + e.getMessage());
      }
    }
  }
}
