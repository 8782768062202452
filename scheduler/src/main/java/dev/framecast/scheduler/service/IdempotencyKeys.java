package dev.framecast.scheduler.service;

import dev.framecast.api.v1.GenerateRequest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which job each (tenant, idempotency key) created in the last 24 hours, so a retried submission
 * returns the original job. Entries remember the request they came with: the same key with a
 * different request is an error, not a silent second job or a silent wrong answer. Bounded per
 * tenant (oldest forgotten first), so one tenant's keys cannot evict another's. Thread-safe across
 * tenants (the map of tenants is concurrent: two tenants' first keys may arrive at once, each under
 * its own lock); within a tenant the caller holds the tenant's submission lock.
 */
final class IdempotencyKeys {
  private final Clock clock;
  private final Duration window;
  private final int maxPerTenant;
  private final Map<String, LinkedHashMap<String, Entry>> byTenant = new ConcurrentHashMap<>();

  /** A job a key created, and the request (key cleared, serialized) it was created for. */
  record Entry(String jobId, byte[] request, Instant created) {}

  IdempotencyKeys(Clock clock, Duration window, int maxPerTenant) {
    this.clock = clock;
    this.window = window;
    this.maxPerTenant = maxPerTenant;
  }

  /** The job this key created within the window, if any. */
  Optional<Entry> find(String tenant, String key) {
    LinkedHashMap<String, Entry> keys = byTenant.get(tenant);
    if (keys == null) {
      return Optional.empty();
    }
    expire(keys);
    return Optional.ofNullable(keys.get(key));
  }

  void remember(String tenant, String key, String jobId, GenerateRequest request) {
    LinkedHashMap<String, Entry> keys =
        byTenant.computeIfAbsent(tenant, t -> new LinkedHashMap<>());
    expire(keys);
    keys.put(key, new Entry(jobId, fingerprint(request), clock.instant()));
    while (keys.size() > maxPerTenant) {
      Iterator<String> oldest = keys.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  /** Forgets the key if it still names {@code jobId} (a job whose record was never stored). */
  void forget(String tenant, String key, String jobId) {
    LinkedHashMap<String, Entry> keys = byTenant.get(tenant);
    if (keys != null && keys.containsKey(key) && keys.get(key).jobId().equals(jobId)) {
      keys.remove(key);
    }
  }

  /** The request as submitted, without its key: what "the same request" means. */
  static byte[] fingerprint(GenerateRequest request) {
    return request.toBuilder().clearIdempotencyKey().build().toByteArray();
  }

  static boolean sameRequest(Entry entry, GenerateRequest request) {
    return Arrays.equals(entry.request(), fingerprint(request));
  }

  /** Insertion order is creation order, so expired entries are at the head. */
  private void expire(LinkedHashMap<String, Entry> keys) {
    Instant cutoff = clock.instant().minus(window);
    Iterator<Entry> it = keys.values().iterator();
    while (it.hasNext() && it.next().created().isBefore(cutoff)) {
      it.remove();
    }
  }
}
