package dev.framecast.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.framecast.cli.client.JobFollower;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Ctrl-C: ask on a terminal, cancel only on yes, detach (never cancel) without a terminal. */
class CtrlCTest {
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();
  private final Terminal terminal =
      new Terminal(
          new PrintStream(new ByteArrayOutputStream()),
          new PrintStream(err, true, StandardCharsets.UTF_8),
          true);
  private final List<Integer> exits = new ArrayList<>();
  private final List<String> cancelled = new ArrayList<>();
  private FakeGateway gateway;
  private dev.framecast.cli.client.FramecastClient client;

  /** A run whose job job-1 has started (its first events arrived). */
  private GenerateRun runningJob() throws Exception {
    gateway =
        new FakeGateway(
            r -> FakeGateway.succeeding(2, List.of(), new byte[] {1}, 1, 1).subList(0, 2));
    client = gateway.client("t");
    GenerateRun run =
        new GenerateRun(
            client, terminal, "t", new JobFollower.Retry(0, Duration.ZERO, Duration.ZERO));
    try {
      run.generate(request().toRequest(), java.nio.file.Path.of("unused.mp4"));
    } catch (CliException e) {
      // the scripted stream ends before the job does: the run knows its job id all the same
    }
    return run;
  }

  private static RequestOptions request() {
    return new RequestOptions(
        "x", "", 0, null, null, 0, dev.framecast.api.v1.Priority.PRIORITY_INTERACTIVE, "k", true);
  }

  @AfterEach
  void stop() {
    if (gateway != null) {
      client.close();
      gateway.close();
    }
  }

  private CtrlC ctrlC(GenerateRun run, CtrlC.Prompt prompt) {
    return new CtrlC(
        run,
        prompt,
        id -> {
          cancelled.add(id);
          return null;
        },
        terminal,
        "./framecast generate --watch ",
        exits::add);
  }

  @Test
  void yesCancelsTheJobAndExits130() throws Exception {
    GenerateRun run = runningJob();
    List<String> questions = new ArrayList<>();

    ctrlC(
            run,
            q -> {
              questions.add(q);
              return "y";
            })
        .interrupted();

    assertThat(questions).containsExactly("\nCancel job job-1? [y/N] ");
    assertThat(cancelled).containsExactly("job-1");
    assertThat(exits).containsExactly(130);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("Cancelled job job-1.");
  }

  @Test
  void anythingElseGoesBackToFollowing() throws Exception {
    GenerateRun run = runningJob();

    ctrlC(run, q -> "").interrupted();
    ctrlC(run, q -> "no").interrupted();

    assertThat(cancelled).isEmpty();
    assertThat(exits).isEmpty();
  }

  @Test
  void withoutATerminalItDetachesAndNeverCancels() throws Exception {
    GenerateRun run = runningJob();

    ctrlC(run, null).interrupted();

    assertThat(cancelled).isEmpty();
    assertThat(exits).containsExactly(130);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains(
            "Detached; job job-1 keeps running. Resume with: ./framecast generate --watch job-1");
  }

  @Test
  void endOfInputAtTheQuestionDetaches() throws Exception {
    GenerateRun run = runningJob();

    ctrlC(run, q -> null).interrupted();

    assertThat(cancelled).isEmpty();
    assertThat(exits).containsExactly(130);
  }
}
