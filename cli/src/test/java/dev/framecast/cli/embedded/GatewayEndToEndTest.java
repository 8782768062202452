package dev.framecast.cli.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.cli.CliException;
import dev.framecast.cli.GenerateRun;
import dev.framecast.cli.Terminal;
import dev.framecast.cli.client.FramecastClient;
import dev.framecast.cli.client.JobFollower;
import dev.framecast.cli.client.StatusReport;
import dev.framecast.media.Mp4Decoder;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing: the gateway's fast-jar started in embedded mode as demo starts it (a child
 * process, real ONNX models on the CPU, a private development issuer), and a 2-step clip generated
 * through its public gRPC API with a minted token. Needs gateway/target/quarkus-app, which the
 * reactor builds before this module. Skipped without it on a developer's machine, but in CI
 * (FRAMECAST_CI set) a missing jar fails the build instead of passing silently.
 */
class GatewayEndToEndTest {
  @TempDir Path dir;

  @BeforeAll
  static void needsTheGateway() {
    BuiltGateway.require();
  }

  @Test
  void generatesATwoStepClipThroughTheEmbeddedGateway() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Terminal terminal =
        new Terminal(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            false);
    EmbeddedGateway.Options options = BuiltGateway.options();
    Path clip = dir.resolve("clip.mp4");
    try (EmbeddedGateway gateway = EmbeddedGateway.start(options, terminal.err());
        FramecastClient client =
            FramecastClient.connect(gateway.address(), gateway.mintToken("acme"))) {
      GenerateRun.Result result;
      try {
        result =
            new GenerateRun(client, terminal, "minted", JobFollower.Retry.standard())
                .generate(
                    GenerateRequest.newBuilder()
                        .setPrompt("a red circle moving right")
                        .setSteps(2)
                        .setSeed(7)
                        .setIncludeFrames(true)
                        .setIdempotencyKey("e2e-" + System.nanoTime())
                        .build(),
                    clip);
      } catch (CliException e) {
        throw new AssertionError(e.getMessage() + "\ngateway log:\n" + gateway.logTail(), e);
      }
      GenerateRun.printSummary(result, terminal);

      assertThat(result.completed().getSeed()).isEqualTo(7);
      byte[] mp4 = Files.readAllBytes(clip);
      assertThat(new String(mp4, 4, 4, StandardCharsets.ISO_8859_1)).isEqualTo("ftyp");
      assertThat((long) mp4.length).isEqualTo(result.completed().getClipSizeBytes());
      Mp4Decoder.Decoded decoded = Mp4Decoder.decode(mp4);
      assertThat(decoded.frames()).hasSize(result.completed().getClip().getFrameCount());
      assertThat(ImageIO.read(result.sheet().toFile()).getWidth()).isGreaterThan(decoded.width());
      assertThat(err.toString(StandardCharsets.UTF_8)).contains("step 2/2 (100%)");
      assertThat(out.toString(StandardCharsets.UTF_8)).contains("seed 7");

      // The same gateway refuses a token it did not issue.
      try (FramecastClient stranger = FramecastClient.connect(gateway.address(), "not-a-token")) {
        StatusRuntimeException refused =
            org.junit.jupiter.api.Assertions.assertThrows(
                StatusRuntimeException.class,
                () ->
                    stranger
                        .unary()
                        .getJob(
                            dev.framecast.api.v1.GetJobRequest.newBuilder()
                                .setJobId(result.jobId())
                                .build()));
        assertThat(StatusReport.describe(refused).get(0)).startsWith("UNAUTHENTICATED");
      }
    }
  }
}
