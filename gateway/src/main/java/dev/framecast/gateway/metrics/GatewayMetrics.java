package dev.framecast.gateway.metrics;

import com.google.protobuf.Timestamp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the gateway exports at /q/metrics: requests by method, tenant and status code; streams open
 * now by transport; and the lag from the scheduler stamping an event to the gateway handing it to
 * the client's transport (a histogram, so p99 can be read with histogram_quantile).
 */
@ApplicationScoped
public class GatewayMetrics {
  private final MeterRegistry registry;
  private final ConcurrentHashMap<String, Counter> requests = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> open = new ConcurrentHashMap<>();
  private final Timer lag;

  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.lag =
        Timer.builder("framecast.gateway.event.lag")
            .description("Time from the scheduler's event timestamp to its write to the client")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    // Both transports from the start, so dashboards see a 0 rather than no series.
    gauge("grpc");
    gauge("sse");
  }

  /** One finished request; tenant is empty when the caller was not authenticated. */
  public void request(String method, String tenant, String code) {
    requests
        .computeIfAbsent(
            method + '\0' + tenant + '\0' + code,
            k ->
                Counter.builder("framecast.gateway.requests")
                    .description("Requests by method, tenant and gRPC status code")
                    .tag("method", method)
                    .tag("tenant", tenant)
                    .tag("code", code)
                    .register(registry))
        .increment();
  }

  public void streamOpened(String transport) {
    gauge(transport).incrementAndGet();
  }

  public void streamClosed(String transport) {
    gauge(transport).decrementAndGet();
  }

  private AtomicInteger gauge(String transport) {
    return open.computeIfAbsent(
        transport,
        t -> {
          AtomicInteger value = new AtomicInteger();
          io.micrometer.core.instrument.Gauge.builder(
                  "framecast.gateway.open.streams", value, AtomicInteger::get)
              .description("Event streams open now, by transport (grpc, sse)")
              .tag("transport", t)
              .register(registry);
          return value;
        });
  }

  /** Records the lag of an event stamped {@code time} that was just written. */
  public void eventWritten(Timestamp time) {
    Instant stamped = Instant.ofEpochSecond(time.getSeconds(), time.getNanos());
    Duration d = Duration.between(stamped, Instant.now());
    lag.record(d.isNegative() ? Duration.ZERO : d);
  }
}
