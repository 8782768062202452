package dev.framecast.common.events;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * Writes a {@link Flow.Publisher}'s items to a server stream with gRPC flow control: it asks for
 * one item at a time, and only while the call is ready; the call's on-ready handler asks again. A
 * slow client therefore holds at most one item and the transport's own window, and the publisher
 * (an event log, or another gRPC stream) is never pushed. The cancel handler is set before the RPC
 * method returns, and cancels the upstream subscription.
 */
public final class FlowControlledWriter<T> implements Flow.Subscriber<T> {
  private final ServerCallStreamObserver<T> call;
  private final Function<Throwable, StatusRuntimeException> errors;
  private final Listener<T> listener;
  private final AtomicBoolean closed = new AtomicBoolean();
  private Flow.Subscription subscription;
  private boolean outstanding; // guarded by this

  /** Observes a stream for metrics; called on the writing thread, must not block. */
  public interface Listener<T> {
    /** After {@code item} was handed to the transport. */
    default void written(T item) {}

    /** Once, when the stream ends: OK, the error's status, or CANCELLED by the client. */
    default void closed(Status status) {}
  }

  private FlowControlledWriter(
      ServerCallStreamObserver<T> call,
      Function<Throwable, StatusRuntimeException> errors,
      Listener<T> listener) {
    this.call = call;
    this.errors = errors;
    this.listener = listener;
  }

  /** Streams {@code publisher} to {@code call}; call from the RPC method before it returns. */
  public static <T> void pipe(Flow.Publisher<T> publisher, ServerCallStreamObserver<T> call) {
    pipe(publisher, call, e -> Status.fromThrowable(e).asRuntimeException(), new Listener<>() {});
  }

  /**
   * @param errors maps a publisher's failure to the status (with details) the client sees
   * @param listener told about each write and the end (metrics)
   */
  public static <T> void pipe(
      Flow.Publisher<T> publisher,
      ServerCallStreamObserver<T> call,
      Function<Throwable, StatusRuntimeException> errors,
      Listener<T> listener) {
    publisher.subscribe(new FlowControlledWriter<>(call, errors, listener));
  }

  private void close(Status status) {
    if (closed.compareAndSet(false, true)) {
      listener.closed(status);
    }
  }

  @Override
  public void onSubscribe(Flow.Subscription subscription) {
    this.subscription = subscription;
    call.setOnCancelHandler(
        () -> {
          subscription.cancel();
          close(Status.CANCELLED);
        });
    call.setOnReadyHandler(this::requestIfReady);
    requestIfReady();
  }

  private void requestIfReady() {
    synchronized (this) {
      if (outstanding || !call.isReady() || call.isCancelled()) {
        return;
      }
      outstanding = true;
    }
    subscription.request(1);
  }

  @Override
  public void onNext(T item) {
    if (call.isCancelled()) {
      subscription.cancel();
      return;
    }
    call.onNext(item);
    listener.written(item);
    synchronized (this) {
      outstanding = false;
    }
    requestIfReady();
  }

  @Override
  public void onError(Throwable error) {
    StatusRuntimeException status = errors.apply(error);
    if (!call.isCancelled()) {
      call.onError(status);
    }
    close(status.getStatus());
  }

  @Override
  public void onComplete() {
    if (!call.isCancelled()) {
      call.onCompleted();
    }
    close(Status.OK);
  }
}
