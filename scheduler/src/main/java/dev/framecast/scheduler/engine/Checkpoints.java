package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.job.JobPhase;
import dev.framecast.scheduler.job.LatentCheckpoint;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * Latent checkpoints of running jobs, kept with the clip store: every {@code every} steps a job's
 * latents (and the GPU-seconds charged so far) are written, and after its last step (its final
 * latents: a job that then waits for, or is in, its VAE decode or its video encode when the
 * scheduler dies resumes at the decode, not {@code every - 1} steps back), on one I/O thread of
 * their own in the order they were taken (so an older checkpoint never replaces a newer one, and a
 * job's deletion comes after its writes); when the engine stops, every job between steps is written
 * too, the loop waiting for those writes before it exits. A scheduler that takes the job back
 * resumes it at that step instead of its first ({@code store.Recovery}); an ended job's checkpoint
 * is deleted. A failed write is logged and costs only the steps since the previous checkpoint.
 */
final class Checkpoints implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(Checkpoints.class.getName());

  private final ClipStore store;
  private final int every;

  /** Null when checkpoints are off (no job store): no thread for nothing. */
  private final ExecutorService io;

  /**
   * @param every steps between checkpoints; 0 writes none (not even at stop)
   */
  Checkpoints(ClipStore store, int every) {
    if (every < 0) {
      throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + every);
    }
    this.store = store;
    this.every = every;
    this.io =
        every == 0
            ? null
            : Executors.newSingleThreadExecutor(
                r -> {
                  Thread thread = new Thread(r, "framecast-checkpoints");
                  thread.setDaemon(true);
                  return thread;
                });
  }

  /**
   * A DiT step was applied to the job (loop thread): writes a checkpoint when one is due, every
   * {@code every} steps and after the last.
   */
  void stepped(Job job) {
    if (every > 0 && (job.step() % every == 0 || job.step() == job.totalSteps())) {
      LatentCheckpoint checkpoint = take(job);
      io.execute(() -> write(job, checkpoint));
    }
  }

  /** The job ended (loop thread): its checkpoint, if it has one, goes. */
  void ended(Job job) {
    if (io != null && job.checkpointed()) {
      io.execute(
          () -> {
            try {
              store.deleteCheckpoint(job.tenant(), job.id());
            } catch (IOException | RuntimeException e) {
              LOG.warning("deleting the checkpoint of job " + job.id() + " failed: " + e);
            }
          });
    }
  }

  /**
   * The engine stops (loop thread, last act): every job between denoising steps is written now, so
   * its successor resumes it where it is. Returns how many were written.
   */
  int stopping(Iterable<Job> live) {
    if (every == 0) {
      return 0;
    }
    // Through the I/O thread, after the writes already queued: a job's older checkpoint never
    // lands after this one.
    List<Future<Boolean>> writes = new ArrayList<>();
    for (Job job : live) {
      boolean between =
          (job.phase() == JobPhase.DENOISING || job.phase() == JobPhase.READY)
              && job.latents() != null
              && job.step() > 0
              && job.step() < job.totalSteps();
      if (between) {
        LatentCheckpoint checkpoint = take(job);
        writes.add(io.submit(() -> write(job, checkpoint)));
      }
    }
    int written = 0;
    for (Future<Boolean> write : writes) {
      try {
        if (write.get(10, TimeUnit.SECONDS)) {
          written++;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (ExecutionException | TimeoutException e) {
        LOG.warning("a checkpoint at stop was not written: " + e);
      }
    }
    return written;
  }

  private static LatentCheckpoint take(Job job) {
    job.markCheckpointed();
    return new LatentCheckpoint(
        job.step(),
        job.gpuSeconds(),
        job.pipeline().stepFingerprint(),
        job.latents().toByteArray());
  }

  private boolean write(Job job, LatentCheckpoint checkpoint) {
    try {
      store.putCheckpoint(job.tenant(), job.id(), checkpoint);
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.warning(
          "checkpoint of job " + job.id() + " at step " + checkpoint.step() + " failed: " + e);
      return false;
    }
  }

  /** Waits (a few seconds at most) for the writes already started. */
  @Override
  public void close() {
    if (io == null) {
      return;
    }
    io.shutdown();
    try {
      if (!io.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.warning("checkpoint writes did not finish within 5 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
