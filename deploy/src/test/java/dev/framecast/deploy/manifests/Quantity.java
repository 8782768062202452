package dev.framecast.deploy.manifests;

import java.util.Map;

/** Kubernetes resource quantities ("500m", "2", "768Mi", "1Gi") as numbers, for comparisons. */
final class Quantity {
  private static final Map<String, Double> SUFFIXES =
      Map.ofEntries(
          Map.entry("m", 1e-3),
          Map.entry("k", 1e3),
          Map.entry("M", 1e6),
          Map.entry("G", 1e9),
          Map.entry("T", 1e12),
          Map.entry("Ki", 1024.0),
          Map.entry("Mi", 1024.0 * 1024),
          Map.entry("Gi", 1024.0 * 1024 * 1024),
          Map.entry("Ti", 1024.0 * 1024 * 1024 * 1024));

  private Quantity() {}

  static double parse(String quantity) {
    String q = quantity.trim();
    for (String suffix : new String[] {"Ki", "Mi", "Gi", "Ti", "m", "k", "M", "G", "T"}) {
      if (q.endsWith(suffix)) {
        return Double.parseDouble(q.substring(0, q.length() - suffix.length()))
            * SUFFIXES.get(suffix);
      }
    }
    return Double.parseDouble(q);
  }
}
