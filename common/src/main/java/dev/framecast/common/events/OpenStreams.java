package dev.framecast.common.events;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Flow;
import java.util.function.Function;

/**
 * A server's open streams, so that a stopping server can end them with a status that tells each
 * client to reconnect and where to resume, instead of a reset. {@link #track} wraps a stream's
 * publisher; {@link #interruptAll} fails every open one with an error made from the last item it
 * delivered; after {@link #close} every stream tracked from then on fails at once.
 */
public final class OpenStreams<T> {
  private final Set<InterruptibleStream<T>> open = ConcurrentHashMap.newKeySet();
  private volatile Function<T, Throwable> closedWith;

  /** {@code events}, ended early when this server interrupts its streams. */
  public Flow.Publisher<T> track(Flow.Publisher<T> events) {
    @SuppressWarnings("unchecked")
    InterruptibleStream<T>[] self = new InterruptibleStream[1];
    self[0] = new InterruptibleStream<>(events, () -> open.remove(self[0]));
    open.add(self[0]);
    Function<T, Throwable> closed = closedWith;
    if (closed != null) {
      self[0].interrupt(closed);
    }
    return self[0];
  }

  /** Streams open now. */
  public int size() {
    return open.size();
  }

  /**
   * Ends every open stream with {@code reason.apply(its last item, or null)}; returns how many.
   * Streams opened later are not affected.
   */
  public int interruptAll(Function<T, Throwable> reason) {
    List<InterruptibleStream<T>> streams = List.copyOf(open);
    for (InterruptibleStream<T> stream : streams) {
      stream.interrupt(reason);
    }
    return streams.size();
  }

  /** Ends every open stream, and every stream tracked from now on, with {@code reason}. */
  public int close(Function<T, Throwable> reason) {
    closedWith = reason;
    return interruptAll(reason);
  }
}
