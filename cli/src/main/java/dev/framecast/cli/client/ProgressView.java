package dev.framecast.cli.client;

import dev.framecast.api.v1.JobEvent;
import io.grpc.Status;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/**
 * Shows a job's progress on stderr. On a terminal one line is redrawn in place with {@code \r}
 * (queue position, then a bar with step, percentage and ETA); otherwise (a log file, CI) it prints
 * a line per 10% of the steps and per change of queue position, so logs stay short.
 *
 * <p>Thread-safe: events arrive on the following thread, queue positions from a poller and messages
 * from the Ctrl-C handler, which {@link #pause}s the display while it asks a question.
 */
public final class ProgressView implements JobFollower.Listener {
  private final PrintStream err;
  private final boolean interactive;
  private final StepRate rate = new StepRate();
  private String shown = "";
  private int lastBucket = -1;
  private int lastQueuePosition = -1;
  private boolean queued;
  private boolean paused;
  private boolean ended;
  private int step;
  private int total;
  private int frames;

  public ProgressView(PrintStream err, boolean interactive) {
    this.err = err;
    this.interactive = interactive;
  }

  @Override
  public synchronized void onEvent(JobEvent event) {
    switch (event.getEventCase()) {
      case QUEUED -> {
        queued = true;
        showQueue(event.getQueued().getPosition());
      }
      case STARTED -> {
        queued = false;
        clear();
        shown = ""; // the queue line is over; the bar replaces it with the first step
        message("started on node " + event.getStarted().getNode());
      }
      case PROGRESS -> onProgress(event);
      case FRAME -> {
        frames++;
        if (interactive) {
          draw(ProgressFormat.bar(step, total, rate.etaSeconds(total)) + "  frames " + frames);
        }
      }
      case COMPLETED, FAILED, CANCELLED -> end();
      default -> {
        // clip chunks arrive in a burst at the end; nothing worth showing
      }
    }
  }

  private void onProgress(JobEvent event) {
    queued = false;
    step = event.getProgress().getStep();
    total = event.getProgress().getTotalSteps();
    rate.observe(
        step, Instant.ofEpochSecond(event.getTime().getSeconds(), event.getTime().getNanos()));
    if (interactive) {
      draw(ProgressFormat.bar(step, total, rate.etaSeconds(total)));
      return;
    }
    int bucket = ProgressFormat.percent(step, total) / 10;
    if (bucket > lastBucket) {
      lastBucket = bucket;
      message(ProgressFormat.line(step, total, rate.etaSeconds(total)));
    }
  }

  /** A fresher queue position (from GetJob), shown only while the job still waits. */
  public synchronized void queuePosition(int position) {
    if (queued) {
      showQueue(position);
    }
  }

  /** Whether the job is waiting in the queue, as far as the events say. */
  public synchronized boolean queued() {
    return queued;
  }

  private void showQueue(int position) {
    if (interactive) {
      draw(ProgressFormat.queued(position));
    } else if (position != lastQueuePosition) {
      message(ProgressFormat.queued(position));
    }
    lastQueuePosition = position;
  }

  @Override
  public synchronized void onReconnect(
      Status status, int attempt, int maxAttempts, Duration delay) {
    message(
        String.format(
            "connection lost (%s); reconnecting in %s (attempt %d of %d)",
            StatusReport.brief(status),
            ProgressFormat.duration(delay.toMillis() / 1000.0),
            attempt,
            maxAttempts));
  }

  /** Prints a line of its own, above the in-place line. */
  public synchronized void message(String text) {
    if (paused) {
      return;
    }
    clear();
    err.println(text);
    if (interactive && !shown.isEmpty() && !ended) {
      err.print(shown);
    }
    err.flush();
  }

  /** Stops drawing (the Ctrl-C question has the terminal) and clears the line. */
  public synchronized void pause() {
    paused = true;
    clear();
    err.flush();
  }

  public synchronized void resume() {
    paused = false;
    if (interactive && !shown.isEmpty() && !ended) {
      err.print(shown);
      err.flush();
    }
  }

  /** Ends the in-place line, so what follows starts on a line of its own. */
  public synchronized void end() {
    if (interactive && !shown.isEmpty() && !ended && !paused) {
      err.println();
      err.flush();
    }
    ended = true;
  }

  private void draw(String text) {
    if (!paused && !ended) {
      int pad = Math.max(0, shown.length() - text.length());
      err.print("\r" + text + " ".repeat(pad));
      err.flush();
    }
    shown = text;
  }

  private void clear() {
    if (interactive && !shown.isEmpty() && !ended) {
      err.print("\r" + " ".repeat(shown.length()) + "\r");
    }
  }
}
