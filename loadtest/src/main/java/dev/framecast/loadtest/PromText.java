package dev.framecast.loadtest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The samples of a Prometheus text exposition (version 0.0.4), enough to sum and group them. */
final class PromText {
  record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;

  private PromText(List<Sample> samples) {
    this.samples = samples;
  }

  static PromText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String raw : text.split("\n")) {
      String line = raw.trim();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space;
      String name;
      Map<String, String> labels = new HashMap<>();
      if (brace >= 0 && brace < line.indexOf(' ')) {
        name = line.substring(0, brace);
        int close = labelsEnd(line, brace);
        parseLabels(line.substring(brace + 1, close), labels);
        space = close + 1;
      } else {
        space = line.indexOf(' ');
        if (space < 0) {
          continue;
        }
        name = line.substring(0, space);
      }
      String[] rest = line.substring(space).trim().split("\\s+");
      if (rest.length == 0 || rest[0].isEmpty()) {
        continue;
      }
      try {
        samples.add(new Sample(name, labels, Double.parseDouble(rest[0])));
      } catch (NumberFormatException e) {
        // NaN spelled otherwise, or a line we do not understand: not ours to judge.
      }
    }
    return new PromText(samples);
  }

  private static int labelsEnd(String line, int open) {
    boolean quoted = false;
    for (int i = open + 1; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == '}' && !quoted) {
        return i;
      }
    }
    throw new IllegalArgumentException("unterminated labels: " + line);
  }

  private static void parseLabels(String text, Map<String, String> into) {
    int i = 0;
    while (i < text.length()) {
      int eq = text.indexOf('=', i);
      if (eq < 0) {
        return;
      }
      String key = text.substring(i, eq).trim().replaceFirst("^,", "").trim();
      StringBuilder value = new StringBuilder();
      int j = eq + 2; // past ="
      for (; j < text.length(); j++) {
        char c = text.charAt(j);
        if (c == '\\' && j + 1 < text.length()) {
          char next = text.charAt(++j);
          value.append(next == 'n' ? '\n' : next);
        } else if (c == '"') {
          break;
        } else {
          value.append(c);
        }
      }
      into.put(key, value.toString());
      i = j + 1;
      while (i < text.length() && (text.charAt(i) == ',' || text.charAt(i) == ' ')) {
        i++;
      }
    }
  }

  /** The sum of every sample with this name (0 when there is none). */
  double sum(String name) {
    double sum = 0;
    for (Sample sample : samples) {
      if (sample.name().equals(name)) {
        sum += sample.value();
      }
    }
    return sum;
  }

  boolean has(String name) {
    return samples.stream().anyMatch(s -> s.name().equals(name));
  }

  /** Samples with this name summed by one label's value. */
  Map<String, Double> byLabel(String name, String label) {
    Map<String, Double> sums = new TreeMap<>();
    for (Sample sample : samples) {
      if (sample.name().equals(name) && sample.labels().containsKey(label)) {
        sums.merge(sample.labels().get(label), sample.value(), Double::sum);
      }
    }
    return sums;
  }
}
