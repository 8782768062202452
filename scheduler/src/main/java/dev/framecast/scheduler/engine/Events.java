package dev.framecast.scheduler.engine;

import dev.framecast.api.v1.JobEvent;
import dev.framecast.scheduler.job.Job;
import java.time.Clock;
import java.time.Instant;

/** Appends events to jobs' logs with the engine's clock (loop thread). */
final class Events {
  private final Clock clock;

  Events(Clock clock) {
    this.clock = clock;
  }

  Instant now() {
    return clock.instant();
  }

  JobEvent append(Job job, JobEvent.Builder event) {
    return job.events().append(event, clock.instant());
  }
}
