package dev.framecast.devcerts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code ./framecast certs}: a development CA and a certificate for each service. */
public final class CertsMain {
  /** The services and their certificate names: what each server accepts and each client expects. */
  static final List<String> SERVICES = List.of("gateway", "scheduler", "node");

  private static final String USAGE =
      """
      Usage: framecast certs [options]

      Makes a development CA and a certificate for each service, for mutual TLS between the
      gateway, the scheduler and the nodes (compose and local runs; Kubernetes uses cert-manager):

        DIR/ca.pem, ca-key.pem               the CA (kept: run again to issue new certificates
                                             from the same CA, which running services reload)
        DIR/gateway.pem, gateway-key.pem     names framecast-gateway
        DIR/scheduler.pem, scheduler-key.pem names framecast-scheduler
        DIR/node.pem, node-key.pem           names framecast-node

      Each certificate also names localhost, 127.0.0.1, ::1, the compose service name
      (gateway, scheduler, triton) and every --host.

        --dir DIR       where to write them (default $FRAMECAST_HOME/certs; FRAMECAST_HOME
                        defaults to ${XDG_DATA_HOME:-~/.local/share}/framecast)
        --host NAME     another DNS name or IP address every certificate answers on (repeatable)
        --days N        how long the service certificates are valid (default 90)
        --readable-keys the services' keys readable by every user (0644, the directory 0755):
                        for docker compose, whose containers (uid 10001) read them through a
                        bind mount. Single-user development hosts only; the CA key stays 0600
        --new-ca        replace the CA too (peers holding the old CA stop trusting the new
                        certificates until they are given the new ca.pem)
        -h, --help      this help
      """;

  private CertsMain() {}

  public static void main(String[] args) throws IOException {
    Path dir = null;
    List<String> hosts = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1"));
    int days = 90;
    boolean newCa = false;
    boolean readableKeys = false;
    try {
      for (int i = 0; i < args.length; i++) {
        String arg = args[i];
        switch (arg) {
          case "-h", "--help" -> {
            System.out.print(USAGE);
            return;
          }
          case "--new-ca" -> newCa = true;
          case "--readable-keys" -> readableKeys = true;
          case "--dir", "--host", "--days" -> {
            if (i + 1 >= args.length) {
              throw new IllegalArgumentException(arg + " needs a value");
            }
            String value = args[++i];
            switch (arg) {
              case "--dir" -> dir = Path.of(value);
              case "--host" -> hosts.add(value.trim());
              default -> days = days(value);
            }
          }
          default -> throw new IllegalArgumentException("unknown option '" + arg + "'");
        }
      }
    } catch (IllegalArgumentException e) {
      System.err.println("framecast certs: " + e.getMessage());
      System.err.println();
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (dir == null) {
      dir = defaultDirectory();
    }
    System.out.print(write(dir, hosts, Duration.ofDays(days), newCa, readableKeys));
  }

  private static int days(String value) {
    try {
      int days = Integer.parseInt(value.trim());
      if (days < 1 || days > 3650) {
        throw new IllegalArgumentException("--days must be in [1, 3650], got " + value);
      }
      return days;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--days needs a whole number of days, got '" + value + "'");
    }
  }

  /** $FRAMECAST_HOME/certs, FRAMECAST_HOME defaulting as ./framecast's data directory does. */
  static Path defaultDirectory() {
    String home = System.getenv("FRAMECAST_HOME");
    if (home != null && !home.isBlank()) {
      return Path.of(home, "certs");
    }
    String data = System.getenv("XDG_DATA_HOME");
    Path base =
        data != null && !data.isBlank()
            ? Path.of(data)
            : Path.of(System.getProperty("user.home"), ".local", "share");
    return base.resolve("framecast").resolve("certs");
  }

  /** Writes (or renews) everything in {@code dir}; returns what to tell the user. */
  public static String write(Path dir, List<String> hosts, Duration validity, boolean newCa)
      throws IOException {
    return write(dir, hosts, validity, newCa, false);
  }

  static String write(
      Path dir, List<String> hosts, Duration validity, boolean newCa, boolean readableKeys)
      throws IOException {
    Files.createDirectories(dir);
    if (readableKeys) {
      try {
        Files.setPosixFilePermissions(
            dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system
      }
    }
    Path caFile = dir.resolve("ca.pem");
    Path caKey = dir.resolve("ca-key.pem");
    StringBuilder said = new StringBuilder();
    DevCertificates.Authority ca;
    if (!newCa && Files.exists(caFile) && Files.exists(caKey)) {
      ca = DevCertificates.Authority.read(caFile, caKey);
      said.append("kept the CA in ").append(caFile).append('\n');
    } else {
      ca = DevCertificates.Authority.create("Framecast development CA", Duration.ofDays(3650));
      ca.write(caFile, caKey);
      said.append("made a new CA: ")
          .append(caFile)
          .append(" (its key ")
          .append(caKey)
          .append(")\n");
    }
    for (String service : SERVICES) {
      List<String> names = new ArrayList<>(hosts);
      names.add(service.equals("node") ? "triton" : service);
      DevCertificates.Issued issued = ca.issue("framecast-" + service, names, validity);
      Path certificate = dir.resolve(service + ".pem");
      Path key = dir.resolve(service + "-key.pem");
      issued.write(certificate, key, readableKeys);
      said.append("framecast-")
          .append(service)
          .append(": ")
          .append(certificate)
          .append(", ")
          .append(key)
          .append(" (valid ")
          .append(validity.toDays())
          .append(" days)\n");
    }
    said.append('\n').append("Run the services with, for example:\n");
    for (String service : List.of("node", "scheduler")) {
      said.append("  ./framecast ")
          .append(service)
          .append(" --tls-cert ")
          .append(dir.resolve(service + ".pem"))
          .append(" --tls-key ")
          .append(dir.resolve(service + "-key.pem"))
          .append(" --tls-ca ")
          .append(caFile)
          .append('\n');
    }
    said.append("  ./framecast serve --mode distributed --tls-dir ").append(dir).append('\n');
    return said.toString();
  }
}
