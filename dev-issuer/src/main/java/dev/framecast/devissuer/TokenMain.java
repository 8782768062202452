package dev.framecast.devissuer;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code ./framecast token --tenant acme}: prints a bearer token from the development issuer, which
 * a gateway in embedded mode trusts.
 */
public final class TokenMain {
  static final String USAGE =
      """
      Usage: framecast token --tenant TENANT [options]

      Prints a bearer token signed by the embedded mode's development key (made on first use in
      $FRAMECAST_HOME or ~/.framecast). Only a gateway in embedded mode trusts it.

        --tenant T     the token's tenant claim (demo tenants: acme, globex, initech)
        --admin        add the framecast-admin role (reads every tenant's usage)
        --role R       a role to carry instead of framecast-user (repeatable)
        --subject S    the token's subject (default dev-user@TENANT)
        --ttl D        lifetime: 90s, 30m, 12h (default 1h, at most 24h)
        --dir D        the issuer's state directory
        -h, --help     this help
      """;

  private TokenMain() {}

  public static void main(String[] args) throws Exception {
    try {
      String token = run(args);
      if (token == null) {
        System.out.print(USAGE);
      } else {
        System.out.println(token);
      }
    } catch (IllegalArgumentException e) {
      System.err.println("framecast token: " + e.getMessage());
      System.err.println("Try: framecast token --help");
      System.exit(2);
    }
  }

  /** The token for {@code args}; null for --help. */
  static String run(String[] args) throws Exception {
    String tenant = null;
    String subject = null;
    List<String> roles = new ArrayList<>();
    boolean admin = false;
    Duration ttl = Duration.ofHours(1);
    Path dir = DevIssuer.defaultDirectory();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      switch (arg) {
        case "-h", "--help" -> {
          return null;
        }
        case "--admin" -> admin = true;
        case "--tenant", "--role", "--subject", "--ttl", "--dir" -> {
          if (i + 1 >= args.length) {
            throw new IllegalArgumentException(arg + " needs a value");
          }
          String value = args[++i];
          switch (arg) {
            case "--tenant" -> tenant = value;
            case "--role" -> roles.add(value);
            case "--subject" -> subject = value;
            case "--ttl" -> ttl = duration(value);
            default -> dir = Path.of(value);
          }
        }
        default -> throw new IllegalArgumentException("unknown argument '" + arg + "'");
      }
    }
    if (tenant == null || tenant.isBlank()) {
      throw new IllegalArgumentException("--tenant is required (e.g. --tenant acme)");
    }
    if (roles.isEmpty()) {
      roles.add(DevIssuer.USER_ROLE);
    }
    if (admin) {
      roles.add(DevIssuer.ADMIN_ROLE);
    }
    DevIssuer.Claims claims =
        new DevIssuer.Claims(
            tenant,
            subject == null ? "dev-user@" + tenant : subject,
            List.copyOf(roles),
            DevIssuer.ISSUER,
            DevIssuer.AUDIENCE,
            Instant.now(),
            ttl);
    return DevIssuer.loadOrCreate(dir).mint(claims);
  }

  static Duration duration(String text) {
    if (text.length() >= 2) {
      char unit = text.charAt(text.length() - 1);
      try {
        long n = Long.parseLong(text.substring(0, text.length() - 1));
        Duration d =
            switch (unit) {
              case 's' -> Duration.ofSeconds(n);
              case 'm' -> Duration.ofMinutes(n);
              case 'h' -> Duration.ofHours(n);
              default -> null;
            };
        if (d != null && !d.isNegative() && !d.isZero() && d.compareTo(Duration.ofHours(24)) <= 0) {
          return d;
        }
      } catch (NumberFormatException e) {
        // reported below
      }
    }
    throw new IllegalArgumentException(
        "--ttl expects a positive duration of at most 24h like 90s, 30m or 12h, got '"
            + text
            + "'");
  }
}
