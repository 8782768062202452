package dev.framecast.node.infer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The order in which a response lists its outputs. A client must match outputs by name ({@code
 * outputs[i].name} names {@code raw_output_contents[i]}); the orders other than {@link #NAME} exist
 * so tests can prove that it does.
 */
public enum OutputOrder {
  /**
   * Sorted by name, as Triton's ONNX Runtime backend answers: it keeps a model's outputs in a
   * {@code std::map<std::string, ...>} ({@code ModelState::model_outputs_}) and {@code
   * ReadOutputTensors} walks that map, whatever order the config or the request gives.
   */
  NAME,
  /** The request's {@code outputs} order, or the config's when it names none (this node before). */
  REQUEST,
  /** Reverse name order: fixed, and different from {@link #NAME} for any model with 2+ outputs. */
  REVERSE,
  /** A new random order for every response. */
  SHUFFLE;

  /** The outputs in this order; {@code outputs} is in {@link #REQUEST} order and is not changed. */
  public List<OutputTensor> arrange(List<OutputTensor> outputs) {
    if (this == REQUEST || outputs.size() < 2) {
      return outputs;
    }
    List<OutputTensor> arranged = new ArrayList<>(outputs);
    switch (this) {
      case NAME -> arranged.sort(Comparator.comparing(OutputTensor::name));
      case REVERSE -> arranged.sort(Comparator.comparing(OutputTensor::name).reversed());
      case SHUFFLE -> Collections.shuffle(arranged, ThreadLocalRandom.current());
      default -> throw new AssertionError(this);
    }
    return arranged;
  }

  /** Parses {@code name}, {@code request}, {@code reverse} or {@code shuffle}. */
  public static OutputOrder parse(String text) {
    try {
      return valueOf(text.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "output order must be name, request, reverse or shuffle, got '" + text + "'");
    }
  }
}
