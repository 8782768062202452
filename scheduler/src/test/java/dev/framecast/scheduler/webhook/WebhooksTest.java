package dev.framecast.scheduler.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.tenant.TenantPolicy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deliveries to a receiver on this machine (loopback allowed explicitly), retried and signed. */
class WebhooksTest {
  static final String SECRET = "whsec_AQgPFh0kKzI5QEdOVVxjanF4f4aNlJuiqbC3vsXM09o=";

  record Received(String id, String timestamp, String signature, String body) {}

  private HttpServer receiver;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger failFirst = new AtomicInteger();
  private final List<String> outcomes = new CopyOnWriteArrayList<>();
  private String url;

  @BeforeEach
  void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/hook",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          var headers = exchange.getRequestHeaders();
          received.add(
              new Received(
                  headers.getFirst("webhook-id"),
                  headers.getFirst("webhook-timestamp"),
                  headers.getFirst("webhook-signature"),
                  new String(body, StandardCharsets.UTF_8)));
          int status = failFirst.getAndDecrement() > 0 ? 500 : 204;
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    receiver.start();
    url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
  }

  @AfterEach
  void stop() {
    receiver.stop(0);
  }

  private static TenantPolicy tenant(String name, String url, String secret) {
    return new TenantPolicy(
        name,
        1,
        4,
        64,
        120,
        20,
        0,
        0,
        List.of(),
        TenantPolicy.DEFAULT_MAX_OPEN_STREAMS,
        TenantPolicy.DEFAULT_READS_PER_MINUTE,
        TenantPolicy.DEFAULT_READ_BURST,
        TenantPolicy.ALL_PRIORITIES,
        dev.framecast.api.v1.Priority.PRIORITY_INTERACTIVE,
        url,
        secret);
  }

  private Webhooks webhooks(Map<String, TenantPolicy> tenants, List<String> allow) {
    WebhookConfig config =
        new WebhookConfig(
            allow,
            List.of(),
            3,
            Duration.ofMillis(50),
            Duration.ofMillis(200),
            Duration.ofSeconds(5));
    return new Webhooks(
        config,
        name -> Optional.ofNullable(tenants.get(name)),
        (tenant, event, outcome) -> outcomes.add(tenant + " " + event + " " + outcome),
        Clock.systemUTC());
  }

  private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 10 s");
      }
      Thread.sleep(10);
    }
  }

  @Test
  void aFailedFirstAttemptIsRetriedWithTheSameIdAndAValidSignature() throws Exception {
    failFirst.set(1);
    try (Webhooks webhooks =
        webhooks(Map.of("acme", tenant("acme", "", SECRET)), List.of("127.0.0.0/8"))) {
      webhooks.ended(
          "acme", "job-1", JobPhase.SUCCEEDED, url, Instant.ofEpochSecond(1_700_000_000));
      await(() -> outcomes.contains("acme video.completed delivered"));
      assertThat(outcomes)
          .containsExactly("acme video.completed retried", "acme video.completed delivered");
      assertThat(received).hasSize(2);
      assertThat(received.get(1).id()).isEqualTo(received.get(0).id()).startsWith("evt_");
      Received last = received.get(1);
      assertThat(last.body())
          .isEqualTo(
              "{\"id\":\""
                  + last.id()
                  + "\",\"object\":\"event\",\"type\":\"video.completed\",\"created_at\":1700000000,"
                  + "\"data\":{\"id\":\"job-1\"}}");
      assertThat(last.signature())
          .isEqualTo(
              new Signer(SECRET).sign(last.id(), Long.parseLong(last.timestamp()), last.body()));
      assertThat(webhooks.pending()).isZero();
    }
  }

  @Test
  void theTenantsUrlAndTheJobsBothGetEachEndAndAttemptsAreBounded() throws Exception {
    failFirst.set(100);
    String tenantUrl = url + "?tenant";
    try (Webhooks webhooks =
        webhooks(Map.of("acme", tenant("acme", tenantUrl, SECRET)), List.of("127.0.0.0/8"))) {
      webhooks.ended("acme", "job-2", JobPhase.CANCELLED, url, null);
      await(() -> outcomes.stream().filter(o -> o.endsWith("failed")).count() == 2);
      // Three attempts each (the bound), then given up.
      assertThat(received).hasSize(6);
      assertThat(received.stream().map(Received::id).distinct()).hasSize(2);
      assertThat(received).allMatch(r -> r.body().contains("\"type\":\"video.cancelled\""));
      assertThat(webhooks.pending()).isZero();
    }
  }

  /**
   * A delivery owed when the scheduler stops is in the job store; the next start sends it, with the
   * same webhook-id, and it is forgotten once delivered.
   */
  @Test
  void deliveriesOwedSurviveARestart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    failFirst.set(1);
    WebhookConfig slow =
        new WebhookConfig(
            List.of("127.0.0.0/8"),
            List.of(),
            5,
            Duration.ofSeconds(30),
            Duration.ofSeconds(30),
            Duration.ofSeconds(5));
    Map<String, TenantPolicy> tenants = Map.of("acme", tenant("acme", "", SECRET));
    try (var store =
        dev.framecast.scheduler.store.JobStore.open(
            "jdbc:sqlite:" + dir.resolve("jobs.db"), null, null)) {
      try (Webhooks first =
          new Webhooks(
              slow,
              name -> Optional.ofNullable(tenants.get(name)),
              (tenant, event, outcome) -> outcomes.add(event + " " + outcome),
              Clock.systemUTC(),
              store)) {
        first.ended("acme", "job-9", JobPhase.SUCCEEDED, url, null);
        await(() -> outcomes.contains("video.completed retried"));
        await(() -> store.pending().size() == 1 && store.pending().get(0).attempts() == 1);
      }
      assertThat(received).hasSize(1);
      // The next start: the retry is due in up to 30 s; a clock 31 s ahead makes it due now.
      Clock ahead = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(31));
      try (Webhooks second =
          new Webhooks(
              slow,
              name -> Optional.ofNullable(tenants.get(name)),
              (tenant, event, outcome) -> outcomes.add(event + " " + outcome),
              ahead,
              store)) {
        assertThat(second.start()).isEqualTo(1);
        await(() -> outcomes.contains("video.completed delivered"));
        await(() -> store.pending().isEmpty());
      }
      assertThat(received).hasSize(2);
      assertThat(received.get(1).id()).isEqualTo(received.get(0).id());
    }
  }

  @Test
  void deliveriesToAnAddressThatIsNotAllowedAreRefused() throws Exception {
    try (Webhooks webhooks = webhooks(Map.of("acme", tenant("acme", "", SECRET)), List.of())) {
      webhooks.ended("acme", "job-3", JobPhase.FAILED, url, null);
      await(() -> outcomes.contains("acme video.failed refused"));
      assertThat(received).isEmpty();
    }
  }

  @Test
  void submissionsAreCheckedBeforeTheJobExists() {
    try (Webhooks webhooks =
        webhooks(
            Map.of("acme", tenant("acme", "", SECRET), "globex", tenant("globex", "", "")),
            List.of())) {
      TenantPolicy acme = tenant("acme", "", SECRET);
      assertThatThrownBy(() -> webhooks.validate(acme, url))
          .isInstanceOf(InvalidRequestException.class)
          .hasMessageContaining("webhook_url")
          .hasMessageContaining("loopback");
      assertThatThrownBy(() -> webhooks.validate(acme, "gopher://x.example/"))
          .hasMessageContaining("http");
      assertThatThrownBy(
              () -> webhooks.validate(tenant("globex", "", ""), "https://93.184.216.34/"))
          .hasMessageContaining("no webhook_secret");
      webhooks.validate(acme, "https://93.184.216.34/hook"); // a public address literal
      webhooks.validate(acme, "");
    }
  }
}
