package dev.framecast.scheduler.queue;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.Priority;
import dev.framecast.scheduler.job.Job;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Global arrival order, the baselines' queue: no clock but the one given, no nodes. */
class ArrivalQueueTest {
  private static final Instant T0 = Instant.parse("2026-11-25T00:00:00Z");
  private int ids;

  private Job job(String tenant, Priority priority, Instant created) {
    return new Job(
        "j" + ids++,
        tenant,
        dev.framecast.scheduler.job.Specs.spec(10, priority),
        null,
        created,
        1 << 20);
  }

  private static List<Job> drain(ArrivalQueue queue) {
    List<Job> order = new ArrayList<>();
    for (Job job = queue.peek(t -> true, j -> true);
        job != null;
        job = queue.peek(t -> true, j -> true)) {
      queue.take(job);
      order.add(job);
    }
    return order;
  }

  @Test
  void servesEveryJobInAdmissionOrderWhateverItsTenantPriorityOrUsage() {
    ArrivalQueue queue = new ArrivalQueue(Clock.fixed(T0, ZoneOffset.UTC));
    Job flood1 = job("flood", Priority.PRIORITY_BATCH, T0);
    Job flood2 = job("flood", Priority.PRIORITY_BATCH, T0.plusMillis(1));
    Job quiet = job("quiet", Priority.PRIORITY_INTERACTIVE, T0.plusMillis(2));
    // Ready in another order than admitted (text encoding finished out of order).
    queue.add(quiet, false);
    queue.add(flood2, false);
    queue.add(flood1, false);
    queue.charge("flood", 1000);

    assertThat(queue.position(flood1)).isZero();
    assertThat(queue.position(quiet)).isEqualTo(2);
    assertThat(drain(queue)).containsExactly(flood1, flood2, quiet);
  }

  @Test
  void aJobSentBackKeepsItsPlaceByArrival() {
    ArrivalQueue queue = new ArrivalQueue(Clock.fixed(T0, ZoneOffset.UTC));
    Job first = job("a", Priority.PRIORITY_INTERACTIVE, T0);
    Job second = job("b", Priority.PRIORITY_INTERACTIVE, T0);
    Job third = job("a", Priority.PRIORITY_INTERACTIVE, T0.plusMillis(1));
    queue.add(first, false);
    queue.add(second, false);
    queue.add(third, false);
    queue.take(first);

    queue.add(first, true); // its node failed

    assertThat(drain(queue)).containsExactly(first, second, third);
  }

  @Test
  void skipsIneligibleTenantsAndUnusableJobsAndRemembersWhenEachBecameReady() {
    Instant[] now = {T0};
    Clock clock =
        new Clock() {
          @Override
          public Instant instant() {
            return now[0];
          }

          @Override
          public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
          }

          @Override
          public Clock withZone(java.time.ZoneId zone) {
            return this;
          }
        };
    ArrivalQueue queue = new ArrivalQueue(clock);
    Job a = job("a", Priority.PRIORITY_INTERACTIVE, T0);
    Job b = job("b", Priority.PRIORITY_INTERACTIVE, T0.plusMillis(1));
    queue.add(a, false);
    now[0] = T0.plus(Duration.ofMillis(30));
    queue.add(b, false);

    assertThat(queue.peek(t -> !t.equals("a"), j -> true)).isSameAs(b);
    assertThat(queue.peek(t -> true, j -> j != a)).isSameAs(b);
    assertThat(queue.readySince(a)).isEqualTo(T0);
    assertThat(queue.readySince(b)).isEqualTo(T0.plusMillis(30));
    assertThat(queue.inOrder()).containsExactly(a, b);
    assertThat(queue.remove(a)).isTrue();
    assertThat(queue.remove(a)).isFalse();
    assertThat(queue.readySince(a)).isNull();
    assertThat(queue.size()).isEqualTo(1);
  }
}
