package dev.framecast.deploy.manifests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.TreeSet;

/** deploy/keycloak/framecast-realm.json, as far as the deployment files depend on it. */
final class Realm {
  static final String FILE = "deploy/keycloak/framecast-realm.json";

  private final JsonNode root;

  Realm() {
    try {
      root = new ObjectMapper().readTree(Repo.read(FILE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  String name() {
    return root.path("realm").asText();
  }

  /** The fixed values of every `tenant` claim mapper (one per team client). */
  Set<String> tenants() {
    Set<String> tenants = new TreeSet<>();
    collect(root, tenants);
    return tenants;
  }

  private static void collect(JsonNode node, Set<String> tenants) {
    JsonNode config = node.path("config");
    if ("tenant".equals(config.path("claim.name").asText()) && config.hasNonNull("claim.value")) {
      tenants.add(config.path("claim.value").asText());
    }
    node.forEach(child -> collect(child, tenants));
  }

  /**
   * The environment variables the realm file names in {@code ${NAME:default}} placeholders, which
   * Keycloak resolves when it imports the realm.
   */
  static java.util.Set<String> placeholders() {
    java.util.Set<String> names = new java.util.TreeSet<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\\$\\{(\\w+)[:}]").matcher(Repo.read(FILE));
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }
}
