package dev.framecast.loadtest;

/**
 * The scheduling policies a scenario compares, run by the same tool on the same simulated fleet:
 * the gateway's embedded scheduler is started with {@code framecast.embedded.policy}.
 */
public enum Policy {
  /** Framecast: continuous batching at step granularity, weighted fair share, priorities. */
  CONTINUOUS("c", "continuous", "Framecast (continuous batching, fair share)"),
  /** Baseline (a): one job at a time per node, first come first served. */
  FCFS("a", "fcfs", "baseline (a): one job per node, FCFS"),
  /** Baseline (b): request-level (static) batching, wait up to a delay for up to B jobs. */
  STATIC("b", "static", "baseline (b): static batching");

  private final String letter;
  private final String setting;
  private final String title;

  Policy(String letter, String setting, String title) {
    this.letter = letter;
    this.setting = setting;
    this.title = title;
  }

  /** The name for it: a, b or c. */
  public String letter() {
    return letter;
  }

  /** The value of the gateway's framecast.embedded.policy setting. */
  public String setting() {
    return setting;
  }

  public String title() {
    return title;
  }

  /** Accepts a, b, c or the setting's name. */
  public static Policy parse(String text) {
    for (Policy policy : values()) {
      if (policy.letter.equalsIgnoreCase(text) || policy.setting.equalsIgnoreCase(text)) {
        return policy;
      }
    }
    throw new IllegalArgumentException(
        "unknown policy '" + text + "': expected c (continuous), a (fcfs) or b (static)");
  }
}
