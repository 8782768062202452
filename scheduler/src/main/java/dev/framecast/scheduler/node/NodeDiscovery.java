package dev.framecast.scheduler.node;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;

/**
 * Where the nodes are: static {@code host:port} entries, and {@code dns:NAME:PORT} entries (a
 * Kubernetes headless service) resolved again at every health round to one node per address. A
 * failed lookup keeps the previous addresses, so a DNS hiccup does not eject every node.
 */
public final class NodeDiscovery {
  private static final Logger LOG = Logger.getLogger(NodeDiscovery.class.getName());

  /** Resolves a name to its addresses (InetAddress.getAllByName in production). */
  public interface Resolver {
    List<String> resolve(String name) throws UnknownHostException;
  }

  private final List<String> entries;
  private final Resolver resolver;
  private final java.util.Map<String, List<String>> lastResolved = new java.util.HashMap<>();

  public NodeDiscovery(List<String> entries, Resolver resolver) {
    for (String entry : entries) {
      parse(entry);
    }
    this.entries = List.copyOf(entries);
    this.resolver = resolver;
  }

  public static NodeDiscovery system(List<String> entries) {
    return new NodeDiscovery(
        entries,
        name -> {
          List<String> addresses = new ArrayList<>();
          for (InetAddress address : InetAddress.getAllByName(name)) {
            addresses.add(address.getHostAddress());
          }
          return addresses;
        });
  }

  /** The node addresses (host:port) now; static entries are returned as they are. */
  public synchronized Set<String> addresses() {
    Set<String> addresses = new LinkedHashSet<>();
    for (String entry : entries) {
      String[] parsed = parse(entry);
      if (parsed[0] == null) {
        addresses.add(entry);
        continue;
      }
      String name = parsed[1];
      String port = parsed[2];
      List<String> resolved;
      try {
        resolved = resolver.resolve(name);
        lastResolved.put(entry, resolved);
      } catch (UnknownHostException e) {
        resolved = lastResolved.getOrDefault(entry, List.of());
        LOG.warning("resolving " + name + " failed (" + e.getMessage() + "); keeping " + resolved);
      }
      for (String address : resolved) {
        addresses.add((address.contains(":") ? "[" + address + "]" : address) + ":" + port);
      }
    }
    return addresses;
  }

  /** {null, null, null} for host:port, {"dns", name, port} for dns:name:port. */
  static String[] parse(String entry) {
    String rest = entry.startsWith("dns:") ? entry.substring(4) : entry;
    int colon = rest.lastIndexOf(':');
    if (colon <= 0 || colon == rest.length() - 1) {
      throw new IllegalArgumentException(
          "node entry must be host:port or dns:name:port, got '" + entry + "'");
    }
    String port = rest.substring(colon + 1);
    try {
      int p = Integer.parseInt(port);
      if (p < 1 || p > 65535) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in node entry '" + entry + "'");
    }
    return entry.startsWith("dns:")
        ? new String[] {"dns", rest.substring(0, colon), port}
        : new String[] {null, null, null};
  }
}
