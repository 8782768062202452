package dev.framecast.scheduler.engine;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The loop's commands. Unbounded, because completions of requests already in flight must never be
 * dropped or block their thread; what outside callers add (submits, cancels) is bounded by {@code
 * maxExternal}, counted up when offered and down when the loop takes it.
 */
final class Inbox {
  private final BlockingQueue<Command> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger external = new AtomicInteger();
  private final int maxExternal;

  Inbox(int maxExternal) {
    this.maxExternal = maxExternal;
  }

  /** Offers a caller's command; false when the bound is reached. */
  boolean offerExternal(Command command) {
    if (external.incrementAndGet() > maxExternal) {
      external.decrementAndGet();
      return false;
    }
    queue.add(command);
    return true;
  }

  /** Adds a completion (node call, render) or a stop: never refused, never blocking. */
  void add(Command command) {
    queue.add(command);
  }

  /** The next command, waiting up to {@code nanos}; null when none came. */
  Command poll(long nanos) throws InterruptedException {
    return taken(queue.poll(nanos, TimeUnit.NANOSECONDS));
  }

  /** The next command if one is waiting, else null. */
  Command poll() {
    return taken(queue.poll());
  }

  private Command taken(Command command) {
    if (command instanceof Command.Submit || command instanceof Command.Cancel) {
      external.decrementAndGet(); // taken off the inbox: room for another
    }
    return command;
  }
}
