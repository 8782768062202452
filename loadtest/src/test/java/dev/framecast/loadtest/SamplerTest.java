package dev.framecast.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A scrape that fails leaves a gap, never a sample of zeros (which reads as counters reset). */
class SamplerTest {
  @Test
  void aFailedScrapeTakesNoSampleAndIsCounted() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    int[] status = {200};
    server.createContext(
        "/metrics",
        exchange -> {
          byte[] body =
              "framecast_scheduler_batch_size_sum 96.0\nframecast_scheduler_batch_size_count 4.0\n"
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(status[0], body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    server.start();
    try {
      URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics");
      Runner.Sampler sampler = new Runner.Sampler(uri, null, ProcessHandle.current(), null);
      status[0] = 503;
      assertThat(sampler.sample(1)).isEmpty();
      assertThat(sampler.failed()).isEqualTo(1);
      status[0] = 200;
      Optional<Sample> sample = sampler.sample(2);
      assertThat(sample).isPresent();
      assertThat(sample.get().batchSum()).isEqualTo(96.0);
      assertThat(sampler.failed()).isEqualTo(1);
    } finally {
      server.stop(0);
    }
    // Nothing listens any more: a refused connection is a failed scrape too.
    Runner.Sampler gone =
        new Runner.Sampler(
            URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/metrics"),
            null,
            ProcessHandle.current(),
            null);
    assertThat(gone.sample(3)).isEmpty();
    assertThat(gone.failed()).isEqualTo(1);
  }
}
