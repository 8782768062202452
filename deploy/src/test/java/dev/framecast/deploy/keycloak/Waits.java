package dev.framecast.deploy.keycloak;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polling with a deadline, for processes this test starts and cannot be told about. */
final class Waits {
  private Waits() {}

  /** Polls {@code ready} every 250 ms; false when {@code timeout} passed first. */
  static boolean until(Duration timeout, BooleanSupplier ready) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (ready.getAsBoolean()) {
        return true;
      }
      sleep(Duration.ofMillis(250));
    }
    return ready.getAsBoolean();
  }

  static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
