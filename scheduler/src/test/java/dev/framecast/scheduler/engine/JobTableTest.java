package dev.framecast.scheduler.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobSpec;
import dev.framecast.scheduler.pipeline.Pipeline;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The per-tenant index ListJobs pages from: newest first, each tenant's own, a page read from any
 * job on without walking or sorting the others, and jobs leave it when forgotten or withdrawn.
 */
class JobTableTest {
  private final Pipeline pipeline = new PlannerFixture(8).pipeline;
  private final Instant start = Instant.parse("2026-12-07T00:00:00Z");

  private Job job(String tenant, int n) {
    return new Job(
        tenant + "-" + n,
        tenant,
        JobSpec.of(
            GenerateRequest.newBuilder()
                .setPrompt("p")
                .setModel("reference")
                .setSteps(2)
                .setGuidanceScale(4f)
                .setSeed(n)
                .build()),
        pipeline,
        start.plusSeconds(n),
        1 << 20);
  }

  @Test
  void eachTenantsJobsAreNewestFirstAndPagesStartAfterAnyJob() {
    JobTable table = new JobTable(100);
    List<Job> acme = new ArrayList<>();
    for (int n = 0; n < 10; n++) {
      Job a = job("acme", n);
      acme.add(a);
      table.add(a);
      table.add(job("globex", n));
    }
    List<Job> newestFirst = new ArrayList<>(acme);
    java.util.Collections.reverse(newestFirst);
    assertThat(table.ofTenant("acme")).containsExactlyElementsOf(newestFirst);
    assertThat(table.ofTenant("acme").tailSet(acme.get(6), false))
        .extracting(Job::id)
        .containsExactly("acme-5", "acme-4", "acme-3", "acme-2", "acme-1", "acme-0");
    assertThat(table.ofTenant("initech")).isEmpty();

    table.withdraw(acme.get(9));
    assertThat(table.ofTenant("acme").first()).isSameAs(acme.get(8));
  }

  @Test
  void forgottenJobsLeaveTheirTenantsIndex() {
    JobTable table = new JobTable(3);
    List<Job> jobs = new ArrayList<>();
    for (int n = 0; n < 5; n++) {
      Job j = job("acme", n);
      jobs.add(j);
      table.add(j);
    }
    for (Job j : jobs) {
      table.retire(j); // ended, oldest first
    }
    table.forgetOld();
    assertThat(table.ofTenant("acme"))
        .extracting(Job::id)
        .containsExactly("acme-4", "acme-3", "acme-2");
    assertThat(table.get("acme-0")).isEmpty();
  }
}
