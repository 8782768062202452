package dev.framecast.scheduler.tenant;

import dev.framecast.api.v1.Priority;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * An immutable set of tenant policies parsed from a tenants file:
 *
 * <pre>{@code
 * defaults:            # optional; fills fields a tenant omits
 *   weight: 1
 *   max_concurrent_jobs: 4
 * tenants:
 *   acme:   { weight: 2, max_concurrent_jobs: 8 }
 *   globex: {}
 * }</pre>
 *
 * <p>A field is taken from the tenant, else from {@code defaults}, else from the built-in defaults
 * (weight 1, max_concurrent_jobs 4, max_queued_jobs 64, requests_per_minute 120, burst 20,
 * gpu_seconds_per_day 0, max_steps 0, allowed_pipelines [], max_open_streams 256, reads_per_minute
 * 6000, read_burst 600, priorities [interactive, batch], default_priority interactive; per tenant
 * only: webhook_url and webhook_secret, none). Parsing is strict: a typo in a quota silently
 * falling back to a default would be worse than a refused file, so unknown keys, wrong types and
 * negative numbers are errors. Equality is by policies, so a reload that only changed comments is
 * not a change.
 */
public final class TenantConfig {

  /** Bounds the parser's work on a hostile or corrupted file (house rule 5). */
  static final int MAX_FILE_BYTES = 1 << 20;

  private static final String DEFAULTS = "defaults";
  private static final String TENANTS = "tenants";

  private static final String WEIGHT = "weight";
  private static final String MAX_CONCURRENT_JOBS = "max_concurrent_jobs";
  private static final String MAX_QUEUED_JOBS = "max_queued_jobs";
  private static final String REQUESTS_PER_MINUTE = "requests_per_minute";
  private static final String BURST = "burst";
  private static final String GPU_SECONDS_PER_DAY = "gpu_seconds_per_day";
  private static final String MAX_STEPS = "max_steps";
  private static final String MAX_OPEN_STREAMS = "max_open_streams";
  private static final String READS_PER_MINUTE = "reads_per_minute";
  private static final String READ_BURST = "read_burst";
  private static final String PRIORITIES = "priorities";
  private static final String DEFAULT_PRIORITY = "default_priority";
  private static final String ALLOWED_PIPELINES = "allowed_pipelines";
  private static final String WEBHOOK_URL = "webhook_url";
  private static final String WEBHOOK_SECRET = "webhook_secret";

  /** Built-in defaults, in the order fields are listed in error messages. */
  private static final Map<String, Object> BUILTIN_DEFAULTS = builtinDefaults();

  private final Map<String, TenantPolicy> policies;

  private TenantConfig(Map<String, TenantPolicy> policies) {
    this.policies = Collections.unmodifiableMap(new LinkedHashMap<>(policies));
  }

  /** A config from policies built in code (tests, embedding). */
  public static TenantConfig of(Collection<TenantPolicy> policies) {
    Map<String, TenantPolicy> byName = new LinkedHashMap<>();
    for (TenantPolicy policy : policies) {
      if (byName.put(policy.name(), policy) != null) {
        throw new IllegalArgumentException("tenant '" + policy.name() + "' is listed twice");
      }
    }
    return new TenantConfig(byName);
  }

  /** Reads and parses a tenants file. */
  public static TenantConfig load(Path file) {
    return parse(read(file), file.toString());
  }

  /** Parses tenants YAML (tests, and callers that already hold the text). */
  public static TenantConfig parse(String yaml) {
    return parse(yaml, "<string>");
  }

  /**
   * Parses tenants YAML; {@code source} names the file in error messages.
   *
   * @throws TenantConfigException if the text is not a valid tenants file
   */
  public static TenantConfig parse(String yaml, String source) {
    try {
      return new TenantConfig(parseDocument(yaml));
    } catch (TenantConfigException e) {
      throw new TenantConfigException(source + ": " + e.getMessage(), e);
    }
  }

  /** Policies by tenant name, in file order. */
  public Map<String, TenantPolicy> policies() {
    return policies;
  }

  public Optional<TenantPolicy> policy(String tenant) {
    return Optional.ofNullable(policies.get(tenant));
  }

  public Set<String> tenants() {
    return policies.keySet();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TenantConfig that && policies.equals(that.policies);
  }

  @Override
  public int hashCode() {
    return policies.hashCode();
  }

  @Override
  public String toString() {
    return "TenantConfig" + policies.values();
  }

  /** Reads at most {@link #MAX_FILE_BYTES}; shared with the registry, which hashes the bytes. */
  static String read(Path file) {
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw new TenantConfigException(
            file + ": is " + size + " bytes, more than the limit of " + MAX_FILE_BYTES);
      }
      return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new TenantConfigException("cannot read " + file + ": " + e, e);
    }
  }

  private static Map<String, TenantPolicy> parseDocument(String yaml) {
    Object document = load(yaml);
    if (document == null) {
      throw new TenantConfigException("the file is empty; it must define 'tenants'");
    }
    Map<?, ?> root = mapping(document, "the top level");
    for (Object key : root.keySet()) {
      if (!DEFAULTS.equals(key) && !TENANTS.equals(key)) {
        throw new TenantConfigException(
            "unknown top-level key '" + key + "' (expected 'defaults' or 'tenants')");
      }
    }
    Map<String, Object> defaults = new LinkedHashMap<>(BUILTIN_DEFAULTS);
    if (root.containsKey(DEFAULTS)) {
      defaults.putAll(fields(root.get(DEFAULTS), DEFAULTS));
    }
    if (!root.containsKey(TENANTS)) {
      throw new TenantConfigException("missing 'tenants': at least one tenant must be configured");
    }
    Map<?, ?> tenants = mapping(root.get(TENANTS), "'tenants'");
    if (tenants.isEmpty()) {
      // An empty file section refuses every caller; far more likely a mistake than intended.
      throw new TenantConfigException("'tenants' is empty: at least one tenant must be configured");
    }
    Map<String, TenantPolicy> policies = new LinkedHashMap<>();
    for (Map.Entry<?, ?> entry : tenants.entrySet()) {
      String name = tenantName(entry.getKey());
      String where = "tenant '" + name + "'";
      Map<String, Object> merged = new LinkedHashMap<>(defaults);
      if (entry.getValue() != null) { // "initech:" alone means "all defaults"
        merged.putAll(fields(entry.getValue(), where));
      }
      policies.put(name, policy(name, merged));
    }
    return policies;
  }

  private static Object load(String yaml) {
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(10);
    options.setNestingDepthLimit(10);
    options.setCodePointLimit(MAX_FILE_BYTES);
    // SafeConstructor builds only plain maps, lists and scalars: no tags naming Java types.
    Yaml parser = new Yaml(new SafeConstructor(options));
    try {
      return parser.load(yaml);
    } catch (YAMLException e) {
      throw new TenantConfigException("not valid YAML: " + e.getMessage(), e);
    }
  }

  private static String tenantName(Object key) {
    if (!(key instanceof String name)) {
      // YAML reads `123:` as a number and `on:` as a boolean; quoting keeps the name exact.
      throw new TenantConfigException(
          "tenant name " + key + " must be a string (quote it in the YAML)");
    }
    if (name.isBlank()) {
      throw new TenantConfigException("tenant names must not be empty");
    }
    return name;
  }

  /** Type- and sign-checks the fields of one section; ranges are the policy's to check. */
  private static Map<String, Object> fields(Object section, String where) {
    Map<?, ?> raw = mapping(section, where);
    Map<String, Object> typed = new LinkedHashMap<>();
    for (Map.Entry<?, ?> field : raw.entrySet()) {
      Object key = field.getKey();
      if (!(key instanceof String name) || !BUILTIN_DEFAULTS.containsKey(name)) {
        throw new TenantConfigException(
            where
                + ": unknown field '"
                + key
                + "' (expected one of "
                + String.join(", ", BUILTIN_DEFAULTS.keySet())
                + ")");
      }
      typed.put(name, typedValue(where, name, field.getValue()));
    }
    return typed;
  }

  private static Object typedValue(String where, String field, Object value) {
    return switch (field) {
      case WEIGHT, GPU_SECONDS_PER_DAY -> nonNegative(where, field, number(where, field, value));
      case ALLOWED_PIPELINES -> stringList(where, field, value);
      case PRIORITIES -> priorities(where, field, value);
      case DEFAULT_PRIORITY -> priority(where, field, value);
      case WEBHOOK_URL, WEBHOOK_SECRET -> {
        if (!(value instanceof String text)) {
          throw wrongType(where, field, "a string", value);
        }
        if (where.equals(DEFAULTS)) {
          // One tenant's secret must not sign (or forge) another's deliveries.
          throw new TenantConfigException(
              DEFAULTS + ": " + field + " is per tenant; set it under the tenant");
        }
        yield text.trim();
      }
      default -> (int) nonNegative(where, field, integer(where, field, value));
    };
  }

  private static double number(String where, String field, Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Double) {
      return ((Number) value).doubleValue();
    }
    throw wrongType(where, field, "a number", value);
  }

  private static int integer(String where, String field, Object value) {
    if (value instanceof Integer i) {
      return i;
    }
    if (value instanceof Long || value instanceof java.math.BigInteger) {
      throw new TenantConfigException(
          where
              + ": "
              + field
              + " is too large: "
              + value
              + " (at most "
              + Integer.MAX_VALUE
              + ")");
    }
    throw wrongType(where, field, "a whole number", value);
  }

  private static double nonNegative(String where, String field, double value) {
    if (value < 0) {
      throw new TenantConfigException(
          where + ": " + field + " must not be negative, got " + format(value));
    }
    return value;
  }

  private static Set<Priority> priorities(String where, String field, Object value) {
    if (!(value instanceof List<?> list)) {
      throw wrongType(where, field, "a list of priority classes (interactive, batch)", value);
    }
    Set<Priority> classes = EnumSet.noneOf(Priority.class);
    for (Object item : list) {
      classes.add(priority(where, field, item));
    }
    return classes;
  }

  private static Priority priority(String where, String field, Object value) {
    if ("interactive".equals(value)) {
      return Priority.PRIORITY_INTERACTIVE;
    }
    if ("batch".equals(value)) {
      return Priority.PRIORITY_BATCH;
    }
    throw wrongType(where, field, "interactive or batch", value);
  }

  private static List<String> stringList(String where, String field, Object value) {
    if (!(value instanceof List<?> list)) {
      throw wrongType(where, field, "a list of pipeline names", value);
    }
    List<String> names = new ArrayList<>(list.size());
    for (Object item : list) {
      if (!(item instanceof String name) || name.isBlank()) {
        throw wrongType(where, field, "a list of non-empty pipeline names; an item", item);
      }
      names.add(name);
    }
    return names;
  }

  private static TenantPolicy policy(String name, Map<String, Object> f) {
    @SuppressWarnings("unchecked")
    List<String> pipelines = (List<String>) f.get(ALLOWED_PIPELINES);
    @SuppressWarnings("unchecked")
    Set<Priority> priorities = (Set<Priority>) f.get(PRIORITIES);
    try {
      return new TenantPolicy(
          name,
          (Double) f.get(WEIGHT),
          (Integer) f.get(MAX_CONCURRENT_JOBS),
          (Integer) f.get(MAX_QUEUED_JOBS),
          (Integer) f.get(REQUESTS_PER_MINUTE),
          (Integer) f.get(BURST),
          (Double) f.get(GPU_SECONDS_PER_DAY),
          (Integer) f.get(MAX_STEPS),
          pipelines,
          (Integer) f.get(MAX_OPEN_STREAMS),
          (Integer) f.get(READS_PER_MINUTE),
          (Integer) f.get(READ_BURST),
          priorities,
          (Priority) f.get(DEFAULT_PRIORITY),
          (String) f.get(WEBHOOK_URL),
          (String) f.get(WEBHOOK_SECRET));
    } catch (IllegalArgumentException e) {
      // TenantPolicy's messages already name the tenant and the YAML field.
      throw new TenantConfigException(e.getMessage(), e);
    }
  }

  private static Map<?, ?> mapping(Object value, String where) {
    if (value instanceof Map<?, ?> map) {
      return map;
    }
    throw new TenantConfigException(where + " must be a mapping, got " + describe(value));
  }

  private static TenantConfigException wrongType(
      String where, String field, String expected, Object value) {
    return new TenantConfigException(
        where + ": " + field + " must be " + expected + ", got " + describe(value));
  }

  private static String describe(Object value) {
    if (value == null) {
      return "nothing (null)";
    }
    String type =
        value instanceof String
            ? "text"
            : value instanceof Boolean
                ? "a boolean"
                : value instanceof Number
                    ? "a number"
                    : value instanceof Map
                        ? "a mapping"
                        : value instanceof List ? "a list" : "a value";
    String text = String.valueOf(value);
    return type + " '" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "'";
  }

  private static String format(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15
        ? Long.toString((long) value)
        : Double.toString(value);
  }

  private static Map<String, Object> builtinDefaults() {
    Map<String, Object> defaults = new LinkedHashMap<>();
    defaults.put(WEIGHT, 1.0);
    defaults.put(MAX_CONCURRENT_JOBS, 4);
    defaults.put(MAX_QUEUED_JOBS, 64);
    defaults.put(REQUESTS_PER_MINUTE, 120);
    defaults.put(BURST, 20);
    defaults.put(GPU_SECONDS_PER_DAY, 0.0);
    defaults.put(MAX_STEPS, 0);
    defaults.put(ALLOWED_PIPELINES, List.of());
    defaults.put(MAX_OPEN_STREAMS, TenantPolicy.DEFAULT_MAX_OPEN_STREAMS);
    defaults.put(READS_PER_MINUTE, TenantPolicy.DEFAULT_READS_PER_MINUTE);
    defaults.put(READ_BURST, TenantPolicy.DEFAULT_READ_BURST);
    defaults.put(PRIORITIES, TenantPolicy.ALL_PRIORITIES);
    defaults.put(DEFAULT_PRIORITY, Priority.PRIORITY_INTERACTIVE);
    defaults.put(WEBHOOK_URL, "");
    defaults.put(WEBHOOK_SECRET, "");
    return Collections.unmodifiableMap(defaults);
  }
}
