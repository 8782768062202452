package dev.framecast.scheduler.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Tenants submit under their own locks, so two tenants' first keys can be remembered at the same
 * moment. With a plain HashMap of tenants such a race lost entries (a retried submission then
 * created a second job) or broke the map; every key must be found afterwards.
 */
class IdempotencyKeysConcurrencyTest {
  private static final int THREADS = 8;
  private static final int TENANTS_PER_THREAD = 2_000;

  @Test
  void tenantsRememberingKeysAtOnceLoseNone() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      for (int round = 0; round < 5; round++) {
        IdempotencyKeys keys = new IdempotencyKeys(Clock.systemUTC(), Duration.ofHours(24), 100);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
          int thread = t;
          done.add(
              pool.submit(
                  () -> {
                    start.await();
                    // Each thread's tenants are its own, as each tenant's lock is.
                    for (int i = 0; i < TENANTS_PER_THREAD; i++) {
                      String tenant = "t" + thread + "-" + i;
                      keys.remember(tenant, "k", "job-" + tenant, request(tenant));
                    }
                    return null;
                  }));
        }
        start.countDown();
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
        int lost = 0;
        for (int t = 0; t < THREADS; t++) {
          for (int i = 0; i < TENANTS_PER_THREAD; i++) {
            String tenant = "t" + t + "-" + i;
            if (keys.find(tenant, "k").isEmpty()) {
              lost++;
            }
          }
        }
        assertThat(lost).as("keys lost in round %d", round).isZero();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static GenerateRequest request(String tenant) {
    return GenerateRequest.newBuilder().setPrompt("p " + tenant).setIdempotencyKey("k").build();
  }
}
