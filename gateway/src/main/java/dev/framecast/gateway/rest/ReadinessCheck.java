package dev.framecast.gateway.rest;

import dev.framecast.gateway.backend.Backend;
import dev.framecast.gateway.drain.Drain;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when the backend can take work (a healthy node embedded, a connected scheduler distributed)
 * and the gateway is not stopping.
 */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {
  @Inject Backend backend;
  @Inject Drain drain;

  @Override
  public HealthCheckResponse call() {
    boolean stopping = drain.stopping();
    return HealthCheckResponse.named("framecast-backend")
        .status(!stopping && backend.ready())
        .withData("backend", backend.describe())
        .withData("stopping", stopping)
        .build();
  }
}
