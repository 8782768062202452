package dev.framecast.devissuer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * A local token issuer for the embedded mode. The key pair lives in {@code dir/signing-key.pem}
 * (PKCS#8, readable by the owner only); whoever can read it can mint tokens for any tenant, which
 * is the point on a developer's machine and why the gateway trusts this key in embedded mode only.
 *
 * <p>Tokens look like Keycloak's where the gateway reads them: {@code iss}, {@code aud}, {@code
 * sub}, {@code exp}, {@code iat}, {@code jti}, the {@code tenant} claim and {@code
 * realm_access.roles}, so one gateway configuration reads both.
 */
public final class DevIssuer {
  public static final String ISSUER = "framecast-dev";
  public static final String AUDIENCE = "framecast";
  public static final String USER_ROLE = "framecast-user";
  public static final String ADMIN_ROLE = "framecast-admin";
  static final String KEY_FILE = "signing-key.pem";

  private final PrivateKey privateKey;
  private final PublicKey publicKey;
  private final String keyId;

  private DevIssuer(PrivateKey privateKey, PublicKey publicKey) {
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    this.keyId =
        Integer.toHexString(java.util.Arrays.hashCode(publicKey.getEncoded()) & 0x7fffffff);
  }

  /** The default state directory: {@code $FRAMECAST_HOME} or {@code ~/.framecast}. */
  public static Path defaultDirectory() {
    String home = System.getenv("FRAMECAST_HOME");
    return home != null && !home.isBlank()
        ? Path.of(home)
        : Path.of(System.getProperty("user.home"), ".framecast");
  }

  /**
   * Loads the key from {@code dir}, making it on first use. Safe when several processes start at
   * once: the key is written to a temporary file and linked into place, which fails for every
   * process but the first; they read the winner's key.
   */
  public static DevIssuer loadOrCreate(Path dir) throws IOException {
    Path file = dir.resolve(KEY_FILE);
    if (!Files.exists(file)) {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, ".signing-key", ".tmp");
      try {
        restrictToOwner(tmp);
        Files.writeString(tmp, pem(generate().getPrivate().getEncoded()));
        try {
          // A hard link publishes the complete file under its name, or fails if another process
          // got there first (rename would silently replace the winner's key).
          Files.createLink(file, tmp);
        } catch (FileAlreadyExistsException e) {
          // Another process made the key first: use theirs.
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    return fromPem(Files.readString(file), file);
  }

  private static void restrictToOwner(Path file) throws IOException {
    try {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException e) {
      // Not a POSIX file system: the directory's own permissions are all there is.
    }
  }

  private static KeyPair generate() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no RSA key generator", e);
    }
  }

  private static DevIssuer fromPem(String pem, Path source) {
    String body =
        pem.replace("-----BEGIN PRIVATE KEY-----", "")
            .replace("-----END PRIVATE KEY-----", "")
            .replaceAll("\\s", "");
    try {
      KeyFactory rsa = KeyFactory.getInstance("RSA");
      PrivateKey key =
          rsa.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
      RSAPrivateCrtKey crt = (RSAPrivateCrtKey) key;
      PublicKey pub =
          rsa.generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
      return new DevIssuer(key, pub);
    } catch (GeneralSecurityException | IllegalArgumentException | ClassCastException e) {
      throw new IllegalStateException(
          source + " is not a PKCS#8 RSA private key; delete it to make a new one", e);
    }
  }

  private static String pem(byte[] pkcs8) {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pkcs8)
        + "\n-----END PRIVATE KEY-----\n";
  }

  /** The public key as base64 DER (X.509 SubjectPublicKeyInfo): quarkus-oidc's public-key form. */
  public String publicKeyBase64() {
    return Base64.getEncoder().encodeToString(publicKey.getEncoded());
  }

  public PublicKey publicKey() {
    return publicKey;
  }

  /** The key id tokens carry in their header ({@code kid}). */
  public String keyId() {
    return keyId;
  }

  /** The public key as a JSON Web Key Set, as an OIDC provider publishes it at its jwks_uri. */
  public String jwks() {
    java.security.interfaces.RSAPublicKey rsa = (java.security.interfaces.RSAPublicKey) publicKey;
    return "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":"
        + quote(keyId)
        + ",\"n\":\""
        + unsigned(rsa.getModulus())
        + "\",\"e\":\""
        + unsigned(rsa.getPublicExponent())
        + "\"}]}";
  }

  /** Base64url of a big-endian unsigned integer, as JWK wants it (no sign byte). */
  private static String unsigned(java.math.BigInteger value) {
    byte[] bytes = value.toByteArray();
    if (bytes.length > 1 && bytes[0] == 0) {
      bytes = java.util.Arrays.copyOfRange(bytes, 1, bytes.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** What a token says. */
  public record Claims(
      String tenant,
      String subject,
      List<String> roles,
      String issuer,
      String audience,
      Instant issuedAt,
      Duration lifetime) {

    /** A user of {@code tenant} with the framecast-user role, valid for an hour from now. */
    public static Claims user(String tenant) {
      return new Claims(
          tenant,
          "dev-user@" + tenant,
          List.of(USER_ROLE),
          ISSUER,
          AUDIENCE,
          Instant.now(),
          Duration.ofHours(1));
    }

    public Claims withRoles(List<String> roles) {
      return new Claims(tenant, subject, roles, issuer, audience, issuedAt, lifetime);
    }

    public Claims withAudience(String audience) {
      return new Claims(tenant, subject, roles, issuer, audience, issuedAt, lifetime);
    }

    public Claims withTimes(Instant issuedAt, Duration lifetime) {
      return new Claims(tenant, subject, roles, issuer, audience, issuedAt, lifetime);
    }
  }

  /** Signs {@code claims} as an RS256 JWT. A null tenant leaves the claim out. */
  public String mint(Claims claims) {
    StringBuilder payload = new StringBuilder("{");
    field(payload, "iss", claims.issuer());
    field(payload, "aud", claims.audience());
    field(payload, "sub", claims.subject());
    field(payload, "azp", "framecast-dev-cli");
    if (claims.tenant() != null) {
      field(payload, "tenant", claims.tenant());
    }
    field(payload, "jti", UUID.randomUUID().toString());
    long iat = claims.issuedAt().getEpochSecond();
    payload.append("\"iat\":").append(iat).append(',');
    payload.append("\"exp\":").append(iat + claims.lifetime().toSeconds()).append(',');
    payload.append("\"realm_access\":{\"roles\":[");
    for (int i = 0; i < claims.roles().size(); i++) {
      payload.append(i > 0 ? "," : "").append(quote(claims.roles().get(i)));
    }
    payload.append("]}}");
    String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":" + quote(keyId) + "}";
    String signingInput = base64Url(header) + "." + base64Url(payload.toString());
    try {
      Signature rs256 = Signature.getInstance("SHA256withRSA");
      rs256.initSign(privateKey);
      rs256.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput
          + "."
          + Base64.getUrlEncoder().withoutPadding().encodeToString(rs256.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing failed", e);
    }
  }

  private static void field(StringBuilder json, String name, String value) {
    json.append(quote(name)).append(':').append(quote(value)).append(',');
  }

  private static String base64Url(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  static String quote(String s) {
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }
}
