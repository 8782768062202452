package dev.framecast.gateway;

import io.quarkus.test.common.http.TestHTTPResource;
import java.net.URL;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A fresh gRPC client of the gateway under test for each test. */
abstract class GrpcTestBase {
  @TestHTTPResource("/")
  URL url;

  GrpcClient client;

  @BeforeEach
  void connect() {
    client = new GrpcClient(url.getPort());
  }

  @AfterEach
  void close() throws Exception {
    client.close();
  }
}
