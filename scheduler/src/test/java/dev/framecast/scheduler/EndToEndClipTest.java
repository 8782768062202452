package dev.framecast.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.ClipChunk;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.node.InferenceNode;
import dev.framecast.node.NodeOptions;
import dev.framecast.scheduler.engine.EngineConfig;
import dev.framecast.scheduler.pipeline.PipelineSpec;
import dev.framecast.scheduler.v1.Caller;
import dev.framecast.scheduler.v1.JobRequest;
import dev.framecast.scheduler.v1.SchedulerGrpc;
import dev.framecast.scheduler.v1.SubmitRequest;
import dev.framecast.scheduler.v1.WatchRequest;
import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A job through the standalone scheduler with the real renderer: PNG frames and an H.264 MP4. */
class EndToEndClipTest {
  @TempDir Path dir;

  @Test
  void aJobYieldsPngFramesAndAnMp4ClipThatGetClipReturnsToo() throws Exception {
    Path repository = Path.of(System.getProperty("framecast.modelRepository", "../triton-models"));
    try (InferenceNode node =
            InferenceNode.start(
                NodeOptions.builder(repository).host("127.0.0.1").port(0).metricsPort(-1).build());
        SchedulerServer scheduler =
            new SchedulerServer(
                    new SchedulerServer.Options(
                        List.of("127.0.0.1:" + node.port()),
                        List.of(PipelineSpec.reference()),
                        null,
                        dir.resolve("clips"),
                        Duration.ofDays(7),
                        EngineConfig.defaults(),
                        1),
                    Renderers.standard())
                .serve(InProcessServerBuilder.forName("e2e").directExecutor())) {
      ManagedChannel channel = InProcessChannelBuilder.forName("e2e").directExecutor().build();
      try {
        var stub = SchedulerGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
        Caller acme = Caller.newBuilder().setTenant("acme").setSubject("test").build();
        Job job =
            stub.submit(
                SubmitRequest.newBuilder()
                    .setCaller(acme)
                    .setRequest(
                        GenerateRequest.newBuilder()
                            .setPrompt("a magenta triangle moving right")
                            .setSteps(2)
                            .setPreviewEvery(1)
                            .setIncludeFrames(true))
                    .build());
        List<JobEvent> events = new ArrayList<>();
        stub.watch(WatchRequest.newBuilder().setCaller(acme).setJobId(job.getId()).build())
            .forEachRemaining(events::add);
        assertThat(events.get(events.size() - 1).hasCompleted()).isTrue();

        List<JobEvent> frames = events.stream().filter(JobEvent::hasFrame).toList();
        assertThat(frames).hasSize(16);
        BufferedImage first =
            ImageIO.read(new ByteArrayInputStream(frames.get(0).getFrame().getPng().toByteArray()));
        assertThat(first.getWidth()).isEqualTo(64);
        assertThat(first.getHeight()).isEqualTo(64);
        assertThat(events)
            .anyMatch(e -> e.hasProgress() && !e.getProgress().getPreviewPng().isEmpty());

        ByteArrayOutputStream streamed = new ByteArrayOutputStream();
        events.stream()
            .filter(JobEvent::hasClipChunk)
            .map(JobEvent::getClipChunk)
            .forEach(
                c -> {
                  assertThat(c.getOffset()).isEqualTo(streamed.size());
                  assertThat(c.getContentType()).isEqualTo("video/mp4");
                  streamed.writeBytes(c.getData().toByteArray());
                });
        byte[] mp4 = streamed.toByteArray();
        assertThat(new String(mp4, 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("ftyp");
        assertThat(new String(mp4, StandardCharsets.ISO_8859_1)).contains("avc1", "moov");
        assertThat(events.get(events.size() - 1).getCompleted().getClipSizeBytes())
            .isEqualTo(mp4.length);

        ByteArrayOutputStream fetched = new ByteArrayOutputStream();
        stub.getClip(JobRequest.newBuilder().setCaller(acme).setJobId(job.getId()).build())
            .forEachRemaining((ClipChunk c) -> fetched.writeBytes(c.getData().toByteArray()));
        assertThat(fetched.toByteArray()).isEqualTo(mp4);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
