package dev.framecast.scheduler.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.ClipInfo;
import dev.framecast.api.v1.Completed;
import dev.framecast.api.v1.Frame;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Progress;
import dev.framecast.api.v1.Queued;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.job.JobRecord;
import dev.framecast.scheduler.job.Specs;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The job store's statements on SQLite and on a real PostgreSQL server. */
class JobStoreTest {
  @TempDir Path dir;

  private static final Instant T0 = Instant.parse("2026-12-06T10:00:00Z");
  private static final LocalDate DAY = LocalDate.parse("2026-12-06");

  @ParameterizedTest
  @EnumSource(TestDatabases.Kind.class)
  void aJobItsEventsKeyAndUsageRoundTripAndBlobsStayOut(TestDatabases.Kind kind) throws Exception {
    var database = TestDatabases.fresh(kind, dir);
    try (JobStore store = TestDatabases.open(database)) {
      JobRecord queued = record("job-1", "acme", JobPhase.QUEUED, T0, null, 0, 0, 1);
      store.write(
          List.of(
              new JobStore.JobWrite(
                  queued,
                  true,
                  List.of(
                      event(
                          "job-1",
                          1,
                          JobEvent.newBuilder().setQueued(Queued.getDefaultInstance()))),
                  "key-1",
                  new byte[] {1, 2, 3},
                  DAY,
                  0,
                  null)));
      assertThat(store.unfinished()).containsExactly(queued);
      assertThat(store.job("job-1")).contains(queued);
      assertThat(store.idempotencyKey("acme", "key-1", T0.minusSeconds(1)))
          .hasValueSatisfying(
              k -> {
                assertThat(k.jobId()).isEqualTo("job-1");
                assertThat(k.request()).containsExactly(1, 2, 3);
              });
      assertThat(store.idempotencyKey("acme", "key-1", T0.plusSeconds(1))).isEmpty();
      assertThat(store.idempotencyKey("globex", "key-1", T0.minusSeconds(1))).isEmpty();

      byte[] clip = new byte[] {10, 11, 12, 13, 14};
      List<JobEvent> rest =
          List.of(
              event(
                  "job-1",
                  2,
                  JobEvent.newBuilder()
                      .setProgress(
                          Progress.newBuilder()
                              .setStep(1)
                              .setTotalSteps(2)
                              .setPreviewPng(ByteString.copyFromUtf8("png")))),
              event(
                  "job-1",
                  3,
                  JobEvent.newBuilder()
                      .setFrame(
                          Frame.newBuilder().setIndex(0).setPng(ByteString.copyFromUtf8("f0")))),
              event(
                  "job-1",
                  4,
                  JobEvent.newBuilder()
                      .setClipChunk(
                          ClipChunk.newBuilder()
                              .setOffset(0)
                              .setData(ByteString.copyFrom(clip, 0, 3)))),
              event(
                  "job-1",
                  5,
                  JobEvent.newBuilder()
                      .setClipChunk(
                          ClipChunk.newBuilder()
                              .setOffset(3)
                              .setData(ByteString.copyFrom(clip, 3, 2))
                              .setLast(true))),
              event(
                  "job-1",
                  6,
                  JobEvent.newBuilder().setCompleted(Completed.newBuilder().setGpuSeconds(1.5))));
      JobRecord done =
          new JobRecord(
              "job-1",
              "acme",
              queued.spec(),
              JobPhase.SUCCEEDED,
              T0,
              T0.plusSeconds(1),
              T0.plusSeconds(5),
              2,
              1.5,
              6,
              null,
              ClipInfo.newBuilder().setSizeBytes(5).build());
      store.write(
          List.of(
              new JobStore.JobWrite(done, false, rest, null, null, DAY, 1.5, JobPhase.SUCCEEDED)));

      assertThat(store.unfinished()).isEmpty();
      assertThat(store.job("job-1")).contains(done);
      List<JobEvent> stored = store.events("job-1");
      assertThat(stored).extracting(JobEvent::getSeq).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
      assertThat(stored.get(1).getProgress().getPreviewPng()).isEmpty();
      assertThat(stored.get(2).getFrame().getPng()).isEmpty();
      assertThat(stored.get(3).getClipChunk().getData()).isEmpty();
      // Replayed with the blobs from the clip store: what was streamed, less the old preview.
      List<JobEvent> replayed =
          JobStore.rehydrate(
              stored, clip, List.of("f0".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      assertThat(replayed.subList(2, 6)).isEqualTo(rest.subList(1, 5));

      assertThat(store.usage(DAY)).containsEntry("acme", new JobStore.DayUsage(1.5, 1, 0, 0));
      assertThat(store.totals()).containsEntry("acme", new JobStore.DayUsage(1.5, 1, 0, 0));

      // A rerun that lost 1.5 s gives it back; a later day adds to the totals.
      store.write(
          List.of(
              new JobStore.JobWrite(done, false, List.of(), null, null, DAY, -0.5, null),
              new JobStore.JobWrite(
                  record("job-2", "acme", JobPhase.FAILED, T0, T0.plusSeconds(1), 1, 2.0, 0),
                  true,
                  List.of(),
                  null,
                  null,
                  DAY.plusDays(1),
                  2.0,
                  JobPhase.FAILED)));
      assertThat(store.usage(DAY)).containsEntry("acme", new JobStore.DayUsage(1.0, 1, 0, 0));
      assertThat(store.totals()).containsEntry("acme", new JobStore.DayUsage(3.0, 1, 1, 0));

      assertThat(store.prune(T0.plusSeconds(3), T0.plusSeconds(1))).isEqualTo(1); // job-2
      assertThat(store.job("job-2")).isEmpty();
      assertThat(store.job("job-1")).isPresent();
      assertThat(store.idempotencyKey("acme", "key-1", Instant.EPOCH)).isEmpty();
      assertThat(store.prune(T0.plusSeconds(10), T0)).isEqualTo(1);
      assertThat(store.events("job-1")).isEmpty();
    }
    // Opening again migrates nothing and keeps what is there.
    try (JobStore again = TestDatabases.open(database)) {
      assertThat(again.job("job-1")).isEmpty();
      assertThat(again.totals()).containsKey("acme");
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.Kind.class)
  void pagesAreNewestFirstAndStableUnderInserts(TestDatabases.Kind kind) throws Exception {
    try (JobStore store = TestDatabases.open(TestDatabases.fresh(kind, dir))) {
      List<JobStore.JobWrite> writes = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        // job-1 and job-2 share a creation time: the id breaks the tie.
        Instant created = T0.plusSeconds(i == 2 ? 1 : i);
        writes.add(
            new JobStore.JobWrite(
                record("job-" + i, "acme", JobPhase.QUEUED, created, null, 0, 0, 0),
                true,
                List.of(),
                null,
                null,
                DAY,
                0,
                null));
      }
      writes.add(
          new JobStore.JobWrite(
              record("other", "globex", JobPhase.QUEUED, T0, null, 0, 0, 0),
              true,
              List.of(),
              null,
              null,
              DAY,
              0,
              null));
      store.write(writes);

      assertThat(store.page("acme", null, 2))
          .extracting(JobRecord::id)
          .containsExactly("job-4", "job-3");
      assertThat(store.page("acme", "job-3", 2))
          .extracting(JobRecord::id)
          .containsExactly("job-2", "job-1");
      store.write(
          List.of(
              new JobStore.JobWrite(
                  record("job-new", "acme", JobPhase.QUEUED, T0.plusSeconds(9), null, 0, 0, 0),
                  true,
                  List.of(),
                  null,
                  null,
                  DAY,
                  0,
                  null)));
      assertThat(store.page("acme", "job-1", 2)).extracting(JobRecord::id).containsExactly("job-0");
      assertThat(store.page("globex", null, 10)).extracting(JobRecord::id).containsExactly("other");
      // Oldest first, from the start and after a job, and the new job last.
      assertThat(store.page("acme", null, 2, true))
          .extracting(JobRecord::id)
          .containsExactly("job-0", "job-1");
      assertThat(store.page("acme", "job-2", 10, true))
          .extracting(JobRecord::id)
          .containsExactly("job-3", "job-4", "job-new");
      assertThat(store.unfinished())
          .extracting(JobRecord::id)
          .containsExactly("job-0", "other", "job-1", "job-2", "job-3", "job-4", "job-new");
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.Kind.class)
  void deleteForgetsAnEndedJobWithItsEventsAndKeysButNotItsUsage(TestDatabases.Kind kind)
      throws Exception {
    try (JobStore store = TestDatabases.open(TestDatabases.fresh(kind, dir))) {
      JobEvent queued =
          JobEvent.newBuilder()
              .setJobId("job-1")
              .setSeq(1)
              .setQueued(dev.framecast.api.v1.Queued.getDefaultInstance())
              .build();
      store.write(
          List.of(
              new JobStore.JobWrite(
                  record("job-1", "acme", JobPhase.SUCCEEDED, T0, T0.plusSeconds(2), 4, 2.0, 1),
                  true,
                  List.of(queued),
                  "key-1",
                  new byte[] {1},
                  DAY,
                  2.0,
                  JobPhase.SUCCEEDED),
              new JobStore.JobWrite(
                  record("job-2", "acme", JobPhase.DENOISING, T0, null, 1, 0.5, 0),
                  true,
                  List.of(),
                  null,
                  null,
                  DAY,
                  0.5,
                  null)));
      assertThat(store.delete("job-2")).as("a job that has not ended stays").isFalse();
      assertThat(store.job("job-2")).isPresent();
      assertThat(store.delete("job-1")).isTrue();
      assertThat(store.job("job-1")).isEmpty();
      assertThat(store.events("job-1")).isEmpty();
      assertThat(store.idempotencyKey("acme", "key-1", Instant.EPOCH)).isEmpty();
      assertThat(store.usage(DAY).get("acme").gpuSeconds()).isEqualTo(2.5);
      assertThat(store.delete("job-1")).as("twice").isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.Kind.class)
  void webhookDeliveriesOwedAreKeptUntilDone(TestDatabases.Kind kind) throws Exception {
    try (JobStore store = TestDatabases.open(TestDatabases.fresh(kind, dir))) {
      var later =
          new dev.framecast.scheduler.webhook.Outbox.Pending(
              "evt_2", "acme", "video.failed", "https://h.example/b", "{}", 0, T0.plusSeconds(5));
      var sooner =
          new dev.framecast.scheduler.webhook.Outbox.Pending(
              "evt_1", "acme", "video.completed", "https://h.example/a", "{\"a\":1}", 0, T0);
      store.save(later);
      store.save(sooner);
      store.save(sooner); // kept once
      assertThat(store.pending()).containsExactly(sooner, later);
      store.attempted("evt_1", 2, T0.plusSeconds(9));
      assertThat(store.pending())
          .containsExactly(
              later,
              new dev.framecast.scheduler.webhook.Outbox.Pending(
                  "evt_1",
                  "acme",
                  "video.completed",
                  "https://h.example/a",
                  "{\"a\":1}",
                  2,
                  T0.plusSeconds(9)));
      store.done("evt_2");
      store.done("evt_1");
      store.done("evt_1");
      assertThat(store.pending()).isEmpty();
    }
  }

  static JobRecord record(
      String id,
      String tenant,
      JobPhase phase,
      Instant created,
      Instant finished,
      int step,
      double gpuSeconds,
      long lastSeq) {
    return new JobRecord(
        id,
        tenant,
        Specs.spec(2, dev.framecast.api.v1.Priority.PRIORITY_INTERACTIVE),
        phase,
        created,
        step > 0 ? created : null,
        finished,
        step,
        gpuSeconds,
        lastSeq,
        phase == JobPhase.FAILED
            ? com.google.rpc.Status.newBuilder().setCode(13).setMessage("boom").build()
            : null,
        null);
  }

  static JobEvent event(String job, long seq, JobEvent.Builder event) {
    return event
        .setJobId(job)
        .setSeq(seq)
        .setTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(T0.getEpochSecond() + seq))
        .build();
  }
}
