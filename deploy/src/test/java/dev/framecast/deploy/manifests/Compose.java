package dev.framecast.deploy.manifests;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** deploy/compose/compose.yaml, with compose's variable interpolation applied to its values. */
final class Compose {
  static final String FILE = "deploy/compose/compose.yaml";

  /** A volume entry "source:target[:mode]". */
  record Mount(String source, String target, boolean readOnly) {
    boolean bind() {
      return source.startsWith(".") || source.startsWith("/");
    }
  }

  private final Map<String, Object> root = Repo.yaml(FILE);

  Map<String, Object> root() {
    return root;
  }

  Map<String, Object> services() {
    return Tree.map(root, "services");
  }

  Map<String, Object> service(String name) {
    Map<String, Object> service = Tree.map(services(), name);
    if (service.isEmpty()) {
      throw new AssertionError("compose has no service " + name);
    }
    return service;
  }

  String image(String service) {
    return interpolate(Tree.str(service(service), "image"));
  }

  /** command as a list of interpolated strings. */
  List<String> command(String service) {
    return Tree.list(service(service), "command").stream()
        .map(o -> interpolate(o.toString()))
        .toList();
  }

  /** environment (map or KEY=VALUE list form), values interpolated. */
  Map<String, String> environment(String service) {
    Map<String, String> env = new LinkedHashMap<>();
    Object raw = Tree.at(service(service), "environment");
    if (raw instanceof Map<?, ?> map) {
      map.forEach((k, v) -> env.put(k.toString(), v == null ? "" : interpolate(v.toString())));
    } else if (raw instanceof List<?> list) {
      for (Object entry : list) {
        String[] kv = entry.toString().split("=", 2);
        env.put(kv[0], kv.length > 1 ? interpolate(kv[1]) : "");
      }
    }
    return env;
  }

  /** environment values as written, before interpolation. */
  Map<String, String> rawEnvironment(String service) {
    Map<String, String> env = new LinkedHashMap<>();
    Tree.map(service(service), "environment").forEach((k, v) -> env.put(k, String.valueOf(v)));
    return env;
  }

  List<Mount> mounts(String service) {
    List<Mount> mounts = new ArrayList<>();
    for (Object entry : Tree.list(service(service), "volumes")) {
      String[] parts = entry.toString().split(":");
      mounts.add(new Mount(parts[0], parts[1], parts.length > 2 && parts[2].contains("ro")));
    }
    return mounts;
  }

  /** The mount whose target holds the path (the longest prefix). */
  Mount mountOf(String service, String path) {
    return mounts(service).stream()
        .filter(m -> path.equals(m.target()) || path.startsWith(m.target() + "/"))
        .max((a, b) -> a.target().length() - b.target().length())
        .orElseThrow(() -> new AssertionError(service + ": nothing mounted at " + path));
  }

  /** Container ports published to the host, from "host:container" or "ip:host:container". */
  List<Integer> publishedTargets(String service) {
    return Tree.list(service(service), "ports").stream()
        .map(p -> p.toString().split(":"))
        .map(parts -> Integer.parseInt(parts[parts.length - 1].replace("/tcp", "")))
        .toList();
  }

  /**
   * Compose's interpolation as the checks need it: ${VAR:-default} and ${VAR-default} become the
   * default, ${VAR:?message}, ${VAR?message} and ${VAR} become "&lt;VAR&gt;" (set by the operator).
   */
  static String interpolate(String value) {
    Matcher m = Pattern.compile("\\$\\{(\\w+)(?:(:?-)([^}]*)|(:?\\?)[^}]*)?}").matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String replacement = m.group(2) != null ? m.group(3) : "<" + m.group(1) + ">";
      m.appendReplacement(out, Matcher.quoteReplacement(replacement));
    }
    m.appendTail(out);
    return out.toString();
  }
}
