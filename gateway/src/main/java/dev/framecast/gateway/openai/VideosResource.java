package dev.framecast.gateway.openai;

import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.api.v1.ListJobsResponse;
import dev.framecast.api.v1.ListModelsResponse;
import dev.framecast.api.v1.ModelInfo;
import dev.framecast.api.v1.Priority;
import dev.framecast.common.Caller;
import dev.framecast.gateway.api.RequestLimits;
import dev.framecast.gateway.api.Statuses;
import dev.framecast.gateway.auth.Callers;
import dev.framecast.gateway.backend.Backend;
import dev.framecast.gateway.metrics.GatewayMetrics;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.common.annotation.Blocking;
import jakarta.inject.Inject;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.StringReader;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.multipart.FormValue;
import org.jboss.resteasy.reactive.server.multipart.MultipartFormDataInput;

/**
 * OpenAI's Videos API ({@code /v1/videos}) over the same tenants, tokens (the bearer token is the
 * {@code api_key}), scheduler and clip store as the rest of the gateway: create (multipart form, as
 * the OpenAI SDKs send it, or JSON), retrieve, list with OpenAI's cursor pagination, delete, and
 * content downloads (the MP4, a thumbnail or the sprite sheet) streamed with Range and ETag. Errors
 * are OpenAI's error object ({@link OpenAiErrors}).
 */
@Path("/v1/videos")
@jakarta.inject.Singleton
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class VideosResource {
  /** OpenAI's parameters this server takes, then this platform's extensions. */
  static final Set<String> PARAMETERS =
      Set.of(
          "prompt",
          "model",
          "seconds",
          "size",
          "seed",
          "steps",
          "negative_prompt",
          "guidance_scale",
          "priority",
          "webhook_url");

  static final int DEFAULT_LIMIT = 20;
  static final int MAX_LIMIT = 100;

  @Inject Backend backend;
  @Inject Callers callers;
  @Inject SecurityIdentity identity;
  @Inject RequestLimits limits;
  @Inject GatewayMetrics metrics;

  @ServerExceptionMapper
  public Response map(RuntimeException failure) {
    return OpenAiErrors.of(failure);
  }

  private Caller caller() {
    return callers.of(identity);
  }

  @POST
  @Consumes(MediaType.MULTIPART_FORM_DATA)
  public String createFromForm(
      MultipartFormDataInput form, @HeaderParam("Idempotency-Key") String key) {
    Caller caller = caller();
    Map<String, String> params = new LinkedHashMap<>();
    for (Map.Entry<String, Collection<FormValue>> field : form.getValues().entrySet()) {
      for (FormValue value : field.getValue()) {
        if (value.isFileItem()) {
          throw fileNotTaken(field.getKey());
        }
        put(params, field.getKey(), value.getValue());
      }
    }
    return create(caller, params, key);
  }

  @POST
  @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
  public String createFromUrlEncoded(
      MultivaluedMap<String, String> form, @HeaderParam("Idempotency-Key") String key) {
    Caller caller = caller();
    Map<String, String> params = new LinkedHashMap<>();
    form.forEach((name, values) -> values.forEach(value -> put(params, name, value)));
    return create(caller, params, key);
  }

  @POST
  @Consumes(MediaType.APPLICATION_JSON)
  public String createFromJson(String body, @HeaderParam("Idempotency-Key") String key) {
    Caller caller = caller();
    JsonObject json;
    try (JsonReader reader = Json.createReader(new StringReader(body))) {
      json = reader.readObject();
    } catch (JsonException | IllegalStateException e) {
      throw new OpenAiErrors.BadParameter(
          null, "invalid_json", "The body is not a JSON object: " + e.getMessage());
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (Map.Entry<String, JsonValue> field : json.entrySet()) {
      JsonValue value = field.getValue();
      switch (value.getValueType()) {
        case NULL -> {}
        case STRING -> put(params, field.getKey(), ((jakarta.json.JsonString) value).getString());
        case NUMBER, TRUE, FALSE -> put(params, field.getKey(), value.toString());
        default ->
            throw new OpenAiErrors.BadParameter(
                field.getKey(),
                field.getKey().equals("input_reference") ? "unsupported_parameter" : "invalid_type",
                field.getKey().equals("input_reference")
                    ? fileNotTaken(field.getKey()).getMessage()
                    : "Invalid type for '" + field.getKey() + "': expected a string or a number.");
      }
    }
    return create(caller, params, key);
  }

  private static OpenAiErrors.BadParameter fileNotTaken(String name) {
    if (name.equals("input_reference")) {
      return new OpenAiErrors.BadParameter(
          name,
          "unsupported_parameter",
          "input_reference is not supported: this server generates videos from text only.");
    }
    return new OpenAiErrors.BadParameter(
        name, "unknown_parameter", "Unknown parameter: '" + name + "'.");
  }

  private static void put(Map<String, String> params, String name, String value) {
    if (!PARAMETERS.contains(name)) {
      throw fileNotTaken(name);
    }
    if (params.put(name, value) != null) {
      throw new OpenAiErrors.BadParameter(
          name, "invalid_value", "'" + name + "' is given more than once.");
    }
  }

  private String create(Caller caller, Map<String, String> params, String key) {
    String prompt = params.get("prompt");
    if (prompt == null || prompt.isBlank()) {
      throw new OpenAiErrors.BadParameter(
          "prompt", "missing_required_parameter", "Missing required parameter: 'prompt'.");
    }
    GenerateRequest.Builder request = GenerateRequest.newBuilder().setPrompt(prompt);
    Optional.ofNullable(params.get("model")).ifPresent(request::setModel);
    Optional.ofNullable(params.get("negative_prompt")).ifPresent(request::setNegativePrompt);
    Optional.ofNullable(params.get("webhook_url"))
        .map(String::trim)
        .ifPresent(request::setWebhookUrl);
    if (params.containsKey("seed")) {
      request.setSeed(unsigned("seed", params.get("seed"), Long.MAX_VALUE));
    }
    if (params.containsKey("steps")) {
      request.setSteps((int) unsigned("steps", params.get("steps"), 100_000));
    }
    if (params.containsKey("guidance_scale")) {
      try {
        request.setGuidanceScale(Float.parseFloat(params.get("guidance_scale").trim()));
      } catch (NumberFormatException e) {
        throw new OpenAiErrors.BadParameter(
            "guidance_scale", "invalid_value", "guidance_scale must be a number.");
      }
    }
    if (params.containsKey("priority")) {
      request.setPriority(
          switch (params.get("priority")) {
            case "interactive" -> Priority.PRIORITY_INTERACTIVE;
            case "batch" -> Priority.PRIORITY_BATCH;
            default ->
                throw new OpenAiErrors.BadParameter(
                    "priority", "invalid_value", "priority must be 'interactive' or 'batch'.");
          });
    }
    if (key != null && !key.isEmpty()) {
      request.setIdempotencyKey(key);
    }
    GenerateRequest built = request.build();
    limits.check(built);
    ModelInfo model = model(caller, built.getModel());
    checkShape(model, params.get("size"), params.get("seconds"));
    Job job = record("SubmitJob", caller, () -> backend.submit(caller, built));
    return Videos.of(job, model).toString();
  }

  private static long unsigned(String name, String value, long max) {
    try {
      long parsed = Long.parseLong(value.trim());
      if (parsed < 0 || parsed > max) {
        throw new NumberFormatException();
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new OpenAiErrors.BadParameter(
          name, "invalid_value", name + " must be a whole number from 0 to " + max + ".");
    }
  }

  /** The model a request names (empty: the default); 400 naming {@code model} when unknown. */
  private ModelInfo model(Caller caller, String name) {
    ListModelsResponse models = record("ListModels", caller, () -> backend.models(caller));
    for (ModelInfo model : models.getModelsList()) {
      if (name.isEmpty() ? model.getIsDefault() : model.getName().equals(name)) {
        return model;
      }
    }
    throw new OpenAiErrors.BadParameter(
        "model",
        "invalid_value",
        (name.isEmpty() ? "No default model is available" : "Model '" + name + "' is not available")
            + "; available models: "
            + String.join(", ", models.getModelsList().stream().map(ModelInfo::getName).toList())
            + ".");
  }

  /** A size or length the model cannot make is a 400 naming the parameter and what it can. */
  static void checkShape(ModelInfo model, String size, String seconds) {
    if (size != null && !size.trim().equals(Videos.size(model))) {
      throw new OpenAiErrors.BadParameter(
          "size",
          "invalid_value",
          "Size '"
              + size
              + "' is not supported by model '"
              + model.getName()
              + "'; supported sizes: "
              + Videos.size(model)
              + ".");
    }
    if (seconds != null) {
      boolean same;
      try {
        same =
            new java.math.BigDecimal(seconds.trim())
                    .compareTo(new java.math.BigDecimal(Videos.seconds(model)))
                == 0;
      } catch (NumberFormatException e) {
        same = false;
      }
      if (!same) {
        throw new OpenAiErrors.BadParameter(
            "seconds",
            "invalid_value",
            "Seconds '"
                + seconds
                + "' is not supported by model '"
                + model.getName()
                + "'; supported values: '"
                + Videos.seconds(model)
                + "'.");
      }
    }
  }

  /** How long a tenant's model list is reused for showing videos (a poll loop asks often). */
  static final long MODELS_TTL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(5);

  private record CachedModels(ListModelsResponse models, long until) {}

  private final Map<String, CachedModels> modelsByTenant =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The tenant's models for showing videos (size, seconds): asked of the scheduler at most every 5
   * s per tenant, so a client polling retrieve costs one scheduler call per poll, not two.
   */
  private ListModelsResponse shownModels(Caller caller) {
    long now = System.nanoTime();
    CachedModels cached = modelsByTenant.get(caller.tenant());
    if (cached != null && now - cached.until() < 0) {
      return cached.models();
    }
    ListModelsResponse models = record("ListModels", caller, () -> backend.models(caller));
    modelsByTenant.put(caller.tenant(), new CachedModels(models, now + MODELS_TTL_NANOS));
    return models;
  }

  /** The job's model as listed (null when no longer listed: size and seconds from the clip). */
  private ModelInfo modelOf(Caller caller, Job job) {
    ListModelsResponse models = shownModels(caller);
    return models.getModelsList().stream()
        .filter(m -> m.getName().equals(job.getRequest().getModel()))
        .findFirst()
        .orElse(null);
  }

  @GET
  @Path("/{id}")
  public String retrieve(@PathParam("id") String id) {
    Caller caller = caller();
    limits.jobId(id);
    Job job = record("GetJob", caller, () -> backend.get(caller, id));
    return Videos.of(job, modelOf(caller, job)).toString();
  }

  /**
   * OpenAI's cursor pagination: {@code after} a video id, {@code limit} 1 to 100 (20), {@code
   * order} {@code desc} (newest first, the default) or {@code asc}.
   */
  @GET
  public String list(
      @QueryParam("after") String after,
      @QueryParam("limit") String limit,
      @QueryParam("order") String order) {
    Caller caller = caller();
    int size = DEFAULT_LIMIT;
    if (limit != null) {
      size = (int) unsigned("limit", limit, MAX_LIMIT);
      if (size < 1) {
        throw new OpenAiErrors.BadParameter(
            "limit", "invalid_value", "limit must be from 1 to " + MAX_LIMIT + ".");
      }
    }
    boolean ascending;
    if (order == null || order.equals("desc")) {
      ascending = false;
    } else if (order.equals("asc")) {
      ascending = true;
    } else {
      throw new OpenAiErrors.BadParameter(
          "order", "invalid_value", "order must be 'asc' or 'desc'.");
    }
    ListJobsRequest.Builder request =
        ListJobsRequest.newBuilder().setPageSize(size).setOldestFirst(ascending);
    if (after != null && !after.isEmpty()) {
      request.setAfterJobId(after);
    }
    ListJobsRequest built = request.build();
    ListJobsResponse page;
    try {
      limits.list(built);
      page = record("ListJobs", caller, () -> backend.list(caller, built));
    } catch (RuntimeException e) {
      throw renamed(e, "after_job_id", "after");
    }
    Map<String, ModelInfo> models = new LinkedHashMap<>();
    if (page.getJobsCount() > 0) {
      shownModels(caller).getModelsList().forEach(m -> models.put(m.getName(), m));
    }
    JsonArrayBuilder data = Json.createArrayBuilder();
    for (Job job : page.getJobsList()) {
      data.add(Videos.of(job, models.get(job.getRequest().getModel())));
    }
    var response = Json.createObjectBuilder().add("object", "list").add("data", data);
    List<Job> jobs = page.getJobsList();
    if (jobs.isEmpty()) {
      response.addNull("first_id").addNull("last_id");
    } else {
      response
          .add("first_id", jobs.get(0).getId())
          .add("last_id", jobs.get(jobs.size() - 1).getId());
    }
    response.add("has_more", !page.getNextPageToken().isEmpty());
    return response.build().toString();
  }

  /** A field violation about an internal name, under the name the caller used. */
  private static RuntimeException renamed(RuntimeException e, String field, String param) {
    io.grpc.StatusRuntimeException status = Statuses.of(e);
    if (status.getStatus().getCode() == io.grpc.Status.Code.INVALID_ARGUMENT
        && String.valueOf(status.getStatus().getDescription()).contains(field)) {
      return new OpenAiErrors.BadParameter(
          param,
          "invalid_value",
          String.valueOf(status.getStatus().getDescription()).replace(field, param));
    }
    return e;
  }

  /** Deletes the video: record, events, clip and images (a running one is cancelled first). */
  @DELETE
  @Path("/{id}")
  public String delete(@PathParam("id") String id) {
    Caller caller = caller();
    limits.jobId(id);
    Job job = record("DeleteJob", caller, () -> backend.delete(caller, id));
    return Json.createObjectBuilder()
        .add("id", job.getId())
        .add("object", "video.deleted")
        .add("deleted", true)
        .build()
        .toString();
  }

  /**
   * The MP4 ({@code variant=video}, the default), a PNG of its first frame ({@code thumbnail}) or a
   * PNG contact sheet of its frames ({@code spritesheet}), streamed from the clip store: one range
   * ({@code Range: bytes=...}, 206, or 416 past the end), {@code If-Range}, and a strong {@code
   * ETag} with {@code If-None-Match} (304).
   */
  @GET
  @Path("/{id}/content")
  @Produces(MediaType.WILDCARD)
  public Response content(
      @PathParam("id") String id,
      @QueryParam("variant") String variant,
      @HeaderParam("Range") String range,
      @HeaderParam("If-Range") String ifRange,
      @HeaderParam("If-None-Match") String ifNoneMatch) {
    Caller caller = caller();
    limits.jobId(id);
    String asked = variant == null ? "" : variant;
    Backend.Content content =
        record("GetContent", caller, () -> backend.content(caller, id, asked));
    String etag = content.etag();
    String extension = content.contentType().equals("video/mp4") ? ".mp4" : ".png";
    String name = id + (asked.isEmpty() || asked.equals("video") ? "" : "." + asked) + extension;
    if (ifNoneMatch != null && matches(ifNoneMatch, etag)) {
      return Response.notModified(new jakarta.ws.rs.core.EntityTag(unquoted(etag)))
          .header("Cache-Control", "private, max-age=86400")
          .build();
    }
    long size = content.size();
    Optional<ByteRange> part = Optional.empty();
    if (ifRange == null || ifRange.trim().equals(etag)) {
      part = ByteRange.parse(range, size);
    }
    long offset = part.map(ByteRange::offset).orElse(0L);
    long length = part.map(ByteRange::length).orElse(size);
    StreamingOutput body = out -> content.copyTo(offset, length, out);
    Response.ResponseBuilder response =
        Response.status(part.isPresent() ? 206 : 200)
            .entity(body)
            .type(content.contentType())
            .header("Content-Length", length)
            .header("Accept-Ranges", "bytes")
            .header("ETag", etag)
            .header("Cache-Control", "private, max-age=86400")
            .header("Content-Disposition", "inline; filename=\"" + name + "\"");
    part.ifPresent(p -> response.header("Content-Range", p.contentRange(size)));
    return response.build();
  }

  private static boolean matches(String header, String etag) {
    for (String candidate : header.split(",")) {
      String tag = candidate.trim();
      if (tag.startsWith("W/")) {
        tag = tag.substring(2);
      }
      if (tag.equals("*") || tag.equals(etag)) {
        return true;
      }
    }
    return false;
  }

  private static String unquoted(String etag) {
    return etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")
        ? etag.substring(1, etag.length() - 1)
        : etag;
  }

  private <T> T record(String method, Caller caller, Supplier<T> call) {
    try {
      T result = call.get();
      metrics.request(method, caller.tenant(), "OK");
      return result;
    } catch (RuntimeException e) {
      metrics.request(method, caller.tenant(), Statuses.of(e).getStatus().getCode().name());
      throw e;
    }
  }
}
