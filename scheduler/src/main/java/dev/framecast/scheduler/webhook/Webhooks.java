package dev.framecast.scheduler.webhook;

import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.tenant.TenantPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * Completion callbacks: when a job ends, {@code video.completed}, {@code video.failed} or {@code
 * video.cancelled} is POSTed to the tenant's {@code webhook_url} (tenants.yaml) and to the job's
 * own {@code webhook_url}, signed with the tenant's {@code webhook_secret} as the Standard Webhooks
 * specification says ({@code webhook-id}, {@code webhook-timestamp}, {@code webhook-signature}).
 *
 * <p>At least once: an attempt that does not get a 2xx answer within the timeout is repeated after
 * a backoff that doubles (with jitter) up to {@link WebhookConfig#maxAttempts}; every attempt of
 * one event carries the same {@code webhook-id}, so a receiver drops repeats by it. Redirects are
 * not followed. Every attempt resolves the host again and checks each address against {@link
 * WebhookAddresses} (as the submission did), so a name that comes to point inside the network is
 * refused. The loop only hands the job over ({@link #ended}); checks, signing, the outbox and HTTP
 * run on the webhook thread (and the HTTP client's).
 *
 * <p>Deliveries owed are kept in an {@link Outbox} (the job store) from before the first attempt
 * until delivered or given up, so a scheduler that restarts, or a standby that takes over, sends
 * them ({@link #start}). Without a job store they live in memory only.
 */
public final class Webhooks implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Webhooks.class.getName());

  /** Outcomes, for metrics. */
  public interface Listener {
    /**
     * @param outcome delivered, retried (an attempt failed, another follows), failed (gave up),
     *     refused (the address may not be called), dropped (too many pending)
     */
    void delivery(String tenant, String event, String outcome);

    Listener NONE = (tenant, event, outcome) -> {};
  }

  private final WebhookConfig config;
  private final WebhookAddresses addresses;
  private final Function<String, Optional<TenantPolicy>> tenants;
  private final Listener listener;
  private final Clock clock;
  private final Outbox outbox;
  private final HttpClient http;
  private final ScheduledThreadPoolExecutor timer;
  private final AtomicInteger pending = new AtomicInteger();

  public Webhooks(
      WebhookConfig config,
      Function<String, Optional<TenantPolicy>> tenants,
      Listener listener,
      Clock clock) {
    this(config, tenants, listener, clock, Outbox.NONE);
  }

  /**
   * @param outbox where deliveries owed are kept across restarts ({@link Outbox#NONE}: nowhere)
   */
  public Webhooks(
      WebhookConfig config,
      Function<String, Optional<TenantPolicy>> tenants,
      Listener listener,
      Clock clock,
      Outbox outbox) {
    this.config = config;
    this.outbox = outbox;
    this.addresses = new WebhookAddresses(config.allow(), config.deny());
    this.tenants = tenants;
    this.listener = listener;
    this.clock = clock;
    this.timer =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread thread = new Thread(r, "framecast-webhooks");
              thread.setDaemon(true);
              return thread;
            });
    this.timer.setRemoveOnCancelPolicy(true);
    this.http =
        HttpClient.newBuilder()
            .connectTimeout(config.timeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /**
   * Sends what the outbox says is owed (a restart, a standby taking over), each when it is due;
   * returns how many. Call once, when this scheduler leads.
   */
  public int start() {
    List<Outbox.Pending> owed;
    try {
      owed = outbox.pending();
    } catch (RuntimeException e) {
      LOG.warning("cannot read the webhook deliveries owed: " + e);
      return 0;
    }
    long now = clock.millis();
    for (Outbox.Pending p : owed) {
      Delivery delivery = new Delivery(p.tenant(), p.type(), p.url(), p.id(), p.body());
      pending.incrementAndGet();
      long wait = Math.max(0, p.due().toEpochMilli() - now);
      try {
        timer.schedule(() -> attempt(delivery, p.attempts() + 1), wait, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException stopped) {
        pending.decrementAndGet();
      }
    }
    if (!owed.isEmpty()) {
      LOG.info(owed.size() + " webhook deliveries owed from before the start: sending them");
    }
    return owed.size();
  }

  /** Deliveries waiting for an attempt or a retry. */
  public int pending() {
    return pending.get();
  }

  /**
   * Checks a job's {@code webhook_url} at submission (the caller's thread; resolves the host):
   * INVALID_ARGUMENT naming {@code webhook_url} when it is malformed, its address may not be
   * called, or the tenant has no secret to sign with.
   */
  public void validate(TenantPolicy tenant, String url) {
    if (url.isEmpty()) {
      return;
    }
    String problem = WebhookAddresses.syntaxProblem(url);
    if (problem != null) {
      throw InvalidRequestException.of("webhook_url", "webhook_url " + problem);
    }
    if (!tenant.hasWebhookSecret()) {
      throw InvalidRequestException.of(
          "webhook_url",
          "tenant '"
              + tenant.name()
              + "' has no webhook_secret to sign webhooks with; its operator sets one in"
              + " tenants.yaml");
    }
    try {
      addresses.check(url);
    } catch (WebhookAddresses.Refused refused) {
      throw InvalidRequestException.of("webhook_url", refused.getMessage());
    }
  }

  /** The event a job's end is: video.completed, video.failed, video.cancelled. */
  static String eventType(JobPhase outcome) {
    return switch (outcome) {
      case SUCCEEDED -> "video.completed";
      case CANCELLED -> "video.cancelled";
      default -> "video.failed";
    };
  }

  /** A job ended (the loop thread): its deliveries are queued; nothing here waits. */
  public void ended(Job job) {
    ended(job.tenant(), job.id(), job.phase(), job.spec().webhookUrl(), job.finished());
  }

  /** A job of {@code tenant} ended in {@code outcome}; {@code own} is its webhook_url or "". */
  void ended(String tenantName, String jobId, JobPhase outcome, String own, Instant finished) {
    Optional<TenantPolicy> tenant = tenants.apply(tenantName);
    Set<String> urls = new LinkedHashSet<>();
    tenant.map(TenantPolicy::webhookUrl).filter(u -> !u.isEmpty()).ifPresent(urls::add);
    if (!own.isEmpty()) {
      urls.add(own);
    }
    if (urls.isEmpty()) {
      return;
    }
    String type = eventType(outcome);
    long created = (finished == null ? clock.instant() : finished).getEpochSecond();
    for (String url : urls) {
      String id = eventId(jobId, type, url);
      String body =
          "{\"id\":\""
              + id
              + "\",\"object\":\"event\",\"type\":\""
              + type
              + "\",\"created_at\":"
              + created
              + ",\"data\":{\"id\":\""
              + json(jobId)
              + "\"}}";
      Delivery delivery = new Delivery(tenantName, type, url, id, body);
      if (pending.incrementAndGet() > WebhookConfig.MAX_PENDING) {
        pending.decrementAndGet();
        listener.delivery(tenantName, type, "dropped");
        LOG.warning(
            "webhook " + type + " of job " + jobId + " dropped: too many deliveries pending");
        continue;
      }
      try {
        timer.execute(
            () -> {
              keep(() -> outbox.save(delivery.pending(0, clock.instant())), delivery);
              attempt(delivery, 1);
            });
      } catch (java.util.concurrent.RejectedExecutionException stopped) {
        pending.decrementAndGet();
      }
    }
  }

  private record Delivery(String tenant, String type, String url, String id, String body) {
    Outbox.Pending pending(int attempts, Instant due) {
      return new Outbox.Pending(id, tenant, type, url, body, attempts, due);
    }
  }

  /** An outbox write; a failed one is logged, and the delivery goes on from memory. */
  private static void keep(Runnable write, Delivery delivery) {
    try {
      write.run();
    } catch (RuntimeException e) {
      LOG.warning(
          "webhook "
              + delivery.id()
              + ": the outbox failed ("
              + e
              + "); a restart before it is delivered would lose it");
    }
  }

  private void attempt(Delivery delivery, int attempt) {
    Optional<TenantPolicy> tenant = tenants.apply(delivery.tenant());
    if (tenant.isEmpty() || !tenant.get().hasWebhookSecret()) {
      give(delivery, "failed", "the tenant has no webhook_secret any more");
      return;
    }
    try {
      addresses.check(delivery.url());
    } catch (WebhookAddresses.Refused refused) {
      give(delivery, "refused", refused.getMessage());
      return;
    }
    long now = clock.instant().getEpochSecond();
    String signature =
        new Signer(tenant.get().webhookSecret()).sign(delivery.id(), now, delivery.body());
    HttpRequest request;
    try {
      request =
          HttpRequest.newBuilder(URI.create(delivery.url()))
              .timeout(config.timeout())
              .header("content-type", "application/json")
              .header("user-agent", "Framecast-Webhooks/1")
              .header("webhook-id", delivery.id())
              .header("webhook-timestamp", Long.toString(now))
              .header("webhook-signature", signature)
              .POST(HttpRequest.BodyPublishers.ofString(delivery.body(), StandardCharsets.UTF_8))
              .build();
    } catch (IllegalArgumentException e) {
      give(delivery, "refused", "the webhook URL cannot be called: " + e.getMessage());
      return;
    }
    http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (response, error) -> {
              try {
                // Back on the webhook thread: the outbox is written from there only.
                timer.execute(() -> answered(delivery, attempt, response, error));
              } catch (java.util.concurrent.RejectedExecutionException stopped) {
                pending.decrementAndGet();
              }
            });
  }

  private void answered(
      Delivery delivery, int attempt, HttpResponse<Void> response, Throwable error) {
    if (error == null && response.statusCode() / 100 == 2) {
      pending.decrementAndGet();
      keep(() -> outbox.done(delivery.id()), delivery);
      listener.delivery(delivery.tenant(), delivery.type(), "delivered");
      return;
    }
    String why = error != null ? error.toString() : "HTTP " + response.statusCode() + " answer";
    if (attempt >= config.maxAttempts()) {
      give(delivery, "failed", "after " + attempt + " attempts; the last: " + why);
      return;
    }
    listener.delivery(delivery.tenant(), delivery.type(), "retried");
    long wait = config.backoff(attempt).toMillis();
    long jittered = wait / 2 + ThreadLocalRandom.current().nextLong(wait / 2 + 1);
    keep(
        () -> outbox.attempted(delivery.id(), attempt, clock.instant().plusMillis(jittered)),
        delivery);
    try {
      timer.schedule(() -> attempt(delivery, attempt + 1), jittered, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      pending.decrementAndGet();
    }
  }

  private void give(Delivery delivery, String outcome, String why) {
    pending.decrementAndGet();
    keep(() -> outbox.done(delivery.id()), delivery);
    listener.delivery(delivery.tenant(), delivery.type(), outcome);
    LOG.warning(
        "webhook "
            + delivery.type()
            + " "
            + delivery.id()
            + " to "
            + delivery.url()
            + " "
            + outcome
            + ": "
            + why);
  }

  /**
   * The event's id, the same for every attempt (and for a scheduler that ends the same job again
   * after a restart), so receivers can drop repeats: {@code evt_} and 24 hex digits of SHA-256.
   */
  static String eventId(String jobId, String type, String url) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest((jobId + "\n" + type + "\n" + url).getBytes(StandardCharsets.UTF_8));
      return "evt_" + HexFormat.of().formatHex(digest, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String json(String s) {
    StringBuilder out = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  /**
   * Stops; deliveries not yet made stay in the outbox for the next start (or are lost without one).
   */
  @Override
  public void close() {
    timer.shutdownNow();
    int left = pending.get();
    if (left > 0) {
      LOG.info(
          left
              + " webhook deliveries were pending when the scheduler stopped"
              + (outbox == Outbox.NONE
                  ? " (no job store: they are lost)"
                  : "; the next start sends them"));
    }
  }
}
