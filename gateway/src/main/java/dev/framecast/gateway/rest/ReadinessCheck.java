package dev.framecast.gateway.rest;

import dev.framecast.gateway.backend.Backend;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready when the backend can take work: a healthy node (embedded) or a connected scheduler. */
@Readiness
@ApplicationScoped
public class ReadinessCheck implements HealthCheck {
  @Inject Backend backend;

  @Override
  public HealthCheckResponse call() {
    return HealthCheckResponse.named("framecast-backend")
        .status(backend.ready())
        .withData("backend", backend.describe())
        .build();
  }
}
