package dev.framecast.node.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;

/**
 * A step-latency profile for a simulated node: for each model, the latency of one execution at some
 * batch sizes (rows of one batch as the node sees it), read from a CSV file:
 *
 * <pre>
 * # comments start with '#'; blank lines ignored
 * model,batch,latency_ms
 * dit,1,4.56
 * dit,16,4.13
 * vae,1,1.00
 * </pre>
 *
 * <p>{@link #latency(String, int)} gives the point itself when the batch size is listed, linear
 * interpolation between the neighbouring points otherwise, the smallest point's latency below it,
 * and proportional growth ({@code latency(max) * rows / max}) above the largest: past the largest
 * measured batch a GPU is assumed saturated. Every latency is multiplied by the time scale, so a
 * fleet run K times slower than the profile can be driven by a small control plane; measured times
 * must then be divided by K.
 */
public final class SimulatedProfile {
  /** The smallest time scale: below it, latencies fall under the timer's resolution. */
  public static final double MIN_TIME_SCALE = 1e-3;

  private static final String HEADER = "model,batch,latency_ms";

  private final String source;
  private final double timeScale;

  /** Model -> batch rows -> latency in milliseconds, as in the file (not scaled). */
  private final Map<String, NavigableMap<Integer, Double>> points;

  private SimulatedProfile(
      String source, double timeScale, Map<String, NavigableMap<Integer, Double>> points) {
    this.source = source;
    this.timeScale = timeScale;
    this.points = points;
  }

  /** Reads a profile file at time scale 1. */
  public static SimulatedProfile load(Path file) throws IOException {
    return load(file, 1);
  }

  /**
   * Reads a profile file. Throws IllegalArgumentException naming the file and line for a bad line,
   * and for a time scale below {@link #MIN_TIME_SCALE} or not finite.
   */
  public static SimulatedProfile load(Path file, double timeScale) throws IOException {
    checkTimeScale(timeScale);
    return parse(file.toString(), Files.readString(file, StandardCharsets.UTF_8), timeScale);
  }

  /**
   * Parses profile text; {@code source} names it in error messages (the file name when read from a
   * file).
   */
  public static SimulatedProfile parse(String source, String text, double timeScale) {
    checkTimeScale(timeScale);
    Map<String, NavigableMap<Integer, Double>> points = new TreeMap<>();
    Map<String, Integer> firstLine = new TreeMap<>();
    List<String> lines = text.lines().toList();
    boolean seenData = false;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (i == 0 && line.startsWith("\uFEFF")) {
        line = line.substring(1).strip();
      }
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String at = source + ":" + (i + 1) + ": ";
      String[] fields = line.split(",", -1);
      for (int f = 0; f < fields.length; f++) {
        fields[f] = fields[f].strip();
      }
      if (!seenData && String.join(",", fields).equals(HEADER)) {
        seenData = true;
        continue;
      }
      seenData = true;
      if (fields.length != 3) {
        throw bad(at, "expected " + HEADER + " (3 fields), got " + fields.length, line);
      }
      String model = fields[0];
      if (model.isEmpty()) {
        throw bad(at, "expected a model name in the first field", line);
      }
      int batch = batch(at, fields[1], line);
      double latency = latency(at, fields[2], line);
      String key = model + "," + batch;
      Integer earlier = firstLine.putIfAbsent(key, i + 1);
      if (earlier != null) {
        throw bad(
            at,
            "duplicate point for model '"
                + model
                + "' batch "
                + batch
                + " (first at line "
                + earlier
                + ")",
            line);
      }
      points.computeIfAbsent(model, m -> new TreeMap<>()).put(batch, latency);
    }
    if (points.isEmpty()) {
      throw new IllegalArgumentException(
          source + ": the profile has no points (expected lines " + HEADER + ")");
    }
    Map<String, NavigableMap<Integer, Double>> frozen = new TreeMap<>();
    points.forEach(
        (model, byBatch) -> frozen.put(model, Collections.unmodifiableNavigableMap(byBatch)));
    return new SimulatedProfile(source, timeScale, Collections.unmodifiableMap(frozen));
  }

  private static int batch(String at, String field, String line) {
    int batch;
    try {
      batch = Integer.parseInt(field);
    } catch (NumberFormatException e) {
      throw bad(at, "batch must be an integer >= 1, got '" + field + "'", line);
    }
    if (batch < 1) {
      throw bad(at, "batch must be an integer >= 1, got " + batch, line);
    }
    return batch;
  }

  private static double latency(String at, String field, String line) {
    double latency;
    try {
      latency = Double.parseDouble(field);
    } catch (NumberFormatException e) {
      throw bad(at, "latency_ms must be a finite number > 0, got '" + field + "'", line);
    }
    if (!(latency > 0) || !Double.isFinite(latency)) {
      throw bad(at, "latency_ms must be a finite number > 0, got " + field, line);
    }
    return latency;
  }

  private static IllegalArgumentException bad(String at, String problem, String line) {
    return new IllegalArgumentException(at + problem + " in line '" + line + "'");
  }

  private static void checkTimeScale(double timeScale) {
    if (!(timeScale >= MIN_TIME_SCALE) || !Double.isFinite(timeScale)) {
      throw new IllegalArgumentException(
          "time scale must be a finite number >= " + MIN_TIME_SCALE + ", got " + timeScale);
    }
  }

  /** Where the profile came from (its file), for logs and errors. */
  public String source() {
    return source;
  }

  /** The factor every latency is multiplied by (1 = the profile's own times). */
  public double timeScale() {
    return timeScale;
  }

  /** The models the profile has points for. */
  public Set<String> models() {
    return points.keySet();
  }

  /**
   * The simulated latency of one execution of {@code rows} rows of the model, time scale applied.
   * Throws IllegalArgumentException for a model without points or rows below 1.
   */
  public Duration latency(String model, int rows) {
    NavigableMap<Integer, Double> byBatch = points.get(model);
    if (byBatch == null) {
      throw new IllegalArgumentException(
          "profile " + source + " has no points for model '" + model + "'");
    }
    if (rows < 1) {
      throw new IllegalArgumentException("rows must be >= 1, got " + rows);
    }
    double millis = interpolate(byBatch, rows) * timeScale;
    return Duration.ofNanos(Math.round(millis * 1e6));
  }

  private static double interpolate(NavigableMap<Integer, Double> byBatch, int rows) {
    Map.Entry<Integer, Double> below = byBatch.floorEntry(rows);
    Map.Entry<Integer, Double> above = byBatch.ceilingEntry(rows);
    if (below == null) {
      return above.getValue();
    }
    if (above == null) {
      return below.getValue() * rows / below.getKey();
    }
    if (below.getKey() == rows) {
      return below.getValue();
    }
    double fraction = (double) (rows - below.getKey()) / (above.getKey() - below.getKey());
    return below.getValue() + (above.getValue() - below.getValue()) * fraction;
  }

  @Override
  public String toString() {
    return "SimulatedProfile["
        + source
        + ", time scale "
        + timeScale
        + ", models "
        + models()
        + "]";
  }
}
