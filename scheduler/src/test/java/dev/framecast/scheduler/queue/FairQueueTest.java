package dev.framecast.scheduler.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.framecast.api.v1.Priority;
import dev.framecast.scheduler.job.Job;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Weighted fair share, simulated tick by tick: no threads, no clock, no nodes. */
class FairQueueTest {
  private static final Map<String, Double> WEIGHTS = Map.of("a", 1.0, "b", 1.0, "c", 2.0);
  private int ids;

  private Job job(String tenant, Priority priority) {
    return new Job(
        "j" + ids++,
        tenant,
        dev.framecast.scheduler.job.Specs.spec(10, priority),
        null,
        Instant.EPOCH,
        1 << 20);
  }

  @Test
  void everyTenantBackloggedForAThousandTicksGetsItsWeightedShare() {
    FairQueue queue = new FairQueue(WEIGHTS::get);
    Map<String, Double> consumed = new HashMap<>();
    for (String tenant : WEIGHTS.keySet()) {
      for (int i = 0; i < 50; i++) {
        queue.add(job(tenant, Priority.PRIORITY_INTERACTIVE), false);
      }
    }
    // Each tick a node of 4 slots takes jobs in fair order; each job costs GPU time that differs
    // by tenant (different step costs must not skew shares), then goes back in line.
    Map<String, Double> stepCost = Map.of("a", 0.02, "b", 0.05, "c", 0.03);
    for (int tick = 0; tick < 1000; tick++) {
      Job[] batch = new Job[4];
      for (int s = 0; s < 4; s++) {
        batch[s] = queue.poll(t -> true);
      }
      for (Job job : batch) {
        double seconds = stepCost.get(job.tenant());
        queue.charge(job.tenant(), seconds);
        consumed.merge(job.tenant(), seconds, Double::sum);
        queue.add(job, false);
      }
    }
    double total = consumed.values().stream().mapToDouble(Double::doubleValue).sum();
    assertThat(consumed.get("a") / total).isCloseTo(0.25, within(0.05 * 0.25));
    assertThat(consumed.get("b") / total).isCloseTo(0.25, within(0.05 * 0.25));
    assertThat(consumed.get("c") / total).isCloseTo(0.50, within(0.05 * 0.50));
  }

  @Test
  void interactiveJobsGoBeforeBatchJobsOfTheSameTenant() {
    FairQueue queue = new FairQueue(WEIGHTS::get);
    Job batch = job("a", Priority.PRIORITY_BATCH);
    Job interactive = job("a", Priority.PRIORITY_INTERACTIVE);
    queue.add(batch, false);
    queue.add(interactive, false);
    assertThat(queue.poll(t -> true)).isSameAs(interactive);
    assertThat(queue.poll(t -> true)).isSameAs(batch);
  }

  @Test
  void idleTenantsBankNoCredit() {
    FairQueue queue = new FairQueue(WEIGHTS::get);
    queue.charge("a", 100); // a ran a lot while b was idle
    queue.add(job("a", Priority.PRIORITY_INTERACTIVE), false);
    queue.charge("b", 0);
    Job b = job("b", Priority.PRIORITY_INTERACTIVE);
    queue.add(b, false);
    // b returns at a's virtual time, not at 0: b is served next but cannot monopolise.
    assertThat(queue.virtualTime("b")).isEqualTo(queue.virtualTime("a"));
  }

  @Test
  void aTenantReturningToAnIdleSystemStartsAtTheSystemsVirtualTime() {
    FairQueue queue = new FairQueue(WEIGHTS::get);
    Job a = job("a", Priority.PRIORITY_INTERACTIVE);
    queue.add(a, false);
    queue.poll(t -> true);
    queue.charge("a", 50); // a runs alone while its queue is empty
    queue.add(job("a", Priority.PRIORITY_INTERACTIVE), false);
    queue.poll(t -> true); // the system's virtual time follows a
    queue.add(job("b", Priority.PRIORITY_INTERACTIVE), false); // b returns; nobody else waits
    assertThat(queue.virtualTime("b")).isEqualTo(50);
  }

  @Test
  void ineligibleTenantsAreSkippedAndPositionsEstimated() {
    FairQueue queue = new FairQueue(WEIGHTS::get);
    Job a1 = job("a", Priority.PRIORITY_INTERACTIVE);
    Job a2 = job("a", Priority.PRIORITY_INTERACTIVE);
    Job b1 = job("b", Priority.PRIORITY_INTERACTIVE);
    queue.add(a1, false);
    queue.add(a2, false);
    queue.add(b1, false);
    assertThat(queue.position(a1)).isZero();
    assertThat(queue.position(a2)).isEqualTo(2);
    assertThat(queue.poll(t -> !t.equals("a"))).isSameAs(b1);
    assertThat(queue.poll(t -> !t.equals("a"))).isNull();
    assertThat(queue.size()).isEqualTo(2);
  }

  @Test
  void positionsFollowEveryChangeToTheLine() {
    FairQueue queue = new FairQueue(WEIGHTS::get);
    Job a1 = job("a", Priority.PRIORITY_BATCH);
    Job a2 = job("a", Priority.PRIORITY_BATCH);
    Job b1 = job("b", Priority.PRIORITY_BATCH);
    Job b2 = job("b", Priority.PRIORITY_BATCH);
    for (Job j : new Job[] {a1, a2, b1, b2}) {
      queue.add(j, false);
    }
    // Equal virtual times: a goes first by name, so the line is a1 b1 a2 b2.
    assertThat(
            new int[] {
              queue.position(a1), queue.position(b1), queue.position(a2), queue.position(b2)
            })
        .containsExactly(0, 1, 2, 3);
    queue.charge("a", 10); // a has used the GPU: b is served first now
    assertThat(
            new int[] {
              queue.position(b1), queue.position(a1), queue.position(b2), queue.position(a2)
            })
        .containsExactly(0, 1, 2, 3);
    queue.remove(b1);
    assertThat(queue.position(b2)).isZero();
    assertThat(queue.position(a1)).isEqualTo(1);
    Job urgent = job("a", Priority.PRIORITY_INTERACTIVE);
    queue.add(urgent, false); // interactive goes before a's batch jobs
    assertThat(queue.position(urgent)).isEqualTo(1);
    assertThat(queue.position(a1)).isEqualTo(2);
    queue.take(b2);
    assertThat(queue.position(urgent)).isZero();
    assertThat(queue.position(b1)).as("no longer queued").isZero();
  }

  @Test
  void positionsOfALongLineAreThoseOfTheOneJobFormula() {
    FairQueue queue = new FairQueue(WEIGHTS::get);
    java.util.List<Job> line = new java.util.ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      Job j = job(i % 10 == 0 ? "b" : "a", Priority.PRIORITY_BATCH);
      line.add(j);
      queue.add(j, false);
    }
    queue.charge("b", 1);
    // a: 2,700 jobs served first; b: 300 behind them one for one.
    Job lastA = line.get(2_999);
    Job firstB = line.get(0);
    assertThat(queue.position(line.get(1))).isZero();
    assertThat(queue.position(firstB)).isEqualTo(1);
    assertThat(queue.position(lastA)).isEqualTo(2_699 + 300);
  }
}
