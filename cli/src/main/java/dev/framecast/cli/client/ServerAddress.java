package dev.framecast.cli.client;

import dev.framecast.cli.UsageException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * Where the gateway listens: {@code host:port} or {@code http://host:port} (plaintext HTTP/2, the
 * gateway's default), {@code https://host[:port]} (TLS), or a bare {@code host} (port 8080).
 *
 * @param host a name or an IP address (IPv6 without brackets)
 * @param port the TCP port
 * @param tls whether to use TLS
 */
public record ServerAddress(String host, int port, boolean tls) {
  /** The default server: a gateway on this machine ({@code ./framecast serve}). */
  public static final String DEFAULT = "localhost:8080";

  private static final int DEFAULT_PORT = 8080;
  private static final int DEFAULT_TLS_PORT = 443;

  public static ServerAddress parse(String text) {
    String trimmed = text.trim();
    if (trimmed.isEmpty()) {
      throw new UsageException("the server address is empty (expected host:port)");
    }
    String lower = trimmed.toLowerCase(Locale.ROOT);
    boolean tls = lower.startsWith("https://");
    String withScheme = lower.contains("://") ? trimmed : "http://" + trimmed;
    URI uri;
    try {
      uri = new URI(withScheme);
    } catch (URISyntaxException e) {
      throw invalid(text);
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new UsageException(
          "the server address '" + text + "' has scheme " + scheme + "; use http:// or https://");
    }
    String host = uri.getHost();
    boolean pathless = uri.getRawPath() == null || uri.getRawPath().isEmpty();
    if (host == null || !pathless || uri.getRawQuery() != null || uri.getUserInfo() != null) {
      throw invalid(text);
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : (tls ? DEFAULT_TLS_PORT : DEFAULT_PORT);
    if (port == 0 || port > 65_535) {
      throw invalid(text);
    }
    return new ServerAddress(host, port, tls);
  }

  private static UsageException invalid(String text) {
    return new UsageException(
        "cannot read the server address '"
            + text
            + "': expected host:port, http://host:port or https://host[:port]");
  }

  /**
   * Whether the server runs on this machine, the one case where the CLI mints a development token
   * itself (a local gateway in embedded mode trusts the local development issuer).
   */
  public boolean isLocal() {
    return host.equalsIgnoreCase("localhost")
        || host.equals("127.0.0.1")
        || host.equals("::1")
        || host.equals("0:0:0:0:0:0:0:1");
  }

  @Override
  public String toString() {
    String h = host.contains(":") ? "[" + host + "]" : host;
    return (tls ? "https://" : "") + h + ":" + port;
  }
}
