package dev.framecast.scheduler.webhook;

import java.time.Instant;
import java.util.List;

/**
 * Where deliveries not yet made are kept, so a restart sends what was owed: the job store, or
 * nowhere ({@link #NONE}, memory only). Called on the webhook thread; failures are the caller's to
 * log (a delivery is still attempted when it cannot be kept).
 */
public interface Outbox {
  /** A delivery owed: its event id (the webhook-id), where it goes, the body, attempts made. */
  record Pending(
      String id, String tenant, String type, String url, String body, int attempts, Instant due) {}

  /** Keeps a new delivery (one already kept under this id stays as it is). */
  void save(Pending delivery);

  /** An attempt failed: {@code attempts} made so far, the next one due at {@code due}. */
  void attempted(String id, int attempts, Instant due);

  /** Delivered, or given up: forget it. */
  void done(String id);

  /** Every delivery owed, soonest due first. */
  List<Pending> pending();

  Outbox NONE =
      new Outbox() {
        @Override
        public void save(Pending delivery) {}

        @Override
        public void attempted(String id, int attempts, Instant due) {}

        @Override
        public void done(String id) {}

        @Override
        public List<Pending> pending() {
          return List.of();
        }
      };
}
