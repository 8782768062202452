package dev.framecast.gateway.api;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.concurrent.Flow;

/**
 * Delivers a publisher's items and end on the Vert.x context of the gRPC call that subscribes, in
 * order.
 *
 * <p>Why: Quarkus' Vert.x gRPC bridge turns a write from any other thread into a task queued for
 * the call's event loop, and {@code isReady()} does not count those tasks. A writer on the
 * scheduler's stream pool (embedded) or on gRPC client threads (distributed) therefore kept writing
 * while the loop fell behind, without bound: the stream benchmark ran a 1 GiB heap out of memory at
 * 5,000 streams. Written from the event loop itself, each write is accounted for before {@code
 * isReady()} is asked again, so flow control holds.
 */
final class OnCallContext {
  private OnCallContext() {}

  /** {@code upstream} with its signals moved to the current Vert.x context, if there is one. */
  static <T> Flow.Publisher<T> of(Flow.Publisher<T> upstream) {
    Context context = Vertx.currentContext();
    if (context == null) {
      return upstream;
    }
    return subscriber ->
        upstream.subscribe(
            new Flow.Subscriber<T>() {
              @Override
              public void onSubscribe(Flow.Subscription subscription) {
                // At once, on the RPC method's thread: gRPC only accepts the call's cancel and
                // ready handlers before the method returns. It writes nothing.
                subscriber.onSubscribe(subscription);
              }

              @Override
              public void onNext(T item) {
                context.runOnContext(v -> subscriber.onNext(item));
              }

              @Override
              public void onError(Throwable error) {
                context.runOnContext(v -> subscriber.onError(error));
              }

              @Override
              public void onComplete() {
                context.runOnContext(v -> subscriber.onComplete());
              }
            });
  }
}
