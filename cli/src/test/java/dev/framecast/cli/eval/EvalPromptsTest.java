package dev.framecast.cli.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class EvalPromptsTest {
  @Test
  void twentyEightPromptsEveryColourAndDirection() {
    List<EvalPrompts.EvalPrompt> prompts = EvalPrompts.all();

    assertThat(prompts).hasSize(28);
    assertThat(prompts.get(0))
        .isEqualTo(
            new EvalPrompts.EvalPrompt("a red circle moving left", 1000, "red", "circle", "left"));
    assertThat(prompts.get(27))
        .isEqualTo(
            new EvalPrompts.EvalPrompt(
                "a white circle moving down", 1027, "white", "circle", "down"));
  }

  @Test
  void theSameAsDataPy() throws Exception {
    PythonEval.assumeAvailable();
    String json =
        PythonEval.run(
            "import data\n"
                + "print(json.dumps([[p.prompt, p.seed, p.colour, p.shape, p.direction]"
                + " for p in data.eval_prompts()]))\n");

    List<EvalPrompts.EvalPrompt> python = new ArrayList<>();
    for (JsonElement e : JsonParser.parseString(json.trim()).getAsJsonArray()) {
      JsonArray p = e.getAsJsonArray();
      python.add(
          new EvalPrompts.EvalPrompt(
              p.get(0).getAsString(),
              p.get(1).getAsLong(),
              p.get(2).getAsString(),
              p.get(3).getAsString(),
              p.get(4).getAsString()));
    }
    assertThat(EvalPrompts.all()).isEqualTo(python);
  }

  @Test
  void theSameColoursAsDataPy() throws Exception {
    PythonEval.assumeAvailable();
    String json = PythonEval.run("import data\nprint(json.dumps(list(data.COLOURS.items())))\n");

    JsonArray colours = JsonParser.parseString(json.trim()).getAsJsonArray();
    assertThat(colours).hasSize(EvalPrompts.COLOUR_NAMES.size());
    for (int i = 0; i < colours.size(); i++) {
      JsonArray entry = colours.get(i).getAsJsonArray();
      assertThat(entry.get(0).getAsString()).isEqualTo(EvalPrompts.COLOUR_NAMES.get(i));
      for (int c = 0; c < 3; c++) {
        assertThat(entry.get(1).getAsJsonArray().get(c).getAsDouble())
            .isEqualTo(EvalPrompts.COLOUR_RGB[i][c]);
      }
    }
  }
}
