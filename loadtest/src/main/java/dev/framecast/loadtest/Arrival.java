package dev.framecast.loadtest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * One job the generator sends: when (the intended send time, from the run's start, wall time),
 * whose, and what.
 */
public record Arrival(long atNanos, String tenant, int steps, String prompt) {
  /** Prompts the jobs draw from: every colour and direction the reference model knows. */
  static final List<String> PROMPTS =
      List.of(
          "a red circle moving right",
          "a green square moving left",
          "a blue triangle moving up",
          "a yellow circle moving down",
          "a purple square moving right",
          "a cyan triangle moving left",
          "a white circle moving up",
          "a red square moving down",
          "a green triangle moving right",
          "a blue circle moving left",
          "a yellow square moving up",
          "a purple triangle moving down");

  /**
   * Open-loop Poisson arrivals per tenant over {@code durationNanos}, in wall time: a tenant's rate
   * in profile time divided by the time scale. The same seed gives the same arrivals, so every
   * policy of a scenario sees exactly the same jobs at the same instants.
   */
  public static List<Arrival> poisson(
      List<TenantLoad> tenants, StepMix steps, double timeScale, long durationNanos, long seed) {
    List<Arrival> arrivals = new ArrayList<>();
    for (int i = 0; i < tenants.size(); i++) {
      TenantLoad tenant = tenants.get(i);
      double perSecond = tenant.jobsPerSecond() / timeScale;
      if (perSecond <= 0) {
        continue;
      }
      Random random = new Random(seed * 1_000_003L + i);
      double t = 0;
      while (true) {
        t += -Math.log(1 - random.nextDouble()) / perSecond;
        long at = (long) (t * 1e9);
        if (at >= durationNanos) {
          break;
        }
        arrivals.add(
            new Arrival(
                at,
                tenant.tenant(),
                steps.draw(random),
                PROMPTS.get(random.nextInt(PROMPTS.size()))));
      }
    }
    arrivals.sort(Comparator.comparingLong(Arrival::atNanos));
    return arrivals;
  }
}
