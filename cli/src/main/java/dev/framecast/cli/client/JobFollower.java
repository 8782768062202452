package dev.framecast.cli.client;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.WatchJobRequest;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Follows one job's events to its terminal event, surviving dropped connections: when a stream ends
 * with UNAVAILABLE (or ends before the job did), it reconnects with {@code WatchJob(after_seq = the
 * last seq seen)}, with exponential backoff, so no event is lost or seen twice. Before the first
 * event the job id is unknown; then it resends {@code Generate} itself, which is safe only because
 * the request carries an idempotency key (the server returns the original job).
 *
 * <p>Not thread-safe: one follower follows one job on one thread; {@link #jobId()} may be read from
 * another (the Ctrl-C handler).
 */
public final class JobFollower {
  /** Receives the job's events in seq order, each once, on the following thread. */
  public interface Listener {
    void onEvent(JobEvent event);

    /** The stream broke; the follower sleeps {@code delay} and reconnects. */
    default void onReconnect(Status status, int attempt, int maxAttempts, Duration delay) {}
  }

  /**
   * How many times in a row to reconnect, and the backoff: {@code initialDelay} doubling up to
   * {@code maxDelay}, each with up to 20% jitter so that many clients of a restarted gateway do not
   * return at once. The count starts over whenever an event arrives.
   */
  public record Retry(int attempts, Duration initialDelay, Duration maxDelay) {
    public static Retry standard() {
      return new Retry(5, Duration.ofMillis(500), Duration.ofSeconds(8));
    }

    Duration delay(int attempt) {
      long base = initialDelay.toMillis() << Math.min(attempt - 1, 20);
      long capped = Math.min(base, maxDelay.toMillis());
      long jitter = (long) (capped * 0.2 * ThreadLocalRandom.current().nextDouble());
      return Duration.ofMillis(capped - jitter);
    }
  }

  /** Sleeps between attempts; tests replace it. */
  public interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  /**
   * Resends of Generate while no event has arrived. Fewer than after the first event: then the job
   * is known to exist and worth waiting for; before it, the usual cause is that nothing listens at
   * the address, and the user should hear that in seconds, not after the full backoff.
   */
  static final int ATTEMPTS_BEFORE_FIRST_EVENT = 2;

  private final FramecastClient client;
  private final Retry retry;
  private final Sleeper sleeper;
  private volatile String jobId;
  private volatile long lastSeq;

  public JobFollower(FramecastClient client, Retry retry, Sleeper sleeper) {
    this.client = client;
    this.retry = retry;
    this.sleeper = sleeper;
  }

  public JobFollower(FramecastClient client) {
    this(client, Retry.standard(), d -> Thread.sleep(d.toMillis()));
  }

  /** The job's id once its first event arrived, else null. */
  public String jobId() {
    return jobId;
  }

  /** The seq of the last event delivered. */
  public long lastSeq() {
    return lastSeq;
  }

  /**
   * Submits with {@code Generate} and follows the job to its end.
   *
   * @return the terminal event (completed, failed or cancelled)
   * @throws StatusRuntimeException a status other than UNAVAILABLE (the server refused the call)
   * @throws StreamLostException the connection stayed broken through every retry
   */
  public JobEvent generate(GenerateRequest request, Listener listener)
      throws InterruptedException, StreamLostException {
    return follow(request, null, listener);
  }

  /** Follows an existing job from its first retained event ({@code WatchJob} from 0). */
  public JobEvent watch(String jobId, Listener listener)
      throws InterruptedException, StreamLostException {
    return follow(null, jobId, listener);
  }

  private JobEvent follow(GenerateRequest request, String knownJobId, Listener listener)
      throws InterruptedException, StreamLostException {
    jobId = knownJobId;
    lastSeq = 0;
    int failures = 0;
    while (true) {
      Status broken;
      long seqBefore = lastSeq;
      Context.CancellableContext call = Context.current().withCancellation();
      Context previous = call.attach();
      try {
        JobEvent terminal = stream(open(request), listener);
        if (terminal != null) {
          return terminal;
        }
        broken = Status.UNAVAILABLE.withDescription("the stream ended before the job did");
      } catch (StatusRuntimeException e) {
        if (!retryable(e.getStatus(), request)) {
          throw e;
        }
        broken = e.getStatus();
      } finally {
        call.detach(previous);
        // Ends the call on our side too (a blocking stream left unread would hold it open).
        call.cancel(null);
      }
      failures = lastSeq > seqBefore ? 1 : failures + 1;
      int budget =
          jobId == null
              ? Math.min(retry.attempts(), ATTEMPTS_BEFORE_FIRST_EVENT)
              : retry.attempts();
      if (failures > budget) {
        if (jobId == null) {
          // Never got through: most likely no gateway at that address, which the caller reports
          // as such rather than as a lost job.
          throw broken.asRuntimeException();
        }
        throw new StreamLostException(jobId, lastSeq, broken);
      }
      Duration delay = retry.delay(failures);
      listener.onReconnect(broken, failures, budget, delay);
      sleeper.sleep(delay);
    }
  }

  private Iterator<JobEvent> open(GenerateRequest request) {
    if (jobId == null) {
      return client.streams().generate(request);
    }
    return client
        .streams()
        .watchJob(WatchJobRequest.newBuilder().setJobId(jobId).setAfterSeq(lastSeq).build());
  }

  /** Delivers events until the terminal one (returned) or the end of the stream (null). */
  private JobEvent stream(Iterator<JobEvent> events, Listener listener) {
    while (events.hasNext()) {
      JobEvent event = events.next();
      if (jobId != null && !event.getJobId().equals(jobId)) {
        throw Status.INTERNAL
            .withDescription(
                "the server sent an event of job " + event.getJobId() + " on job " + jobId)
            .asRuntimeException();
      }
      if (event.getSeq() <= lastSeq) {
        continue; // a server that replays more than asked: each event counts once
      }
      jobId = event.getJobId();
      lastSeq = event.getSeq();
      listener.onEvent(event);
      if (isTerminal(event)) {
        return event;
      }
    }
    return null;
  }

  /**
   * UNAVAILABLE means the connection (or the gateway) went away, not that the request was wrong.
   * Before the job id is known a retry resends Generate, so only with an idempotency key.
   */
  private boolean retryable(Status status, GenerateRequest request) {
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return false;
    }
    return jobId != null || (request != null && !request.getIdempotencyKey().isEmpty());
  }

  public static boolean isTerminal(JobEvent event) {
    return event.hasCompleted() || event.hasFailed() || event.hasCancelled();
  }
}
