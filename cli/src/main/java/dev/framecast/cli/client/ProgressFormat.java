package dev.framecast.cli.client;

import java.util.OptionalDouble;

/** The text of the progress display; pure functions, so the exact output is unit-tested. */
public final class ProgressFormat {
  static final int BAR_WIDTH = 30;

  private ProgressFormat() {}

  /** Whole percent done, 0 when the total is unknown. */
  public static int percent(int step, int total) {
    return total <= 0 ? 0 : (int) Math.min(100, (long) step * 100 / total);
  }

  /** {@code [##########....................] step 8/24 33% ETA 12s} (in-place line). */
  public static String bar(int step, int total, OptionalDouble etaSeconds) {
    int filled = total <= 0 ? 0 : Math.min(BAR_WIDTH, (int) ((long) step * BAR_WIDTH / total));
    return String.format(
        "[%s%s] step %d/%d %4d%%  %s",
        "#".repeat(filled),
        ".".repeat(BAR_WIDTH - filled),
        step,
        total,
        percent(step, total),
        eta(etaSeconds));
  }

  /** {@code step 8/24 (33%), ETA 12s} (one line per 10% when stderr is not a terminal). */
  public static String line(int step, int total, OptionalDouble etaSeconds) {
    return String.format(
        "step %d/%d (%d%%), %s", step, total, percent(step, total), eta(etaSeconds));
  }

  /** {@code ETA 1m05s}, or {@code ETA --} before the rate is known. */
  public static String eta(OptionalDouble seconds) {
    return seconds.isPresent() ? "ETA " + duration(seconds.getAsDouble()) : "ETA --";
  }

  /** {@code 9s}, {@code 1m05s}, {@code 2h03m}: rounded up, so an ETA never promises too soon. */
  public static String duration(double seconds) {
    long s = (long) Math.ceil(Math.max(0, seconds));
    if (s < 60) {
      return s + "s";
    }
    if (s < 3600) {
      return String.format("%dm%02ds", s / 60, s % 60);
    }
    return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
  }

  /** The queue line: {@code position} is the number of jobs ahead (0 = next). */
  public static String queued(int position) {
    return switch (position) {
      case 0 -> "queued: next in line";
      case 1 -> "queued: 1 job ahead";
      default -> "queued: " + position + " jobs ahead";
    };
  }
}
