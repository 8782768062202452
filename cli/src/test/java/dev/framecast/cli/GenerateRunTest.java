package dev.framecast.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import dev.framecast.api.v1.Cancelled;
import dev.framecast.api.v1.Failed;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.Progress;
import dev.framecast.cli.client.FramecastClient;
import dev.framecast.cli.client.JobFollower;
import io.grpc.protobuf.StatusProto;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generate path against an in-process server: files, summary, failures and exit codes. */
class GenerateRunTest {
  private static final JobFollower.Retry FAST =
      new JobFollower.Retry(3, Duration.ofMillis(1), Duration.ofMillis(2));

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final Terminal terminal =
      new Terminal(
          new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8),
          false);
  private FakeGateway gateway;
  private FramecastClient client;

  private GenerateRun run(
      Function<dev.framecast.api.v1.GenerateRequest, List<JobEvent.Builder>> script)
      throws Exception {
    gateway = new FakeGateway(script);
    client = gateway.client("tok");
    return new GenerateRun(client, terminal, "--token", FAST);
  }

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
      gateway.close();
    }
  }

  private static RequestOptions request(boolean frames) {
    return new RequestOptions(
        "a red circle moving right",
        "",
        4,
        7L,
        null,
        0,
        dev.framecast.api.v1.Priority.PRIORITY_INTERACTIVE,
        null,
        frames);
  }

  @Test
  void writesTheClipAndAContactSheetAndPrintsTheSummary() throws Exception {
    byte[] rgb = SyntheticClips.redCircleMovingRight();
    byte[] mp4 = SyntheticClips.mp4(rgb);
    GenerateRun run =
        run(r -> FakeGateway.succeeding(4, SyntheticClips.pngs(rgb), mp4, 1000, r.getSeed()));
    gateway.dropAfterEvents = 9; // in the middle of the frames
    gateway.drops = 1;
    Path clip = dir.resolve("clip.mp4");

    GenerateRun.Result result = run.generate(request(true).toRequest(), clip);
    GenerateRun.printSummary(result, terminal);

    assertThat(Files.readAllBytes(clip)).isEqualTo(mp4);
    var sheet = ImageIO.read(dir.resolve("clip.png").toFile());
    assertThat(sheet.getWidth()).isEqualTo(8 * 64 + 7 * 2);
    assertThat(sheet.getHeight()).isEqualTo(2 * 64 + 2);
    // The first tile is the first PNG frame, pixel for pixel (the sheet is not re-encoded video).
    assertThat(sheet.getRGB(12, 32) & 0xFFFFFF).isEqualTo(0xFF0000);
    assertThat(out.toString(StandardCharsets.UTF_8))
        .contains("Job job-1: seed 7, 0.25 GPU-seconds, 16 frames 64x64 at 8 fps")
        .contains("Wrote " + clip + " (" + String.format("%,d", mp4.length) + " bytes, video/mp4)");
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("started on node fake-node", "step 4/4 (100%)", "connection lost (UNAVAILABLE");
    assertThat(gateway.watchCalls.get(0).getAfterSeq()).isEqualTo(9);
  }

  @Test
  void withoutFramesTheSheetIsDecodedFromTheClip() throws Exception {
    byte[] mp4 = SyntheticClips.mp4(SyntheticClips.blueSquareMovingUp());
    GenerateRun run = run(r -> FakeGateway.succeeding(2, List.of(), mp4, 512, 1));

    run.generate(request(false).toRequest(), dir.resolve("b.mp4"));

    var sheet = ImageIO.read(dir.resolve("b.png").toFile());
    assertThat(sheet.getWidth()).isEqualTo(8 * 64 + 7 * 2);
    assertThat(gateway.generateCalls.get(0).getIncludeFrames()).isFalse();
  }

  @Test
  void aFailedJobIsExitCodeOneWithTheServersReason() throws Exception {
    GenerateRun run =
        run(
            r -> {
              List<JobEvent.Builder> events = new ArrayList<>();
              events.add(
                  JobEvent.newBuilder()
                      .setProgress(Progress.newBuilder().setStep(1).setTotalSteps(4)));
              events.add(
                  JobEvent.newBuilder()
                      .setFailed(
                          Failed.newBuilder()
                              .setStatus(
                                  com.google.rpc.Status.newBuilder()
                                      .setCode(Code.UNAVAILABLE_VALUE)
                                      .setMessage("every node failed the step"))));
              return events;
            });

    assertThatThrownBy(() -> run.generate(request(true).toRequest(), dir.resolve("c.mp4")))
        .isInstanceOfSatisfying(
            CliException.class, e -> assertThat(e.exitCode()).isEqualTo(CliException.JOB_FAILED))
        .hasMessage("job job-1 failed: UNAVAILABLE: every node failed the step");
    assertThat(dir.resolve("c.mp4")).doesNotExist();
  }

  @Test
  void aCancelledJobIsExitCodeOne() throws Exception {
    GenerateRun run =
        run(
            r ->
                List.of(
                    JobEvent.newBuilder()
                        .setCancelled(Cancelled.newBuilder().setReason("by the user"))));

    assertThatThrownBy(() -> run.generate(request(true).toRequest(), dir.resolve("c.mp4")))
        .isInstanceOfSatisfying(
            CliException.class, e -> assertThat(e.exitCode()).isEqualTo(CliException.JOB_FAILED))
        .hasMessage("job job-1 was cancelled: by the user");
  }

  @Test
  void aRefusedRequestIsExitCodeThreeWithTheFieldViolations() throws Exception {
    GenerateRun run = run(r -> List.of());
    gateway.refuseNext =
        StatusProto.toStatusRuntimeException(
            com.google.rpc.Status.newBuilder()
                .setCode(Code.INVALID_ARGUMENT_VALUE)
                .setMessage("invalid request")
                .addDetails(
                    Any.pack(
                        BadRequest.newBuilder()
                            .addFieldViolations(
                                BadRequest.FieldViolation.newBuilder()
                                    .setField("steps")
                                    .setDescription("must be between 1 and 100"))
                            .build()))
                .build());

    assertThatThrownBy(() -> run.generate(request(true).toRequest(), dir.resolve("c.mp4")))
        .isInstanceOfSatisfying(
            CliException.class, e -> assertThat(e.exitCode()).isEqualTo(CliException.SERVER))
        .hasMessageContaining("INVALID_ARGUMENT: invalid request")
        .hasMessageContaining("  steps: must be between 1 and 100");
  }

  @Test
  void aLostConnectionSaysHowToResume() throws Exception {
    GenerateRun run = run(r -> FakeGateway.succeeding(4, List.of(), new byte[] {1, 2, 3}, 2, 1));
    gateway.dropAfterEvents = 2;
    gateway.drops = 1;
    gateway.watchUnavailable = true;

    assertThatThrownBy(() -> run.generate(request(true).toRequest(), dir.resolve("c.mp4")))
        .isInstanceOfSatisfying(
            CliException.class, e -> assertThat(e.exitCode()).isEqualTo(CliException.SERVER))
        .hasMessageContaining("lost the connection to the server (UNAVAILABLE")
        .hasMessageContaining("Resume with: ./framecast generate --watch job-1");
  }
}
