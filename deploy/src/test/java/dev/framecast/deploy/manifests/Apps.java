package dev.framecast.deploy.manifests;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What each application reads, taken from its sources: the gateway's settings from the
 * {@code @ConfigMapping} interface GatewayConfig (every {@code framecast.*} key, environment form
 * {@code FRAMECAST_*}) and the {@code quarkus.*} keys it sets in application.properties or
 * documents in its README; the scheduler's and the node's command-line options from their Main
 * classes, and any {@code System.getenv} they call. Third-party images get short lists of their
 * vendors' documented variables.
 */
final class Apps {
  /** The applications a container can run, told apart by image. */
  enum App {
    GATEWAY,
    SCHEDULER,
    NODE,
    TRITON,
    MODELS,
    KEYCLOAK,
    POSTGRES,
    PROMETHEUS,
    GRAFANA
  }

  /** Read by every JVM itself. */
  static final Set<String> JVM_ENV = Set.of("JAVA_TOOL_OPTIONS");

  static final String SCHEDULER_MAIN =
      "scheduler/src/main/java/dev/framecast/scheduler/SchedulerMain.java";
  static final String NODE_MAIN = "inference-node/src/main/java/dev/framecast/node/NodeMain.java";

  private Apps() {}

  static App forImage(String image) {
    String repository = Images.repository(image);
    return switch (repository) {
      case Images.OURS + "gateway" -> App.GATEWAY;
      case Images.OURS + "scheduler" -> App.SCHEDULER;
      case Images.OURS + "inference-node" -> App.NODE;
      case Images.OURS + "triton-models" -> App.MODELS;
      case "nvcr.io/nvidia/tritonserver" -> App.TRITON;
      case "quay.io/keycloak/keycloak" -> App.KEYCLOAK;
      case "docker.io/library/postgres" -> App.POSTGRES;
      case "prom/prometheus" -> App.PROMETHEUS;
      case "grafana/grafana" -> App.GRAFANA;
      default -> throw new AssertionError("no known application runs image " + image);
    };
  }

  /** Environment variables the application reads. */
  static Set<String> env(App app) {
    Set<String> env = new TreeSet<>();
    switch (app) {
      case GATEWAY -> {
        gatewayConfigKeys().forEach(k -> env.add(envName(k)));
        quarkusKeys().forEach(k -> env.add(envName(k)));
        env.addAll(JVM_ENV);
      }
      case SCHEDULER -> {
        env.addAll(getenvCalls("scheduler"));
        env.addAll(JVM_ENV);
      }
      case NODE -> {
        env.addAll(getenvCalls("inference-node"));
        env.addAll(JVM_ENV);
      }
      // Keycloak's documented options (https://www.keycloak.org/server/all-config) as used here.
      case KEYCLOAK -> {
        env.addAll(
            Set.of(
                "KC_BOOTSTRAP_ADMIN_USERNAME",
                "KC_BOOTSTRAP_ADMIN_PASSWORD",
                "KC_HOSTNAME",
                "KC_HOSTNAME_BACKCHANNEL_DYNAMIC",
                "KC_HEALTH_ENABLED",
                "KC_METRICS_ENABLED",
                "KC_DB",
                "KC_DB_URL",
                "KC_DB_USERNAME",
                "KC_DB_PASSWORD",
                "KC_HTTP_ENABLED",
                "KC_PROXY_HEADERS"));
        // and the realm file's ${NAME:default} placeholders, resolved at import
        env.addAll(Realm.placeholders());
      }
      // The official image's entrypoint (https://hub.docker.com/_/postgres, "Environment
      // Variables").
      case POSTGRES ->
          env.addAll(Set.of("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB", "PGDATA"));
      // Grafana reads GF_<SECTION>_<KEY> for its ini settings (security.admin_user, ...).
      case GRAFANA ->
          env.addAll(
              Set.of(
                  "GF_SECURITY_ADMIN_USER",
                  "GF_SECURITY_ADMIN_PASSWORD",
                  "GF_USERS_ALLOW_SIGN_UP"));
      case TRITON, MODELS, PROMETHEUS -> {}
    }
    return env;
  }

  /**
   * SmallRye Config's environment form of a property name: framecast.oidc.jwks-url ->
   * FRAMECAST_OIDC_JWKS_URL.
   */
  static String envName(String key) {
    return key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
  }

  /** Every framecast.* key of GatewayConfig (nested interfaces become key segments). */
  static Set<String> gatewayConfigKeys() {
    String source =
        stripComments(Repo.read("gateway/src/main/java/dev/framecast/gateway/GatewayConfig.java"));
    String prefix = Repo.firstGroup(source, "@ConfigMapping\\(\\s*prefix\\s*=\\s*\"([^\"]+)\"");
    Map<String, String> bodies = interfaceBodies(source);
    String root = Repo.firstGroup(source, "public\\s+interface\\s+(\\w+)");
    Set<String> keys = new TreeSet<>();
    collect(prefix, bodies.get(root), bodies, keys);
    return keys;
  }

  private static void collect(
      String prefix, String body, Map<String, String> bodies, Set<String> keys) {
    Matcher m =
        Pattern.compile("((?:@\\w+(?:\\([^)]*\\))?\\s*)*)([\\w<>?,. ]+?)\\s+(\\w+)\\(\\)\\s*;")
            .matcher(withoutNestedBlocks(body));
    while (m.find()) {
      String annotations = m.group(1);
      String type = m.group(2).trim();
      Matcher named = Pattern.compile("@WithName\\(\"([^\"]+)\"\\)").matcher(annotations);
      String segment = named.find() ? named.group(1) : kebab(m.group(3));
      String key = prefix + "." + segment;
      if (bodies.containsKey(type)) {
        collect(key, bodies.get(type), bodies, keys);
      } else {
        keys.add(key);
      }
    }
  }

  /** {interface name -> its body}, for every interface in the source. */
  private static Map<String, String> interfaceBodies(String source) {
    Map<String, String> bodies = new HashMap<>();
    Matcher m = Pattern.compile("interface\\s+(\\w+)[^{]*\\{").matcher(source);
    while (m.find()) {
      int depth = 1;
      int i = m.end();
      while (depth > 0) {
        char c = source.charAt(i++);
        depth += c == '{' ? 1 : c == '}' ? -1 : 0;
      }
      bodies.put(m.group(1), source.substring(m.end(), i - 1));
    }
    return bodies;
  }

  /** The body with every nested {...} block removed, leaving this level's declarations. */
  private static String withoutNestedBlocks(String body) {
    StringBuilder out = new StringBuilder();
    int depth = 0;
    for (char c : body.toCharArray()) {
      if (c == '{') {
        depth++;
      } else if (c == '}') {
        depth--;
        out.append(';');
      } else if (depth == 0) {
        out.append(c);
      }
    }
    return out.toString();
  }

  static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  private static String stripComments(String source) {
    return source.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
  }

  /** quarkus.* keys the gateway sets (application.properties, any profile) or documents. */
  static Set<String> quarkusKeys() {
    Set<String> keys = new TreeSet<>();
    for (String line : Repo.read("gateway/src/main/resources/application.properties").split("\n")) {
      Matcher m =
          Pattern.compile("^(?:%[\\w-]+\\.)?(quarkus\\.[^=\\s]+)\\s*=").matcher(line.trim());
      if (m.find()) {
        keys.add(m.group(1));
      }
    }
    keys.addAll(readmeSettings("quarkus."));
    return keys;
  }

  /** The keys in gateway/README.md's settings table that start with the prefix. */
  static Set<String> readmeSettings(String prefix) {
    Set<String> keys = new TreeSet<>();
    Matcher m =
        Pattern.compile("(?m)^\\|\\s*`(" + Pattern.quote(prefix) + "[a-z0-9.-]+)`")
            .matcher(Repo.read("gateway/README.md"));
    while (m.find()) {
      keys.add(m.group(1));
    }
    return keys;
  }

  /** Names passed to System.getenv("...") anywhere in a module's main sources. */
  static Set<String> getenvCalls(String module) {
    Set<String> names = new TreeSet<>();
    for (Path file : Repo.files(module + "/src/main/java", ".java")) {
      Matcher m = Pattern.compile("System\\.getenv\\(\\s*\"([^\"]+)\"").matcher(Repo.read(file));
      while (m.find()) {
        names.add(m.group(1));
      }
    }
    return names;
  }

  /** The shared TLS options (--tls-cert, --tls-key, --tls-ca, --insecure) the mains take. */
  static final String TRANSPORT_SECURITY =
      "common/src/main/java/dev/framecast/common/tls/TransportSecurity.java";

  /**
   * The options a Main's parser accepts ({@code case "--port" ->}, several per case allowed), with
   * the shared TLS options when it takes them.
   */
  static Set<String> flags(String mainSource) {
    Set<String> flags = cases(mainSource);
    if (Repo.read(mainSource).contains("TransportSecurity.Flags")) {
      flags.addAll(cases(TRANSPORT_SECURITY));
    }
    return flags;
  }

  private static Set<String> cases(String source) {
    Set<String> flags = new LinkedHashSet<>();
    Matcher cases =
        Pattern.compile("case\\s+(\"--[^\"]+\"(?:\\s*,\\s*\"--[^\"]+\")*)\\s*->")
            .matcher(Repo.read(source));
    while (cases.find()) {
      Matcher one = Pattern.compile("\"(--[^\"]+)\"").matcher(cases.group(1));
      while (one.find()) {
        flags.add(one.group(1));
      }
    }
    return flags;
  }

  /**
   * Options given as "--name value" pairs: {name -> values}. Fails on anything that is not an
   * option followed by its value, as the Mains do.
   */
  static Map<String, List<String>> options(List<String> args) {
    Map<String, List<String>> options = new HashMap<>();
    for (int i = 0; i < args.size(); i += 2) {
      String name = args.get(i);
      if (!name.startsWith("--") || i + 1 >= args.size()) {
        throw new AssertionError("expected '--option value' pairs, got " + args);
      }
      options.computeIfAbsent(name, k -> new ArrayList<>()).add(args.get(i + 1));
    }
    return options;
  }

  /** Options given as "--name=value" (Triton's style): {name -> values}. */
  static Map<String, List<String>> equalsOptions(List<String> args) {
    Map<String, List<String>> options = new HashMap<>();
    for (String arg : args) {
      Matcher m = Pattern.compile("(--[\\w-]+)=(.*)").matcher(arg);
      if (m.matches()) {
        options.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(m.group(2));
      }
    }
    return options;
  }

  /** The models of triton-models/: directories with a config.pbtxt (not training/). */
  static Set<String> models() {
    Set<String> models = new TreeSet<>();
    for (Path config : Repo.files("triton-models", "config.pbtxt")) {
      if (config.getParent().getParent().equals(Repo.path("triton-models"))) {
        models.add(config.getParent().getFileName().toString());
      }
    }
    return models;
  }
}
