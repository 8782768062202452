package dev.framecast.scheduler.batch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a configured step-latency profile: lines of {@code batch,latency_ms} (jobs per DiT call and
 * the step latency), '#' comments allowed. It seeds every node's profile; observations then refine
 * it online.
 */
public final class ProfileCsv {
  private ProfileCsv() {}

  public static Map<Integer, Double> load(Path file) throws IOException {
    Map<Integer, Double> seconds = new TreeMap<>();
    int lineNumber = 0;
    for (String line : Files.readAllLines(file)) {
      lineNumber++;
      String trimmed = line.trim();
      if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith("batch")) {
        continue;
      }
      String[] fields = trimmed.split(",");
      try {
        int batch = Integer.parseInt(fields[0].trim());
        double millis = Double.parseDouble(fields[1].trim());
        if (batch < 1 || !(millis > 0)) {
          throw new NumberFormatException();
        }
        seconds.put(batch, millis / 1000);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            file
                + ":"
                + lineNumber
                + ": expected 'batch,latency_ms' with batch >= 1 and latency > 0, got '"
                + line
                + "'");
      }
    }
    if (seconds.isEmpty()) {
      throw new IllegalArgumentException(file + ": no profile points");
    }
    return seconds;
  }
}
