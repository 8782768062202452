package dev.framecast.deploy.manifests;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** A container file as instructions (continuations joined, comments dropped), split in stages. */
final class Dockerfile {
  record Instruction(String keyword, String args) {}

  record Stage(String image, String name, List<Instruction> instructions) {
    List<String> all(String keyword) {
      return instructions.stream()
          .filter(i -> i.keyword().equals(keyword))
          .map(Instruction::args)
          .toList();
    }

    String last(String keyword) {
      List<String> all = all(keyword);
      return all.isEmpty() ? null : all.get(all.size() - 1);
    }
  }

  final String name;
  final List<Stage> stages = new ArrayList<>();

  Dockerfile(String name) {
    this.name = name;
    String text = Repo.read("deploy/docker/" + name + ".Dockerfile");
    StringBuilder logical = new StringBuilder();
    List<String> lines = new ArrayList<>();
    for (String line : text.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.startsWith("#") || (trimmed.isEmpty() && logical.length() == 0)) {
        continue;
      }
      if (trimmed.endsWith("\\")) {
        logical.append(trimmed, 0, trimmed.length() - 1).append(' ');
      } else {
        logical.append(trimmed);
        lines.add(logical.toString().trim());
        logical.setLength(0);
      }
    }
    for (String line : lines) {
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split("\\s+", 2);
      Instruction instruction =
          new Instruction(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : "");
      if (instruction.keyword().equals("FROM")) {
        String[] from = instruction.args().split("\\s+");
        String stageName = from.length >= 3 && from[1].equalsIgnoreCase("AS") ? from[2] : null;
        stages.add(new Stage(from[0], stageName, new ArrayList<>()));
      } else {
        stages.get(stages.size() - 1).instructions().add(instruction);
      }
    }
  }

  Stage last() {
    return stages.get(stages.size() - 1);
  }

  Stage stage(String name) {
    return stages.stream()
        .filter(s -> name.equals(s.name()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(this.name + " has no stage " + name));
  }

  /** An exec-form (JSON array) instruction's arguments; HEALTHCHECK's options are skipped. */
  static List<String> execForm(String args) {
    String json = args.substring(args.indexOf('['));
    try {
      return Arrays.asList(new ObjectMapper().readValue(json, String[].class));
    } catch (JsonProcessingException e) {
      throw new AssertionError("not an exec-form array: " + args, e);
    }
  }

  /** EXPOSE ports of the final stage. */
  List<Integer> exposed() {
    List<Integer> ports = new ArrayList<>();
    for (String expose : last().all("EXPOSE")) {
      for (String port : expose.split("\\s+")) {
        ports.add(Integer.parseInt(port.replace("/tcp", "")));
      }
    }
    return ports;
  }
}
