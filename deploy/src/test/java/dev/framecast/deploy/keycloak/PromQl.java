package dev.framecast.deploy.keycloak;

import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names a PromQL expression (or a Grafana query) reads, found crudely but
 * conservatively: strings, label matchers, ranges, grouping clauses and Grafana variables are
 * removed, and of the identifiers left, those followed by {@code (} are functions and the rest,
 * less PromQL's keywords, are metric names. Good enough for dashboards and alert rules; not a
 * parser.
 */
final class PromQl {
  private static final Set<String> KEYWORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "inf",
          "nan",
          "start",
          "end");
  private static final Pattern GRAFANA_VARIABLE = Pattern.compile("\\$\\{[^}]*}|\\$\\w+");
  private static final Pattern STRING =
      Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^\\]]*]");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern LABEL_VALUES =
      Pattern.compile("\\blabel_values\\s*\\(([^,)]*)(,[^)]*)?\\)");
  private static final Pattern GRAFANA_ONLY =
      Pattern.compile("\\b(?:label_names|metrics)\\s*\\([^)]*\\)");
  private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:])[A-Za-z_:][A-Za-z0-9_:]*");

  private PromQl() {}

  static Set<String> metricNames(String query) {
    String q = GRAFANA_VARIABLE.matcher(query).replaceAll("");
    q = STRING.matcher(q).replaceAll("\"\"");
    // Grafana's label_values(metric, label) reads metric; label_values(label) reads no metric.
    Matcher labelValues = LABEL_VALUES.matcher(q);
    StringBuilder rewritten = new StringBuilder();
    while (labelValues.find()) {
      String replacement = labelValues.group(2) == null ? "" : labelValues.group(1);
      labelValues.appendReplacement(rewritten, Matcher.quoteReplacement(replacement));
    }
    labelValues.appendTail(rewritten);
    q = GRAFANA_ONLY.matcher(rewritten).replaceAll("");
    q = MATCHERS.matcher(q).replaceAll(" ");
    q = RANGE.matcher(q).replaceAll(" ");
    q = GROUPING.matcher(q).replaceAll(" ");

    Set<String> names = new TreeSet<>();
    Matcher identifier = IDENTIFIER.matcher(q);
    while (identifier.find()) {
      String name = identifier.group();
      int next = identifier.end();
      while (next < q.length() && Character.isWhitespace(q.charAt(next))) {
        next++;
      }
      boolean function = next < q.length() && q.charAt(next) == '(';
      if (!function && !KEYWORDS.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        names.add(name);
      }
    }
    return names;
  }
}
