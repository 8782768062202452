package dev.framecast.cli.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * The 28 fixed evaluation prompts, ported from {@code triton-models/training/data.py}'s {@code
 * eval_prompts()}: every colour x direction, the shape cycling through circle, square, triangle,
 * seeds 1000 + k. {@code EvalPromptsTest} checks this list against the Python one.
 */
public final class EvalPrompts {
  /** data.py's COLOURS, in its order: names and RGB in [0, 1]. */
  static final List<String> COLOUR_NAMES =
      List.of("red", "green", "blue", "yellow", "magenta", "cyan", "white");

  static final double[][] COLOUR_RGB = {
    {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}, {1, 1, 1},
  };

  static final List<String> SHAPES = List.of("circle", "square", "triangle");

  static final List<String> DIRECTIONS = List.of("left", "right", "up", "down");

  static final long FIRST_SEED = 1000;

  /**
   * One prompt and what its clip should show.
   *
   * @param prompt the caption, e.g. "a red circle moving left"
   * @param seed the seed the evaluation generates it with
   * @param colour the expected colour
   * @param shape the shape named (not scored)
   * @param direction the expected direction
   */
  public record EvalPrompt(
      String prompt, long seed, String colour, String shape, String direction) {}

  private EvalPrompts() {}

  public static List<EvalPrompt> all() {
    List<EvalPrompt> prompts = new ArrayList<>();
    for (int ci = 0; ci < COLOUR_NAMES.size(); ci++) {
      for (int di = 0; di < DIRECTIONS.size(); di++) {
        int k = ci * DIRECTIONS.size() + di;
        String colour = COLOUR_NAMES.get(ci);
        String shape = SHAPES.get(k % SHAPES.size());
        String direction = DIRECTIONS.get(di);
        prompts.add(
            new EvalPrompt(
                "a " + colour + " " + shape + " moving " + direction,
                FIRST_SEED + k,
                colour,
                shape,
                direction));
      }
    }
    return List.copyOf(prompts);
  }
}
