package dev.framecast.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Priority;
import dev.framecast.cli.client.ServerAddress;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Option parsing of generate, demo and eval: values, defaults and clear messages. */
class OptionsTest {
  @TempDir Path dir;

  private static GenerateOptions generate(String... args) {
    return GenerateOptions.parse(args, Map.of());
  }

  @Test
  void generateTakesEveryRequestOption() {
    GenerateOptions options =
        generate(
            "a red circle moving right",
            "--out",
            dir.resolve("c.mp4").toString(),
            "--steps",
            "12",
            "--seed",
            "18446744073709551615",
            "--guidance",
            "3.5",
            "--negative",
            "blur",
            "--preview-every",
            "4",
            "--priority",
            "BATCH",
            "--idempotency-key",
            "k-1",
            "--server",
            "https://gw.example.com",
            "--token",
            "tok",
            "--tenant",
            "globex");
    GenerateRequest request = options.request().toRequest();

    assertThat(request.getPrompt()).isEqualTo("a red circle moving right");
    assertThat(request.getSteps()).isEqualTo(12);
    assertThat(request.getSeed()).isEqualTo(-1L); // 2^64-1 as the same 64 bits
    assertThat(request.getGuidanceScale()).isEqualTo(3.5f);
    assertThat(request.getNegativePrompt()).isEqualTo("blur");
    assertThat(request.getPreviewEvery()).isEqualTo(4);
    assertThat(request.getPriority()).isEqualTo(Priority.PRIORITY_BATCH);
    assertThat(request.getIdempotencyKey()).isEqualTo("k-1");
    assertThat(request.getIncludeFrames()).isTrue();
    assertThat(options.server()).isEqualTo(new ServerAddress("gw.example.com", 443, true));
    assertThat(options.token()).isEqualTo("tok");
    assertThat(options.tenant()).isEqualTo("globex");
    assertThat(GenerateRun.sheetPath(options.out())).isEqualTo(dir.resolve("c.png"));
  }

  @Test
  void generateDefaults() {
    GenerateOptions options = generate("a red circle");
    GenerateRequest request = options.request().toRequest();

    assertThat(options.out()).isEqualTo(Path.of("clip.mp4"));
    assertThat(options.server()).isEqualTo(new ServerAddress("localhost", 8080, false));
    assertThat(request.hasSeed()).isFalse();
    assertThat(request.hasGuidanceScale()).isFalse();
    assertThat(request.getSteps()).isZero();
    assertThat(request.getPriority()).isEqualTo(Priority.PRIORITY_INTERACTIVE);
    // Always a key, so a resend after a drop before the first event cannot make a second job.
    assertThat(request.getIdempotencyKey()).startsWith("cli-");
    assertThat(
            GenerateOptions.parse(new String[] {"x"}, Map.of("FRAMECAST_SERVER", "gw:9")).server())
        .isEqualTo(new ServerAddress("gw", 9, false));
    assertThat(generate("x", "--no-frames").request().includeFrames()).isFalse();
    assertThat(generate("x", "--help")).isNull();
  }

  @Test
  void badValuesGiveClearMessages() {
    assertThatThrownBy(() -> generate()).hasMessageContaining("a prompt is required");
    assertThatThrownBy(() -> generate("x", "--steps", "0"))
        .isInstanceOf(UsageException.class)
        .hasMessage("--steps expects a positive integer, got '0'");
    assertThatThrownBy(() -> generate("x", "--steps", "many"))
        .hasMessage("--steps expects a positive integer, got 'many'");
    assertThatThrownBy(() -> generate("x", "--seed", "-1"))
        .hasMessageContaining("--seed expects an integer from 0 to 18446744073709551615");
    assertThatThrownBy(() -> generate("x", "--guidance", "NaN"))
        .hasMessage("--guidance expects a number, got 'NaN'");
    assertThatThrownBy(() -> generate("x", "--priority", "urgent"))
        .hasMessage("--priority expects one of batch, interactive; got 'urgent'");
    assertThatThrownBy(() -> generate("x", "--steps")).hasMessage("--steps needs a value");
    assertThatThrownBy(() -> generate("x", "y")).hasMessageContaining("one prompt only");
    assertThatThrownBy(() -> generate("x", "--frobnicate"))
        .hasMessage("unknown option '--frobnicate'");
    assertThatThrownBy(() -> generate("x", "--steps", "4", "--preview-every", "5"))
        .hasMessage("--preview-every 5 is more than --steps 4");
    assertThatThrownBy(() -> generate("x", "--server", "ftp://x"))
        .hasMessageContaining("use http:// or https://");
    assertThatThrownBy(() -> generate("x", "--out", dir.resolve("missing/c.mp4").toString()))
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> generate("x", "--out", dir.toString()))
        .hasMessageContaining("is a directory");
  }

  @Test
  void watchTakesAJobIdAndNothingThatShapesANewJob() {
    GenerateOptions options = generate("--watch", "job-7", "--server", "gw:1");
    assertThat(options.watchJobId()).isEqualTo("job-7");
    assertThat(options.request()).isNull();

    assertThatThrownBy(() -> generate("--watch", "job-7", "a prompt"))
        .hasMessageContaining("--watch follows an existing job");
    assertThatThrownBy(() -> generate("--watch", "job-7", "--steps", "3"))
        .hasMessageContaining("--watch follows an existing job");
  }

  @Test
  void demoTakesRequestOptionsButNoServer() {
    DemoOptions options =
        DemoOptions.parse(
            new String[] {"a red circle", "--steps", "2", "--verbose"},
            Map.of("FRAMECAST_ROOT", "/repo"));
    assertThat(options.request().steps()).isEqualTo(2);
    assertThat(options.verbose()).isTrue();
    assertThat(options.modelRepository()).isEqualTo(Path.of("/repo/triton-models"));
    assertThat(options.gatewayJar())
        .isEqualTo(Path.of("/repo/gateway/target/quarkus-app/quarkus-run.jar"));

    assertThatThrownBy(() -> DemoOptions.parse(new String[] {"x", "--server", "gw"}, Map.of()))
        .hasMessage("unknown option '--server'");
    assertThatThrownBy(() -> DemoOptions.parse(new String[0], Map.of()))
        .hasMessageContaining("a prompt is required");
    assertThat(DemoOptions.parse(new String[] {"-h"}, Map.of())).isNull();
  }

  @Test
  void evalIsEmbeddedUnlessAServerIsGiven() {
    EvalOptions embedded = EvalOptions.parse(new String[0], Map.of("FRAMECAST_SERVER", "gw:1"));
    assertThat(embedded.server()).isNull();
    assertThat(embedded.limit()).isEqualTo(28);
    assertThat(embedded.parallel()).isEqualTo(8);

    EvalOptions remote =
        EvalOptions.parse(
            new String[] {
              "--server",
              "gw:9",
              "--token",
              "t",
              "--steps",
              "6",
              "--limit",
              "99",
              "--json",
              dir.resolve("e.json").toString(),
              "--sheet",
              dir.resolve("e.png").toString()
            },
            Map.of());
    assertThat(remote.server()).isEqualTo(new ServerAddress("gw", 9, false));
    assertThat(remote.steps()).isEqualTo(6);
    assertThat(remote.limit()).isEqualTo(28);
    assertThat(remote.json()).isEqualTo(dir.resolve("e.json"));

    assertThatThrownBy(() -> EvalOptions.parse(new String[] {"a prompt"}, Map.of()))
        .hasMessageContaining("eval takes no prompt");
    assertThatThrownBy(() -> EvalOptions.parse(new String[] {"--token", "t"}, Map.of()))
        .hasMessageContaining("--token and --tenant go with --server");
    assertThatThrownBy(() -> EvalOptions.parse(new String[] {"--parallel", "0"}, Map.of()))
        .hasMessage("--parallel expects a positive integer, got '0'");
  }

  @Test
  void theEntryPointMapsUsageErrorsToExitCodeTwo() {
    var err = new java.io.ByteArrayOutputStream();
    Terminal terminal =
        new Terminal(
            new java.io.PrintStream(new java.io.ByteArrayOutputStream()),
            new java.io.PrintStream(err, true),
            false);

    assertThat(FramecastCli.run(new String[] {"generate", "--steps", "x"}, terminal, Map.of()))
        .isEqualTo(2);
    assertThat(err.toString())
        .contains("framecast generate: --steps expects a positive integer, got 'x'");
    assertThat(FramecastCli.run(new String[] {"frobnicate"}, terminal, Map.of())).isEqualTo(2);
    assertThat(FramecastCli.run(new String[] {"eval", "--help"}, terminal, Map.of())).isZero();
    // A remote server and no token: found before anything is sent.
    assertThat(
            FramecastCli.run(
                new String[] {"generate", "x", "--server", "gw.example.com:1"}, terminal, Map.of()))
        .isEqualTo(2);
    assertThat(err.toString()).contains("no token for gw.example.com:1");
  }
}
