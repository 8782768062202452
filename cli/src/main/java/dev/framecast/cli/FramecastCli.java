package dev.framecast.cli;

import java.util.Arrays;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Entry point of the CLI subcommands that run in Java ({@code demo}). */
public final class FramecastCli {
  private FramecastCli() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || !args[0].equals("demo")) {
      System.err.println("framecast: expected 'demo'");
      System.exit(2);
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    Demo.Options options;
    try {
      options = Demo.parse(rest);
    } catch (IllegalArgumentException e) {
      System.err.println("framecast demo: " + e.getMessage());
      System.err.println();
      System.err.print(Demo.USAGE);
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.print(Demo.USAGE);
      return;
    }
    Logger.getLogger("").setLevel(options.verbose() ? Level.INFO : Level.WARNING);
    for (var handler : Logger.getLogger("").getHandlers()) {
      handler.setLevel(options.verbose() ? Level.INFO : Level.WARNING);
    }
    try {
      Demo.Result result = Demo.run(options, System.out);
      var completed = result.completed();
      var timings = completed.getTimings();
      System.out.printf(
          "Done: wrote %s (%,d bytes, %d frames %dx%d at %.0f fps, H.264 MP4) and %s%n",
          result.clip(),
          completed.getClipSizeBytes(),
          completed.getClip().getFrameCount(),
          completed.getClip().getWidth(),
          completed.getClip().getHeight(),
          completed.getClip().getFps(),
          result.sheet());
      System.out.printf(
          "Job %s: seed %d, %.2f GPU-seconds (CPU reference node), total %.1fs (denoising %.1fs)%n",
          result.jobId(),
          completed.getSeed(),
          completed.getGpuSeconds(),
          seconds(timings.getTotal()),
          seconds(timings.getDenoising()));
      System.exit(0);
    } catch (Demo.DemoFailure | IllegalArgumentException e) {
      System.err.println("framecast demo: " + e.getMessage());
      System.exit(1);
    }
  }

  private static double seconds(com.google.protobuf.Duration d) {
    return d.getSeconds() + d.getNanos() / 1e9;
  }
}
