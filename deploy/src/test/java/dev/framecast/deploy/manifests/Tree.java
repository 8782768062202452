package dev.framecast.deploy.manifests;

import java.util.List;
import java.util.Map;

/** Navigation in parsed YAML/JSON trees (maps, lists, scalars) without casts at every step. */
final class Tree {
  private Tree() {}

  /** The value at a dotted path ("spec.template.metadata.labels"), or null. */
  static Object at(Object node, String path) {
    Object current = node;
    for (String key : path.split("\\.")) {
      if (!(current instanceof Map<?, ?> map)) {
        return null;
      }
      current = map.get(key);
    }
    return current;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object node, String path) {
    Object value = at(node, path);
    return value instanceof Map<?, ?> ? (Map<String, Object>) value : Map.of();
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Object node, String path) {
    Object value = at(node, path);
    return value instanceof List<?> ? (List<Object>) value : List.of();
  }

  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> maps(Object node, String path) {
    return list(node, path).stream()
        .filter(Map.class::isInstance)
        .map(o -> (Map<String, Object>) o)
        .toList();
  }

  /** The scalar at the path as a string (numbers included), or null. */
  static String str(Object node, String path) {
    Object value = at(node, path);
    return value == null || value instanceof Map || value instanceof List ? null : value.toString();
  }

  /** Labels or a selector as strings (YAML may have read `true` or `1` as other types). */
  static Map<String, String> labels(Object node, String path) {
    Map<String, String> labels = new java.util.TreeMap<>();
    map(node, path).forEach((k, v) -> labels.put(k, String.valueOf(v)));
    return labels;
  }

  /** True when every selector entry is among the labels (an empty selector matches all). */
  static boolean matches(Map<String, String> selector, Map<String, String> labels) {
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }
}
