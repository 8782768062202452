package dev.framecast.cli.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.cli.CliException;
import dev.framecast.cli.UsageException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerAddressTest {
  @TempDir Path dir;

  @Test
  void formsOfAnAddress() {
    assertThat(ServerAddress.parse("localhost:8080"))
        .isEqualTo(new ServerAddress("localhost", 8080, false));
    assertThat(ServerAddress.parse("http://gw.example.com:9000"))
        .isEqualTo(new ServerAddress("gw.example.com", 9000, false));
    assertThat(ServerAddress.parse("https://gw.example.com"))
        .isEqualTo(new ServerAddress("gw.example.com", 443, true));
    assertThat(ServerAddress.parse("gw")).isEqualTo(new ServerAddress("gw", 8080, false));
    assertThat(ServerAddress.parse("[::1]:8081")).isEqualTo(new ServerAddress("::1", 8081, false));
    assertThat(ServerAddress.parse("127.0.0.1:1").isLocal()).isTrue();
    assertThat(ServerAddress.parse("[::1]:1").isLocal()).isTrue();
    assertThat(ServerAddress.parse("gw:1").isLocal()).isFalse();
    assertThat(ServerAddress.parse("https://gw:8443").toString()).isEqualTo("https://gw:8443");
  }

  @Test
  void badAddressesSayWhatIsExpected() {
    assertThatThrownBy(() -> ServerAddress.parse("ftp://gw:21"))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("use http:// or https://");
    assertThatThrownBy(() -> ServerAddress.parse("gw:notaport"))
        .hasMessageContaining("expected host:port");
    assertThatThrownBy(() -> ServerAddress.parse("http://gw:80/path"))
        .hasMessageContaining("expected host:port");
    assertThatThrownBy(() -> ServerAddress.parse(" ")).hasMessageContaining("empty");
  }

  @Test
  void tokensComeFromTheFlagThenTheEnvironmentThenTheLocalIssuer() throws Exception {
    ServerAddress local = ServerAddress.parse("localhost:8080");
    ServerAddress remote = ServerAddress.parse("gw.example.com:8080");
    Map<String, String> env = Map.of("FRAMECAST_TOKEN", "from-env");

    assertThat(Tokens.resolve("flag", env, remote, "acme", dir).value()).isEqualTo("flag");
    assertThat(Tokens.resolve(null, env, remote, "acme", dir).source())
        .isEqualTo("$FRAMECAST_TOKEN");
    Tokens.Token minted = Tokens.resolve(null, Map.of(), local, "globex", dir);
    assertThat(minted.value().split("\\.")).hasSize(3);
    assertThat(minted.source()).contains("tenant globex");
    assertThatThrownBy(() -> Tokens.resolve(null, Map.of(), remote, "acme", dir))
        .isInstanceOfSatisfying(
            CliException.class, e -> assertThat(e.exitCode()).isEqualTo(CliException.USAGE))
        .hasMessageContaining("pass --token TOKEN or set FRAMECAST_TOKEN");
  }
}
