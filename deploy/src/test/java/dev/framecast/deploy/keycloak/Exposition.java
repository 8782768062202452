package dev.framecast.deploy.keycloak;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The series names a Prometheus text exposition (format 0.0.4) offers to queries: every sample's
 * name, and for each declared family ({@code # TYPE}) the names its type produces, so that a family
 * registered but without a sample yet still counts.
 */
final class Exposition {
  private static final Map<String, List<String>> SUFFIXES =
      Map.of(
          "counter", List.of("", "_total"),
          "histogram", List.of("_bucket", "_sum", "_count"),
          "summary", List.of("", "_sum", "_count"),
          "gauge", List.of(""),
          "info", List.of("", "_info"),
          "untyped", List.of(""));

  private Exposition() {}

  static Set<String> names(String exposition) {
    Set<String> names = new TreeSet<>();
    Map<String, String> types = new HashMap<>();
    for (String raw : exposition.split("\n")) {
      String line = raw.trim();
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.split("\\s+");
        if (parts.length >= 4) {
          types.put(parts[2], parts[3]);
        }
      } else if (!line.isEmpty() && !line.startsWith("#")) {
        int end = 0;
        while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
          end++;
        }
        names.add(line.substring(0, end));
      }
    }
    types.forEach(
        (family, type) -> {
          for (String suffix : SUFFIXES.getOrDefault(type, List.of(""))) {
            // Text format 0.0.4 names a counter's family with its _total already.
            if (suffix.isEmpty() || !family.endsWith(suffix)) {
              names.add(family + suffix);
            }
          }
        });
    return names;
  }
}
