package dev.framecast.scheduler.engine;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.scheduler.job.Job;
import java.time.Clock;
import java.time.Instant;

/**
 * Appends events to jobs' logs with the engine's clock and tells the journal (loop thread): every
 * change a reader can see comes with an event, so the journal hears of each.
 */
final class Events {
  private final Clock clock;
  private final Journal journal;

  Events(Clock clock, Journal journal) {
    this.clock = clock;
    this.journal = journal;
  }

  Instant now() {
    return clock.instant();
  }

  JobEvent append(Job job, JobEvent.Builder event) {
    JobEvent appended = job.events().append(event, clock.instant());
    journal.changed(job);
    return appended;
  }
}
