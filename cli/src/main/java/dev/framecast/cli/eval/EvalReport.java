package dev.framecast.cli.eval;

import com.google.gson.GsonBuilder;
import dev.framecast.cli.media.FrameSheets;
import dev.framecast.media.Mp4Decoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evaluation's outputs, in eval.py's shapes: the table and totals it prints, the JSON report it
 * writes (same keys, plus each job's id and GPU-seconds), and a contact sheet with a row per clip
 * and every second frame across.
 */
public final class EvalReport {
  /** Every this-many-th frame goes on the sheet, as eval.py's contact_sheet(every=2). */
  static final int SHEET_EVERY = 2;

  private final List<EvalRunner.Row> rows;

  public EvalReport(List<EvalRunner.Row> rows) {
    this.rows = List.copyOf(rows);
  }

  public int colourCorrect() {
    return (int) rows.stream().filter(EvalRunner.Row::colourOk).count();
  }

  public int directionCorrect() {
    return (int) rows.stream().filter(EvalRunner.Row::directionOk).count();
  }

  /** Frames holding exactly one shape, over every clip produced. */
  public int oneShapeFrames() {
    return rows.stream()
        .filter(r -> r.score() != null)
        .mapToInt(r -> r.score().oneShapeFrames())
        .sum();
  }

  /** Frames of every clip produced. */
  public int frames() {
    return rows.stream()
        .filter(r -> r.score() != null)
        .mapToInt(r -> r.score().shapes().length)
        .sum();
  }

  /** Clips that hold exactly one shape in every frame. */
  public int oneShapeClips() {
    return (int)
        rows.stream()
            .filter(
                r -> r.score() != null && r.score().oneShapeFrames() == r.score().shapes().length)
            .count();
  }

  /** Python's spelling of a missing value, so the table reads like eval.py's. */
  static String name(String value) {
    return value == null ? "None" : value;
  }

  /** One line per prompt, as eval.py prints them. */
  public List<String> table() {
    List<String> lines = new ArrayList<>();
    for (EvalRunner.Row row : rows) {
      String head = String.format("%-32s seed %d: ", row.prompt().prompt(), row.prompt().seed());
      if (row.score() == null) {
        lines.add(head + "no clip (" + row.error() + ")");
        continue;
      }
      lines.add(
          head
              + String.format(
                  "colour %-8s %s  direction %-6s %s",
                  name(row.score().colour()),
                  row.colourOk() ? "ok " : "BAD",
                  name(row.score().direction()),
                  row.directionOk() ? "ok" : "BAD"));
    }
    return lines;
  }

  public String totals() {
    return String.format(
        "colour %d/%d, direction %d/%d, one shape in %d/%d frames (%d/%d clips in every frame)",
        colourCorrect(),
        rows.size(),
        directionCorrect(),
        rows.size(),
        oneShapeFrames(),
        frames(),
        oneShapeClips(),
        rows.size());
  }

  /** The JSON report; {@code meta} (steps, guidance, seconds, server) is added at the top level. */
  public String json(Map<String, Object> meta) {
    List<Map<String, Object>> results = new ArrayList<>();
    for (EvalRunner.Row row : rows) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("prompt", row.prompt().prompt());
      r.put("seed", row.prompt().seed());
      r.put("expected_colour", row.prompt().colour());
      r.put("expected_direction", row.prompt().direction());
      r.put("colour", row.score() == null ? null : row.score().colour());
      r.put("direction", row.score() == null ? null : row.score().direction());
      r.put("mean_rgb", row.score() == null ? null : row.score().meanRgb());
      r.put("displacement", row.score() == null ? null : row.score().displacement());
      r.put("shapes", row.score() == null ? null : row.score().shapes());
      r.put("colour_ok", row.colourOk());
      r.put("direction_ok", row.directionOk());
      r.put("one_shape_frames", row.score() == null ? 0 : row.score().oneShapeFrames());
      r.put("job_id", row.jobId());
      r.put("steps", row.steps());
      r.put("gpu_seconds", row.gpuSeconds());
      r.put("error", row.error());
      results.add(r);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("results", results);
    report.put("colour_correct", colourCorrect());
    report.put("direction_correct", directionCorrect());
    report.put("one_shape_frames", oneShapeFrames());
    report.put("one_shape_clips", oneShapeClips());
    report.put("frames", frames());
    report.put("total", rows.size());
    report.putAll(meta);
    return new GsonBuilder().serializeNulls().setPrettyPrinting().create().toJson(report) + "\n";
  }

  /**
   * The contact sheet (PNG), or null when no clip was produced. A prompt without a clip gets a
   * black row, so that row i is always prompt i.
   */
  public byte[] sheet() {
    Mp4Decoder.Decoded any =
        rows.stream().map(EvalRunner.Row::clip).filter(c -> c != null).findFirst().orElse(null);
    if (any == null) {
      return null;
    }
    int width = any.width();
    int height = any.height();
    int columns = (any.frames().size() + SHEET_EVERY - 1) / SHEET_EVERY;
    byte[] black = new byte[width * height * 3];
    List<byte[]> tiles = new ArrayList<>();
    for (EvalRunner.Row row : rows) {
      Mp4Decoder.Decoded clip = row.clip();
      boolean usable = clip != null && clip.width() == width && clip.height() == height;
      for (int c = 0; c < columns; c++) {
        int f = c * SHEET_EVERY;
        tiles.add(usable && f < clip.frames().size() ? clip.frames().get(f) : black);
      }
    }
    return FrameSheets.fromRgb(tiles, width, height, columns, tiles.size());
  }
}
