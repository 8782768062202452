package dev.framecast.loadtest;

import java.util.List;
import java.util.Random;

/** Step counts of a scenario's jobs and how often each is drawn. */
public record StepMix(List<Entry> entries) {
  /** A step count and its relative frequency. */
  public record Entry(int steps, double weight) {}

  public StepMix {
    entries = List.copyOf(entries);
    if (entries.isEmpty() || entries.stream().anyMatch(e -> e.steps() < 1 || !(e.weight() > 0))) {
      throw new IllegalArgumentException("a step mix needs steps >= 1 with positive weights");
    }
  }

  public static StepMix of(int steps) {
    return new StepMix(List.of(new Entry(steps, 1)));
  }

  /** Steps a and b, equally often. */
  public static StepMix half(int a, int b) {
    return new StepMix(List.of(new Entry(a, 1), new Entry(b, 1)));
  }

  public int draw(Random random) {
    double total = entries.stream().mapToDouble(Entry::weight).sum();
    double x = random.nextDouble() * total;
    for (Entry entry : entries) {
      x -= entry.weight();
      if (x < 0) {
        return entry.steps();
      }
    }
    return entries.get(entries.size() - 1).steps();
  }

  public double meanSteps() {
    double total = entries.stream().mapToDouble(Entry::weight).sum();
    return entries.stream().mapToDouble(e -> e.steps() * e.weight()).sum() / total;
  }

  @Override
  public String toString() {
    StringBuilder text = new StringBuilder();
    for (Entry entry : entries) {
      if (text.length() > 0) {
        text.append(" / ");
      }
      text.append(entry.steps());
    }
    return text + " steps";
  }
}
