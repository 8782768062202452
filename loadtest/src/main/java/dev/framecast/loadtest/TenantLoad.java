package dev.framecast.loadtest;

/**
 * One tenant's part of a scenario.
 *
 * @param tenant the tenant's name (its token's tenant claim)
 * @param weight its fair-share weight in the generated tenants.yaml
 * @param jobsPerSecond offered arrival rate in profile time (Poisson); ignored in closed loop
 */
public record TenantLoad(String tenant, double weight, double jobsPerSecond) {
  public TenantLoad {
    if (!(weight > 0) || !(jobsPerSecond >= 0) || Double.isInfinite(jobsPerSecond)) {
      throw new IllegalArgumentException("tenant " + tenant + ": weight > 0 and a finite rate");
    }
  }
}
