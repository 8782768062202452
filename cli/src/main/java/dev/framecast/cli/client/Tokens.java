package dev.framecast.cli.client;

import dev.framecast.cli.CliException;
import dev.framecast.devissuer.DevIssuer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Finds the bearer token a command sends: {@code --token}, else {@code $FRAMECAST_TOKEN}, else,
 * only for a server on this machine, a development token minted from the local issuer's key (the
 * key a gateway started with {@code ./framecast serve} trusts). A remote server never gets a token
 * the CLI made up: that would only turn a clear "no token" into a confusing UNAUTHENTICATED.
 */
public final class Tokens {
  /** The tenant of development tokens unless {@code --tenant} says otherwise. */
  public static final String DEFAULT_TENANT = "acme";

  public static final String ENV = "FRAMECAST_TOKEN";

  private Tokens() {}

  /**
   * A token and where it came from (for messages: "the token from $FRAMECAST_TOKEN was refused").
   */
  public record Token(String value, String source) {}

  public static Token resolve(
      String flag, Map<String, String> env, ServerAddress server, String tenant, Path issuerDir)
      throws CliException {
    if (flag != null) {
      return new Token(flag.trim(), "--token");
    }
    String fromEnv = env.get(ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return new Token(fromEnv.trim(), "$" + ENV);
    }
    if (!server.isLocal()) {
      throw CliException.usage(
          "no token for "
              + server
              + ": pass --token TOKEN or set "
              + ENV
              + " (development tokens are minted automatically only for a local server)");
    }
    try {
      String minted = DevIssuer.loadOrCreate(issuerDir).mint(DevIssuer.Claims.user(tenant));
      return new Token(
          minted, "a development token for tenant " + tenant + " (key in " + issuerDir + ")");
    } catch (IOException | IllegalStateException e) {
      throw CliException.usage(
          "cannot mint a development token from "
              + issuerDir
              + ": "
              + e.getMessage()
              + " (pass --token or set "
              + ENV
              + ")");
    }
  }
}
