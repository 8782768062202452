package dev.framecast.scheduler.engine;

import dev.framecast.scheduler.job.Job;
import dev.framecast.scheduler.pipeline.Pipeline;
import java.util.LinkedHashMap;
import java.util.Map;

/** An LRU cache of text embeddings by prompt and text encoder. Loop thread only. */
final class TextCache {
  private final Map<String, Job.TextEmbedding> entries;

  TextCache(int capacity) {
    this.entries =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Job.TextEmbedding> eldest) {
            return size() > capacity;
          }
        };
  }

  /** The key of a prompt under the pipeline's text encoder. */
  static String key(Pipeline pipeline, String prompt) {
    return pipeline.spec().textEncoder() + '\u0000' + prompt;
  }

  Job.TextEmbedding get(String key) {
    return entries.get(key);
  }

  Job.TextEmbedding get(Pipeline pipeline, String prompt) {
    return entries.get(key(pipeline, prompt));
  }

  void put(String key, Job.TextEmbedding text) {
    entries.put(key, text);
  }
}
