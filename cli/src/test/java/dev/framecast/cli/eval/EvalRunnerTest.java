package dev.framecast.cli.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.cli.FakeGateway;
import dev.framecast.cli.SyntheticClips;
import dev.framecast.cli.client.FramecastClient;
import io.grpc.protobuf.StatusProto;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The evaluation against an in-process server that answers each prompt with the clip it asks for
 * (drawn in code, like data.py's ground truth): every prompt must score right, through the API, the
 * MP4 and the scorer; as eval.py's smoke test checks its scorer on ground-truth clips.
 */
class EvalRunnerTest {
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private FakeGateway gateway;
  private FramecastClient client;

  @AfterEach
  void stop() {
    client.close();
    gateway.close();
  }

  /** The clip a prompt describes: its colour, moving its way at 2.2 px per frame. */
  static List<JobEvent.Builder> groundTruth(GenerateRequest request) {
    String[] words = request.getPrompt().split(" "); // "a red circle moving left"
    int colour = EvalPrompts.COLOUR_NAMES.indexOf(words[1]);
    int[] rgb = new int[3];
    for (int c = 0; c < 3; c++) {
      rgb[c] = (int) (255 * EvalPrompts.COLOUR_RGB[colour][c]);
    }
    double dx = 0;
    double dy = 0;
    double x0 = 32;
    double y0 = 32;
    switch (words[4]) {
      case "left" -> {
        dx = -2.2;
        x0 = 52;
      }
      case "right" -> {
        dx = 2.2;
        x0 = 12;
      }
      case "up" -> {
        dy = -2.2;
        y0 = 52;
      }
      default -> {
        dy = 2.2;
        y0 = 12;
      }
    }
    SyntheticClips.Shape shape =
        words[2].equals("square") ? SyntheticClips.Shape.SQUARE : SyntheticClips.Shape.CIRCLE;
    byte[] mp4 = SyntheticClips.mp4(SyntheticClips.draw(rgb, shape, 8, x0, y0, dx, dy));
    return FakeGateway.succeeding(3, List.of(), mp4, 4096, request.getSeed());
  }

  private EvalRunner runner(int parallel) throws Exception {
    gateway = new FakeGateway(EvalRunnerTest::groundTruth);
    client = gateway.client("t");
    return new EvalRunner(
        client, parallel, 0, null, new PrintStream(err, true, StandardCharsets.UTF_8), "run1");
  }

  @Test
  void groundTruthClipsScoreTwentyEightOfTwentyEight() throws Exception {
    List<EvalRunner.Row> rows = runner(8).run(EvalPrompts.all());
    EvalReport report = new EvalReport(rows);

    // Ground truth holds one shape in each of its 448 frames, and so does its MP4 (with a keyframe
    // every two seconds OpenH264 left a copy behind a moving shape: 389 of 448).
    assertThat(report.totals())
        .isEqualTo(
            "colour 28/28, direction 28/28, one shape in 448/448 frames (28/28 clips in every"
                + " frame)");
    assertThat(report.oneShapeFrames()).isEqualTo(448);
    assertThat(report.frames()).isEqualTo(448);
    assertThat(report.table().get(0))
        .isEqualTo(
            "a red circle moving left         seed 1000: colour red      ok   direction left   ok");
    // Same prompts and seeds as eval.py, batch priority, a distinct idempotency key each.
    assertThat(gateway.generateCalls).hasSize(28);
    assertThat(gateway.generateCalls)
        .extracting(GenerateRequest::getSeed)
        .containsExactlyInAnyOrderElementsOf(
            EvalPrompts.all().stream().map(EvalPrompts.EvalPrompt::seed).toList());
    assertThat(gateway.generateCalls)
        .extracting(GenerateRequest::getIdempotencyKey)
        .doesNotHaveDuplicates();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("[28/28]");

    JsonObject json = JsonParser.parseString(report.json(Map.of("steps", 24))).getAsJsonObject();
    assertThat(json.get("colour_correct").getAsInt()).isEqualTo(28);
    assertThat(json.get("direction_correct").getAsInt()).isEqualTo(28);
    assertThat(json.get("total").getAsInt()).isEqualTo(28);
    JsonObject first = json.getAsJsonArray("results").get(0).getAsJsonObject();
    assertThat(first.keySet())
        .contains(
            "prompt",
            "seed",
            "expected_colour",
            "expected_direction",
            "colour",
            "direction",
            "mean_rgb",
            "displacement",
            "colour_ok",
            "direction_ok",
            "shapes",
            "one_shape_frames");
    assertThat(json.get("one_shape_frames").getAsInt()).isEqualTo(report.oneShapeFrames());
    assertThat(first.get("steps").getAsInt()).isEqualTo(3);

    var sheet = ImageIO.read(new ByteArrayInputStream(report.sheet()));
    assertThat(sheet.getWidth()).isEqualTo(8 * 64 + 7 * 2); // every 2nd of 16 frames
    assertThat(sheet.getHeight()).isEqualTo(28 * 64 + 27 * 2); // a row per prompt
  }

  @Test
  void aQuotaRefusalIsRetriedAfterRetryInfosDelay() throws Exception {
    EvalRunner runner = runner(1);
    gateway.refuseNext =
        StatusProto.toStatusRuntimeException(
            com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage("rate limit")
                .addDetails(
                    Any.pack(
                        RetryInfo.newBuilder()
                            .setRetryDelay(Duration.newBuilder().setNanos(10_000_000))
                            .build()))
                .build());

    List<EvalRunner.Row> rows = runner.run(EvalPrompts.all().subList(0, 2));

    assertThat(rows).allMatch(r -> r.error() == null && r.colourOk() && r.directionOk());
    assertThat(gateway.generateCalls).hasSize(3);
  }

  @Test
  void anAuthenticationFailureStopsTheRestAsAServerError() throws Exception {
    EvalRunner runner = runner(1);
    gateway.refuseNext =
        io.grpc.Status.UNAUTHENTICATED.withDescription("bad token").asRuntimeException();

    List<EvalRunner.Row> rows = runner.run(EvalPrompts.all().subList(0, 3));

    assertThat(rows).allMatch(EvalRunner.Row::serverError);
    assertThat(rows.get(0).error()).isEqualTo("UNAUTHENTICATED: bad token");
    assertThat(rows.get(2).error()).startsWith("skipped: UNAUTHENTICATED");
    assertThat(gateway.generateCalls).hasSize(1);
    assertThat(new EvalReport(rows).table().get(0))
        .contains("no clip (UNAUTHENTICATED: bad token)");
    assertThat(new EvalReport(rows).sheet()).isNull();
  }
}
