package dev.framecast.scheduler.webhook;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where webhooks may go. A URL must be http or https with a host and no user info; every address
 * its host resolves to must be allowed: an address in the allow list is, else one in the deny list
 * or of a kind no tenant may reach (loopback, private, link-local (cloud metadata), carrier-grade
 * NAT, unique-local, multicast, unspecified, reserved) is not, else it is. A tenant cannot make the
 * platform call into the platform's own network; tests and single-machine setups allow loopback
 * explicitly ({@code --webhook-allow 127.0.0.0/8}).
 */
public final class WebhookAddresses {
  static final int MAX_URL_LENGTH = 2048;

  /** Ranges no webhook may reach unless allowed, beside the kinds InetAddress knows. */
  static final List<String> DENIED_RANGES =
      List.of(
          "0.0.0.0/8",
          "10.0.0.0/8",
          "100.64.0.0/10",
          "127.0.0.0/8",
          "169.254.0.0/16",
          "172.16.0.0/12",
          "192.0.0.0/24",
          "192.0.2.0/24",
          "192.168.0.0/16",
          "198.18.0.0/15",
          "198.51.100.0/24",
          "203.0.113.0/24",
          "224.0.0.0/4",
          "240.0.0.0/4",
          "::/128",
          "::1/128",
          "64:ff9b::/96",
          "100::/64",
          "2001:db8::/32",
          "fc00::/7",
          "fe80::/10",
          "ff00::/8");

  private final List<Cidr> allow;
  private final List<Cidr> deny;

  /** The built-in deny list plus {@code deny}, overridden by {@code allow} (CIDR strings). */
  public WebhookAddresses(List<String> allow, List<String> deny) {
    this.allow = allow.stream().map(Cidr::parse).toList();
    List<Cidr> denied = new ArrayList<>();
    DENIED_RANGES.forEach(range -> denied.add(Cidr.parse(range)));
    deny.forEach(range -> denied.add(Cidr.parse(range)));
    this.deny = List.copyOf(denied);
  }

  /** What is wrong with a URL's form, or null: http(s), a host, no user info, bounded. */
  public static String syntaxProblem(String url) {
    if (url.length() > MAX_URL_LENGTH) {
      return "is longer than " + MAX_URL_LENGTH + " characters";
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "is not a URL: " + e.getReason();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http")) {
      return "must be an http or https URL";
    }
    if (uri.getHost() == null || uri.getHost().isEmpty()) {
      return "must name a host";
    }
    if (uri.getRawUserInfo() != null) {
      return "must not carry user information";
    }
    if (uri.getRawFragment() != null) {
      return "must not have a fragment";
    }
    return null;
  }

  /** Thrown when a URL may not be called; the message says why (without resolving twice). */
  public static final class Refused extends Exception {
    private static final long serialVersionUID = 1L;

    Refused(String message) {
      super(message);
    }
  }

  /**
   * Resolves the URL's host and checks every address; returns them (the delivery connects to one of
   * these).
   */
  public List<InetAddress> check(String url) throws Refused {
    String problem = syntaxProblem(url);
    if (problem != null) {
      throw new Refused("the webhook URL " + problem);
    }
    String host = URI.create(url).getHost();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      throw new Refused("the webhook host '" + host + "' does not resolve");
    }
    for (InetAddress address : addresses) {
      String why = refusal(address);
      if (why != null) {
        throw new Refused(
            "the webhook host '"
                + host
                + "' resolves to "
                + address.getHostAddress()
                + ", "
                + why
                + ", which webhooks may not reach");
      }
    }
    return List.of(addresses);
  }

  /** Why an address may not be reached, or null when it may. */
  String refusal(InetAddress address) {
    for (Cidr range : allow) {
      if (range.contains(address)) {
        return null;
      }
    }
    if (address.isLoopbackAddress()) {
      return "a loopback address";
    }
    if (address.isAnyLocalAddress()) {
      return "an unspecified address";
    }
    if (address.isLinkLocalAddress()) {
      return "a link-local address";
    }
    if (address.isSiteLocalAddress()) {
      return "a private address";
    }
    if (address.isMulticastAddress()) {
      return "a multicast address";
    }
    for (Cidr range : deny) {
      if (range.contains(address)) {
        return "in the denied range " + range;
      }
    }
    return null;
  }

  /** An address range: base address and prefix length, IPv4 or IPv6. */
  record Cidr(byte[] base, int bits, String text) {
    static Cidr parse(String text) {
      String trimmed = text.trim();
      int slash = trimmed.indexOf('/');
      String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
      if (!address.matches("[0-9A-Fa-f:.]+")) {
        // Only literals: a name here would be resolved, which a range must not need.
        throw new IllegalArgumentException("'" + text + "' is not an address range (CIDR)");
      }
      byte[] bytes;
      try {
        bytes = InetAddress.getByName(address).getAddress();
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("'" + text + "' is not an address range (CIDR)");
      }
      int bits;
      try {
        bits = slash < 0 ? bytes.length * 8 : Integer.parseInt(trimmed.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' has no valid prefix length");
      }
      if (bits < 0 || bits > bytes.length * 8) {
        throw new IllegalArgumentException(
            "'" + text + "': the prefix length must be 0 to " + bytes.length * 8);
      }
      return new Cidr(bytes, bits, trimmed);
    }

    boolean contains(InetAddress address) {
      byte[] other = address.getAddress();
      if (other.length != base.length) {
        return false;
      }
      BigInteger mask =
          BigInteger.ONE.shiftLeft(base.length * 8).subtract(BigInteger.ONE).shiftRight(bits).not();
      BigInteger a = new BigInteger(1, other).and(mask);
      BigInteger b = new BigInteger(1, base).and(mask);
      return a.equals(b);
    }

    @Override
    public String toString() {
      return text;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Cidr c && c.text.equals(text);
    }

    @Override
    public int hashCode() {
      return text.hashCode();
    }
  }
}
