package dev.framecast.gateway.drain;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.common.events.OpenStreams;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Flow;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The gateway's graceful stop. On SIGTERM Quarkus first announces the stop ({@link
 * ShutdownDelayInitiatedEvent}): readiness turns DOWN at once, so a load balancer or Kubernetes
 * Service stops sending new calls, while everything keeps being served for {@code
 * quarkus.shutdown.delay} (0 by default: the Kubernetes manifests wait in a preStop hook instead,
 * before the signal). Then every open event stream is ended with a request to reconnect: gRPC
 * streams with UNAVAILABLE + RetryInfo naming the seq to resume after, SSE streams with a final
 * {@code reconnect} event; clients resume on another replica (or on this one restarted) without a
 * gap. Then Quarkus refuses new requests (503) and waits up to {@code quarkus.shutdown.timeout} for
 * unary calls in flight. Jobs are the scheduler's: none stops because a gateway does.
 */
@ApplicationScoped
public class Drain {
  private static final Logger LOG = Logger.getLogger(Drain.class);

  /** How soon a client should reconnect: at once is fine, another replica is up. */
  static final Duration RECONNECT_AFTER = Duration.ofSeconds(1);

  private final OpenStreams<JobEvent> open = new OpenStreams<>();
  private volatile boolean stopping;

  @ConfigProperty(name = "quarkus.shutdown.delay")
  Optional<Duration> delay;

  /** {@code events} as a stream this gateway can end when it stops. */
  public Flow.Publisher<JobEvent> track(Flow.Publisher<JobEvent> events) {
    return open.track(events);
  }

  /** True from the moment the gateway was told to stop: readiness reports DOWN. */
  public boolean stopping() {
    return stopping;
  }

  /** Event streams open now. */
  public int openStreams() {
    return open.size();
  }

  void announced(@Observes ShutdownDelayInitiatedEvent event) {
    stopping = true;
    Duration wait = delay.filter(d -> !d.isNegative()).orElse(Duration.ZERO);
    LOG.infof(
        "stopping: readiness is DOWN; %d event stream(s) will be asked to reconnect in %d ms",
        openStreams(), wait.toMillis());
    if (wait.isZero()) {
      stop();
      return;
    }
    // Quarkus waits the delay itself once this observer returns; the streams end when it is over.
    Thread ender =
        new Thread(
            () -> {
              try {
                Thread.sleep(wait.toMillis());
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              stop();
            },
            "framecast-drain");
    ender.setDaemon(true);
    ender.start();
  }

  /** Before the backend closes (its observer has the default priority, which runs later). */
  void stopped(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) ShutdownEvent event) {
    stop();
  }

  /**
   * The gateway stops serving events: readiness DOWN, every open stream asked to reconnect, and so
   * is every stream opened from now on.
   */
  public void stop() {
    stopping = true;
    log(open.close(Drain::reconnect));
  }

  /** Ends every open event stream, asking its client to reconnect; later streams are served. */
  public void endStreams() {
    log(open.interruptAll(Drain::reconnect));
  }

  private static Throwable reconnect(JobEvent last) {
    return new GatewayStoppingException(last == null ? 0 : last.getSeq(), RECONNECT_AFTER);
  }

  private static void log(int ended) {
    if (ended > 0) {
      LOG.infof("asked %d event stream(s) to reconnect", ended);
    }
  }
}
