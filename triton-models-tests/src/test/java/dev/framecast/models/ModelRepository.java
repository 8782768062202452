package dev.framecast.models;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.TextFormat;
import dev.framecast.inference.v2.ModelConfig;
import dev.framecast.inference.v2.ModelParameter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** The checked-out Triton model repository, read the way Triton reads it. */
final class ModelRepository {
  static final String[] MODELS = {"text_encoder", "dit", "vae"};

  private ModelRepository() {}

  static Path root() {
    String configured = System.getProperty("framecast.modelRepository");
    Path root = Paths.get(configured != null ? configured : "../triton-models");
    if (!Files.isDirectory(root)) {
      throw new IllegalStateException("model repository not found at " + root.toAbsolutePath());
    }
    return root;
  }

  static ModelConfig config(String model) throws IOException {
    ModelConfig.Builder builder = ModelConfig.newBuilder();
    String text = Files.readString(root().resolve(model).resolve("config.pbtxt"));
    TextFormat.merge(text, builder);
    return builder.build();
  }

  /** The newest version directory's model.onnx (the reference configs use the latest policy). */
  static Path onnxFile(String model) throws IOException {
    try (var versions = Files.list(root().resolve(model))) {
      Path newest =
          versions
              .filter(Files::isDirectory)
              .filter(p -> p.getFileName().toString().matches("\\d+"))
              .max((a, b) -> Long.compare(version(a), version(b)))
              .orElseThrow(() -> new IllegalStateException(model + " has no version directory"));
      return newest.resolve("model.onnx");
    }
  }

  static OrtSession open(OrtEnvironment env, String model) throws IOException, OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setIntraOpNumThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
    return env.createSession(onnxFile(model).toString(), options);
  }

  static String parameter(ModelConfig config, String key) {
    ModelParameter value = config.getParametersMap().get(key);
    if (value == null) {
      throw new IllegalStateException(config.getName() + " has no parameter " + key);
    }
    return value.getStringValue();
  }

  static int intParameter(ModelConfig config, String key) {
    return Integer.parseInt(parameter(config, key));
  }

  /** The reference tokenizer ("utf8-bytes"): UTF-8 byte + 1, 0 pads, truncated to maxLength. */
  static long[] tokenize(String prompt, int maxLength) {
    byte[] bytes = prompt.getBytes(StandardCharsets.UTF_8);
    long[] ids = new long[maxLength];
    for (int i = 0; i < Math.min(bytes.length, maxLength); i++) {
      ids[i] = (bytes[i] & 0xFF) + 1;
    }
    return ids;
  }

  private static long version(Path dir) {
    return Long.parseLong(dir.getFileName().toString());
  }
}
