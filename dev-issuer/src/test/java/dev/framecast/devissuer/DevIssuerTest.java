package dev.framecast.devissuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DevIssuerTest {
  @TempDir Path dir;

  @Test
  void signsVerifiableRs256TokensWithTheClaimsTheGatewayReads() throws Exception {
    DevIssuer issuer = DevIssuer.loadOrCreate(dir);
    Instant now = Instant.ofEpochSecond(1_800_000_000L);
    String token =
        issuer.mint(
            DevIssuer.Claims.user("acme")
                .withRoles(List.of("framecast-user", "framecast-admin"))
                .withTimes(now, Duration.ofMinutes(5)));

    String[] parts = token.split("\\.");
    assertThat(parts).hasSize(3);
    Signature rs256 = Signature.getInstance("SHA256withRSA");
    rs256.initVerify(issuer.publicKey());
    rs256.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
    assertThat(rs256.verify(Base64.getUrlDecoder().decode(parts[2]))).isTrue();

    String header = new String(Base64.getUrlDecoder().decode(parts[0]), StandardCharsets.UTF_8);
    String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
    assertThat(header).contains("\"alg\":\"RS256\"");
    assertThat(payload)
        .contains("\"iss\":\"framecast-dev\"")
        .contains("\"aud\":\"framecast\"")
        .contains("\"tenant\":\"acme\"")
        .contains("\"sub\":\"dev-user@acme\"")
        .contains("\"iat\":1800000000")
        .contains("\"exp\":1800000300")
        .contains("\"realm_access\":{\"roles\":[\"framecast-user\",\"framecast-admin\"]}");
  }

  @Test
  void keyIsMadeOnceKeptOwnerOnlyAndReused() throws Exception {
    DevIssuer first = DevIssuer.loadOrCreate(dir);
    DevIssuer second = DevIssuer.loadOrCreate(dir);
    assertThat(second.publicKeyBase64()).isEqualTo(first.publicKeyBase64());
    assertThat(Files.getPosixFilePermissions(dir.resolve(DevIssuer.KEY_FILE)))
        .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
  }

  @Test
  void concurrentFirstStartsAgreeOnOneKey() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<String>> keys = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        Callable<String> load = () -> DevIssuer.loadOrCreate(dir).publicKeyBase64();
        keys.add(pool.submit(load));
      }
      Set<String> distinct = new HashSet<>();
      for (Future<String> key : keys) {
        distinct.add(key.get());
      }
      assertThat(distinct).hasSize(1);
      try (var files = Files.list(dir)) {
        assertThat(files.map(p -> p.getFileName().toString())).containsExactly("signing-key.pem");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aCorruptKeyFileIsReportedNotReplaced() throws Exception {
    Files.writeString(dir.resolve(DevIssuer.KEY_FILE), "not a key");
    assertThatThrownBy(() -> DevIssuer.loadOrCreate(dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("delete it to make a new one");
  }

  @Test
  void jwksCarriesTheKeyAsJwk() throws Exception {
    DevIssuer issuer = DevIssuer.loadOrCreate(dir);
    String jwks = issuer.jwks();
    assertThat(jwks).contains("\"kid\":\"" + issuer.keyId() + "\"").contains("\"e\":\"AQAB\"");
    String n = jwks.replaceAll(".*\"n\":\"([^\"]+)\".*", "$1");
    java.math.BigInteger modulus = new java.math.BigInteger(1, Base64.getUrlDecoder().decode(n));
    assertThat(modulus)
        .isEqualTo(((java.security.interfaces.RSAPublicKey) issuer.publicKey()).getModulus());
    String header =
        new String(
            Base64.getUrlDecoder().decode(issuer.mint(DevIssuer.Claims.user("a")).split("\\.")[0]),
            StandardCharsets.UTF_8);
    assertThat(header).contains("\"kid\":\"" + issuer.keyId() + "\"");
  }

  @Test
  void jsonStringsAreEscaped() {
    assertThat(DevIssuer.quote("a\"b\\c\n")).isEqualTo("\"a\\\"b\\\\c\\u000a\"");
  }

  @Test
  void tokenCommandParsesItsOptions() throws Exception {
    String token = TokenMain.run(new String[] {"--tenant", "globex", "--dir", dir.toString()});
    String payload =
        new String(Base64.getUrlDecoder().decode(token.split("\\.")[1]), StandardCharsets.UTF_8);
    assertThat(payload).contains("\"tenant\":\"globex\"").contains("\"framecast-user\"");
    assertThat(TokenMain.run(new String[] {"--help"})).isNull();
    assertThatThrownBy(() -> TokenMain.run(new String[] {"--dir", dir.toString()}))
        .hasMessageContaining("--tenant is required");
    assertThatThrownBy(() -> TokenMain.duration("25h")).hasMessageContaining("at most 24h");
    assertThatThrownBy(() -> TokenMain.duration("10x")).hasMessageContaining("10x");
    assertThat(TokenMain.duration("90s")).isEqualTo(Duration.ofSeconds(90));
  }
}
