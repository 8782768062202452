package dev.framecast.deploy.manifests;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The objects of one rendered overlay, with the lookups the checks need. */
final class K8s {
  /** A workload's pod template and where it came from. */
  record Workload(String kind, String name, Map<String, Object> object) {
    Map<String, Object> podSpec() {
      return Tree.map(object, "spec.template.spec");
    }

    Map<String, String> podLabels() {
      return Tree.labels(object, "spec.template.metadata.labels");
    }

    List<Map<String, Object>> containers() {
      return Tree.maps(podSpec(), "containers");
    }

    List<Map<String, Object>> initContainers() {
      return Tree.maps(podSpec(), "initContainers");
    }

    List<Map<String, Object>> allContainers() {
      List<Map<String, Object>> all = new ArrayList<>(initContainers());
      all.addAll(containers());
      return all;
    }

    /** The container port with this name (a string) or number, in any container. */
    Optional<Map<String, Object>> port(Object nameOrNumber) {
      for (Map<String, Object> c : containers()) {
        for (Map<String, Object> p : Tree.maps(c, "ports")) {
          if (nameOrNumber instanceof Integer n
              ? n.toString().equals(Tree.str(p, "containerPort"))
              : nameOrNumber.toString().equals(Tree.str(p, "name"))) {
            return Optional.of(p);
          }
        }
      }
      return Optional.empty();
    }

    /** The port number behind a name or number, or -1. */
    int portNumber(Object nameOrNumber) {
      return port(nameOrNumber).map(p -> Integer.parseInt(Tree.str(p, "containerPort"))).orElse(-1);
    }

    @Override
    public String toString() {
      return kind + "/" + name;
    }
  }

  private final List<Map<String, Object>> objects;

  K8s(List<Map<String, Object>> objects) {
    this.objects = List.copyOf(objects);
  }

  List<Map<String, Object>> all() {
    return objects;
  }

  List<Map<String, Object>> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
  }

  Optional<Map<String, Object>> find(String kind, String name) {
    return ofKind(kind).stream().filter(o -> name.equals(name(o))).findFirst();
  }

  static String name(Map<String, Object> object) {
    return Tree.str(object, "metadata.name");
  }

  /** Every object with a pod template. */
  List<Workload> workloads() {
    List<Workload> workloads = new ArrayList<>();
    for (Map<String, Object> o : objects) {
      if (Tree.at(o, "spec.template.spec") != null) {
        workloads.add(new Workload((String) o.get("kind"), name(o), o));
      }
    }
    return workloads;
  }

  Workload workload(String name) {
    return workloads().stream()
        .filter(w -> w.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no workload " + name));
  }

  /** Workloads whose pods a label selector (matchLabels form or plain map) selects. */
  List<Workload> selected(Map<String, String> selector) {
    return workloads().stream().filter(w -> Tree.matches(selector, w.podLabels())).toList();
  }

  /** The pods behind a Service. */
  List<Workload> backends(Map<String, Object> service) {
    Map<String, String> selector = Tree.labels(service, "spec.selector");
    return selector.isEmpty() ? List.of() : selected(selector);
  }

  /** The workload whose container runs this image repository (without tag), if exactly one. */
  List<Workload> running(String imageRepository) {
    return workloads().stream()
        .filter(
            w ->
                w.containers().stream()
                    .anyMatch(c -> Images.repository(Tree.str(c, "image")).equals(imageRepository)))
        .toList();
  }
}
