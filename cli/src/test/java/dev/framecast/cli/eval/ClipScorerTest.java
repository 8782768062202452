package dev.framecast.cli.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.framecast.cli.SyntheticClips;
import dev.framecast.media.Mp4Decoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scorer on clips drawn in code, through the real video path: encoded to H.264 with the
 * scheduler's encoder, decoded with FFmpeg, scored; and against eval.py's own score_clip.
 */
class ClipScorerTest {
  @TempDir Path dir;

  private static ClipScorer.Score scoreThroughMp4(byte[] rgb) throws Exception {
    Mp4Decoder.Decoded clip = Mp4Decoder.decode(SyntheticClips.mp4(rgb));
    assertThat(clip.frames()).hasSize(SyntheticClips.FRAMES);
    assertThat(clip.width()).isEqualTo(SyntheticClips.SIZE);
    return ClipScorer.score(clip.frames(), clip.width(), clip.height());
  }

  @Test
  void aRedCircleMovingRight() throws Exception {
    ClipScorer.Score score = scoreThroughMp4(SyntheticClips.redCircleMovingRight());

    assertThat(score.colour()).isEqualTo("red");
    assertThat(score.direction()).isEqualTo("right");
    // 2.2 px per frame; the last four frames' centroids are 12 frames after the first four's.
    assertThat(score.displacement()[0]).isCloseTo(12 * 2.2, within(1.0));
    assertThat(score.displacement()[1]).isCloseTo(0, within(1.0));
  }

  @Test
  void aBlueSquareMovingUp() throws Exception {
    ClipScorer.Score score = scoreThroughMp4(SyntheticClips.blueSquareMovingUp());

    assertThat(score.colour()).isEqualTo("blue");
    assertThat(score.direction()).isEqualTo("up");
    assertThat(score.displacement()[1]).isCloseTo(-12 * 2.2, within(1.0));
  }

  @Test
  void aStaticShapeHasNoDirection() throws Exception {
    byte[] still =
        SyntheticClips.draw(new int[] {255, 255, 0}, SyntheticClips.Shape.CIRCLE, 9, 30, 30, 0, 0);
    ClipScorer.Score score = scoreThroughMp4(still);

    assertThat(score.colour()).isEqualTo("yellow");
    assertThat(score.direction()).isNull();
  }

  @Test
  void aBlackClipHasNoColourAndNoDirection() {
    byte[] black = new byte[SyntheticClips.SIZE * SyntheticClips.SIZE * 3];
    ClipScorer.Score score =
        ClipScorer.score(List.of(black, black), SyntheticClips.SIZE, SyntheticClips.SIZE);

    assertThat(score.colour()).isNull();
    assertThat(score.direction()).isNull();
    assertThat(score.meanRgb()).containsExactly(0, 0, 0);
  }

  @Test
  void aDimColourIsStillItsColour() {
    assertThat(ClipScorer.nearestColour(new double[] {0.4, 0.05, 0.38})).isEqualTo("magenta");
    assertThat(ClipScorer.nearestColour(new double[] {0.5, 0.5, 0.5})).isEqualTo("white");
    assertThat(ClipScorer.direction(new double[] {2.9, -2.9})).isNull();
    assertThat(ClipScorer.direction(new double[] {-3, 3})).isEqualTo("left"); // ties go to x
  }

  @Test
  void theSameScoresAsEvalPy() throws Exception {
    PythonEval.assumeAvailable();
    byte[][] clips = {
      SyntheticClips.redCircleMovingRight(),
      SyntheticClips.blueSquareMovingUp(),
      SyntheticClips.draw(
          new int[] {0, 200, 230}, SyntheticClips.Shape.SQUARE, 7, 50, 20, -1.9, 0.4),
      SyntheticClips.draw(new int[] {120, 120, 120}, SyntheticClips.Shape.CIRCLE, 6, 32, 32, 0, 0),
      twoCircles(),
    };
    for (byte[] rgb : clips) {
      // The decoded video, not the drawing: what eval scores is what the platform delivers.
      Mp4Decoder.Decoded clip = Mp4Decoder.decode(SyntheticClips.mp4(rgb));
      Path raw = dir.resolve("clip.rgb");
      try (var out = Files.newOutputStream(raw)) {
        for (byte[] frame : clip.frames()) {
          out.write(frame);
        }
      }
      String json =
          PythonEval.run(
              """
              import dataclasses, numpy as np
              import eval as ev
              clip = np.fromfile(sys.argv[2], np.uint8).reshape(-1, int(sys.argv[3]), int(sys.argv[4]), 3)
              print(json.dumps(dataclasses.asdict(ev.score_clip(clip))))
              """,
              raw.toString(),
              String.valueOf(clip.height()),
              String.valueOf(clip.width()));
      JsonObject python = JsonParser.parseString(json.trim()).getAsJsonObject();
      ClipScorer.Score java = ClipScorer.score(clip.frames(), clip.width(), clip.height());

      assertThat(java.colour()).isEqualTo(nullable(python, "colour"));
      assertThat(java.direction()).isEqualTo(nullable(python, "direction"));
      for (int i = 0; i < 3; i++) {
        assertThat(java.meanRgb()[i])
            .isCloseTo(python.getAsJsonArray("mean_rgb").get(i).getAsDouble(), within(1e-5));
      }
      for (int i = 0; i < 2; i++) {
        assertThat(java.displacement()[i])
            .isCloseTo(python.getAsJsonArray("displacement").get(i).getAsDouble(), within(1e-9));
      }
      int[] shapes = new int[clip.frames().size()];
      for (int f = 0; f < shapes.length; f++) {
        shapes[f] = python.getAsJsonArray("shapes").get(f).getAsInt();
      }
      assertThat(java.shapes()).containsExactly(shapes);
    }
  }

  @Test
  void eachFramesShapesAreCounted() throws Exception {
    ClipScorer.Score one = scoreFrames(SyntheticClips.redCircleMovingRight());
    assertThat(one.shapes()).containsOnly(1);
    assertThat(one.oneShapeFrames()).isEqualTo(SyntheticClips.FRAMES);

    ClipScorer.Score two = scoreFrames(twoCircles());
    assertThat(two.shapes()).containsOnly(2);
    assertThat(two.oneShapeFrames()).isZero();

    byte[] black = new byte[SyntheticClips.SIZE * SyntheticClips.SIZE * 3];
    byte[] speck = black.clone();
    for (int x = 0; x < ClipScorer.MIN_SHAPE_PX - 1; x++) {
      speck[3 * (10 * SyntheticClips.SIZE + 20 + x)] = (byte) 255; // 5 red pixels in a row
    }
    assertThat(
            ClipScorer.score(List.of(black, speck), SyntheticClips.SIZE, SyntheticClips.SIZE)
                .shapes())
        .containsExactly(0, 0);
  }

  /** The frames as drawn, not through H.264 (the comparison with eval.py runs on decoded ones). */
  private static ClipScorer.Score scoreFrames(byte[] rgb) {
    return ClipScorer.score(SyntheticClips.split(rgb), SyntheticClips.SIZE, SyntheticClips.SIZE);
  }

  /** Two red circles far apart, both moving right: a second shape in every frame. */
  private static byte[] twoCircles() {
    byte[] a =
        SyntheticClips.draw(new int[] {255, 0, 0}, SyntheticClips.Shape.CIRCLE, 7, 12, 14, 2, 0);
    byte[] b =
        SyntheticClips.draw(new int[] {255, 0, 0}, SyntheticClips.Shape.CIRCLE, 7, 12, 48, 2, 0);
    for (int i = 0; i < a.length; i++) {
      a[i] = (byte) Math.max(a[i] & 0xFF, b[i] & 0xFF);
    }
    return a;
  }

  private static String nullable(JsonObject o, String key) {
    return o.get(key).isJsonNull() ? null : o.get(key).getAsString();
  }
}
