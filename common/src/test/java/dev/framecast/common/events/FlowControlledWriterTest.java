package dev.framecast.common.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

class FlowControlledWriterTest {
  /** A server call whose readiness the test controls. */
  static final class FakeCall extends ServerCallStreamObserver<String> {
    final List<String> written = new ArrayList<>();
    boolean ready = true;
    boolean cancelled;
    boolean completed;
    Throwable error;
    Runnable onReady;
    Runnable onCancel;

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {
      onCancel = onCancelHandler;
    }

    @Override
    public void setCompression(String compression) {}

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {
      onReady = onReadyHandler;
    }

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void onNext(String value) {
      written.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {
      completed = true;
    }
  }

  /** A publisher that counts demand and emits on command. */
  static final class Source implements Flow.Publisher<String>, Flow.Subscription {
    Flow.Subscriber<? super String> subscriber;
    long demand;
    boolean cancelled;

    @Override
    public void subscribe(Flow.Subscriber<? super String> s) {
      subscriber = s;
      s.onSubscribe(this);
    }

    @Override
    public void request(long n) {
      demand += n;
    }

    @Override
    public void cancel() {
      cancelled = true;
    }

    void emit(String item) {
      assertThat(demand).as("emitting without demand").isPositive();
      demand--;
      subscriber.onNext(item);
    }
  }

  @Test
  void asksForOneItemAtATimeAndOnlyWhileTheCallIsReady() {
    FakeCall call = new FakeCall();
    Source source = new Source();
    List<Status> closed = new ArrayList<>();
    FlowControlledWriter.pipe(
        source,
        call,
        e -> Status.fromThrowable(e).asRuntimeException(),
        new FlowControlledWriter.Listener<>() {
          @Override
          public void closed(Status status) {
            closed.add(status);
          }
        });
    assertThat(source.demand).isEqualTo(1);
    source.emit("a");
    assertThat(source.demand).isEqualTo(1);

    call.ready = false; // the client stopped reading
    source.emit("b");
    assertThat(source.demand).isZero();
    call.onReady.run();
    assertThat(source.demand).isZero(); // still not ready: nothing asked

    call.ready = true;
    call.onReady.run();
    call.onReady.run(); // a second wake does not ask twice
    assertThat(source.demand).isEqualTo(1);
    source.emit("c");
    source.subscriber.onComplete();
    assertThat(call.written).containsExactly("a", "b", "c");
    assertThat(call.completed).isTrue();
    assertThat(closed).extracting(Status::getCode).containsExactly(Status.Code.OK);
  }

  @Test
  void clientCancellationCancelsUpstreamAndErrorsKeepTheirStatus() {
    FakeCall call = new FakeCall();
    Source source = new Source();
    List<Status> closed = new ArrayList<>();
    FlowControlledWriter.Listener<String> listener =
        new FlowControlledWriter.Listener<>() {
          @Override
          public void closed(Status status) {
            closed.add(status);
          }
        };
    FlowControlledWriter.pipe(
        source, call, e -> Status.fromThrowable(e).asRuntimeException(), listener);
    call.cancelled = true;
    call.onCancel.run();
    assertThat(source.cancelled).isTrue();
    assertThat(closed).extracting(Status::getCode).containsExactly(Status.Code.CANCELLED);

    FakeCall second = new FakeCall();
    Source failing = new Source();
    FlowControlledWriter.pipe(
        failing, second, e -> Status.fromThrowable(e).asRuntimeException(), listener);
    failing.subscriber.onError(Status.NOT_FOUND.withDescription("gone").asRuntimeException());
    assertThat(((StatusRuntimeException) second.error).getStatus().getCode())
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(closed).extracting(Status::getCode).endsWith(Status.Code.NOT_FOUND);
  }
}
