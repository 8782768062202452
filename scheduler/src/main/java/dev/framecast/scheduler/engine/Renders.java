package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.pipeline.Pipeline;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * Carries out {@link Effect}s on the worker pool: renders clips and previews, stores clips, and
 * reports each back to the loop as a command. Never runs on the loop thread's time.
 */
final class Renders {
  private static final Logger LOG = Logger.getLogger(Renders.class.getName());

  private final ClipRenderer renderer;
  private final ClipStore store;
  private final Executor workers;
  private final Consumer<Command> inbox;

  Renders(ClipRenderer renderer, ClipStore store, Executor workers, Consumer<Command> inbox) {
    this.renderer = renderer;
    this.store = store;
    this.workers = workers;
    this.inbox = inbox;
  }

  void start(Effect effect) {
    if (effect instanceof Effect.RenderClip clip) {
      workers.execute(() -> renderClip(clip));
    } else if (effect instanceof Effect.RenderPreview preview) {
      workers.execute(() -> renderPreview(preview));
    }
  }

  private void renderClip(Effect.RenderClip effect) {
    Job job = effect.job();
    Pipeline p = job.pipeline();
    try {
      ClipRenderer.Rendered out =
          renderer.render(
              effect.rgb(),
              p.frameCount(),
              p.frameHeight(),
              p.frameWidth(),
              p.fps(),
              effect.framePngs());
      store.put(job.tenant(), job.id(), out.clip());
      if (!out.framePngs().isEmpty()) {
        store.putFrames(job.tenant(), job.id(), out.framePngs());
      }
      if (out.thumbnail() != null) {
        store.putAsset(job.tenant(), job.id(), ClipStore.Asset.THUMBNAIL, out.thumbnail());
      }
      if (out.spritesheet() != null) {
        store.putAsset(job.tenant(), job.id(), ClipStore.Asset.SPRITESHEET, out.spritesheet());
      }
      inbox.accept(new Command.Rendered(job, out, null));
    } catch (Exception | Error e) {
      inbox.accept(new Command.Rendered(job, null, e));
    }
  }

  private void renderPreview(Effect.RenderPreview effect) {
    Job job = effect.job();
    Pipeline p = job.pipeline();
    try {
      byte[] png = renderer.preview(effect.rgb(), effect.frames(), p.frameHeight(), p.frameWidth());
      inbox.accept(new Command.PreviewReady(job, effect.step(), png));
    } catch (RuntimeException e) {
      LOG.warning("preview of job " + job.id() + " failed: " + e);
    }
  }
}
