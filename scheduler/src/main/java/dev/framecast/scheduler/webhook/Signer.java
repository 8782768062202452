package dev.framecast.scheduler.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs deliveries as the Standard Webhooks specification says: the secret is {@code whsec_} and
 * the base64 of 24 to 64 random bytes; the signature is {@code v1,} and the base64 of
 * HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}").
 */
public final class Signer {
  static final String PREFIX = "whsec_";
  static final int MIN_KEY_BYTES = 24;
  static final int MAX_KEY_BYTES = 64;

  private final byte[] key;

  public Signer(String secret) {
    String problem = secretProblem(secret);
    if (problem != null) {
      throw new IllegalArgumentException("the webhook secret " + problem);
    }
    this.key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
  }

  /** Why a secret is unusable, or null when it is fine. Never includes the secret. */
  public static String secretProblem(String secret) {
    if (!secret.startsWith(PREFIX)) {
      return "must start with '" + PREFIX + "' (Standard Webhooks' form)";
    }
    byte[] key;
    try {
      key = Base64.getDecoder().decode(secret.substring(PREFIX.length()));
    } catch (IllegalArgumentException e) {
      return "must be '" + PREFIX + "' and base64";
    }
    if (key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
      return "must hold "
          + MIN_KEY_BYTES
          + " to "
          + MAX_KEY_BYTES
          + " bytes of key, has "
          + key.length
          + " (e.g. '"
          + PREFIX
          + "' and the base64 of 32 random bytes: openssl rand -base64 32)";
    }
    return null;
  }

  /** The {@code webhook-signature} header's value for one attempt. */
  public String sign(String id, long timestampSeconds, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] digest =
          mac.doFinal((id + "." + timestampSeconds + "." + body).getBytes(StandardCharsets.UTF_8));
      return "v1," + Base64.getEncoder().encodeToString(digest);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 is not available", e);
    }
  }
}
