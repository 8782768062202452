package dev.framecast.gateway.rest;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.framecast.api.v1.GenerateRequest;
import dev.framecast.api.v1.Job;
import dev.framecast.api.v1.JobEvent;
import dev.framecast.api.v1.JobState;
import dev.framecast.api.v1.ListJobsRequest;
import dev.framecast.common.Caller;
import dev.framecast.common.errors.InvalidRequestException;
import dev.framecast.gateway.api.RequestLimits;
import dev.framecast.gateway.auth.Callers;
import dev.framecast.gateway.backend.Backend;
import dev.framecast.gateway.drain.Drain;
import dev.framecast.gateway.drain.GatewayStoppingException;
import dev.framecast.gateway.metrics.GatewayMetrics;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Multi;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;
import java.net.URI;
import java.util.List;

/**
 * The REST API for browsers and scripts: the same calls, auth, errors and events as the gRPC API,
 * as JSON (protobuf's canonical mapping) and server-sent events. Event ids are the events' seq, so
 * a reconnecting EventSource (Last-Event-ID) or fetch reader resumes where it stopped. SSE streams
 * honour back-pressure: Quarkus REST asks for the next event when the previous one is written. A
 * stopping gateway ends its streams with a {@code reconnect} event ({@link Drain}).
 */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
@Blocking
public class JobsResource {
  static final String SSE = "sse";

  @Inject Backend backend;
  @Inject Callers callers;
  @Inject SecurityIdentity identity;
  @Inject RequestLimits limits;
  @Inject GatewayMetrics metrics;
  @Inject Drain drain;

  private Caller caller() {
    return callers.of(identity);
  }

  @POST
  @Path("/jobs")
  @Consumes(MediaType.APPLICATION_JSON)
  public Response submit(String body, @HeaderParam("Idempotency-Key") String key) {
    Caller caller = caller();
    GenerateRequest.Builder request = Json.parse(body, GenerateRequest.newBuilder());
    if (key != null && !key.isEmpty()) {
      if (!request.getIdempotencyKey().isEmpty() && !request.getIdempotencyKey().equals(key)) {
        throw InvalidRequestException.of(
            "idempotency_key", "the Idempotency-Key header and the body's idempotencyKey differ");
      }
      request.setIdempotencyKey(key);
    }
    GenerateRequest built = request.build();
    limits.check(built);
    Job job = record("SubmitJob", caller, () -> backend.submit(caller, built));
    return Response.ok(Json.print(job)).location(URI.create("/v1/jobs/" + job.getId())).build();
  }

  @GET
  @Path("/jobs")
  public String list(
      @QueryParam("pageSize") @DefaultValue("0") int pageSize,
      @QueryParam("pageToken") @DefaultValue("") String pageToken,
      @QueryParam("state") List<String> states) {
    Caller caller = caller();
    if (pageSize < 0) {
      throw InvalidRequestException.of("page_size", "page_size must not be negative");
    }
    ListJobsRequest.Builder request =
        ListJobsRequest.newBuilder().setPageSize(pageSize).setPageToken(pageToken);
    for (String state : states) {
      var value = JobState.getDescriptor().findValueByName(state);
      JobState parsed = value == null ? null : JobState.valueOf(value);
      if (parsed == null || parsed == JobState.JOB_STATE_UNSPECIFIED) {
        throw InvalidRequestException.of("states", "unknown job state '" + state + "'");
      }
      request.addStates(parsed);
    }
    ListJobsRequest built = request.build();
    limits.list(built);
    return Json.print(record("ListJobs", caller, () -> backend.list(caller, built)));
  }

  @GET
  @Path("/jobs/{id}")
  public String get(@PathParam("id") String id) {
    Caller caller = caller();
    limits.jobId(id);
    return Json.print(record("GetJob", caller, () -> backend.get(caller, id)));
  }

  @DELETE
  @Path("/jobs/{id}")
  public String cancel(
      @PathParam("id") String id, @QueryParam("reason") @DefaultValue("") String reason) {
    Caller caller = caller();
    limits.cancel(id, reason);
    return Json.print(record("CancelJob", caller, () -> backend.cancel(caller, id, reason)));
  }

  @GET
  @Path("/jobs/{id}/clip.mp4")
  @Produces("video/mp4")
  public Response clip(@PathParam("id") String id) {
    Caller caller = caller();
    limits.jobId(id);
    Backend.Content clip = record("GetClip", caller, () -> backend.content(caller, id, "video"));
    long size = clip.size();
    // Streamed from the clip store as the client reads it, never held whole here.
    jakarta.ws.rs.core.StreamingOutput body = out -> clip.copyTo(0, size, out);
    return Response.ok(body, "video/mp4")
        .header("Content-Length", size)
        .header("ETag", clip.etag())
        .header("Content-Disposition", "inline; filename=\"" + id + ".mp4\"")
        .header("Cache-Control", "private, max-age=86400")
        .build();
  }

  @GET
  @Path("/models")
  public String models() {
    Caller caller = caller();
    return Json.print(record("ListModels", caller, () -> backend.models(caller)));
  }

  @GET
  @Path("/usage")
  public String usage(@QueryParam("tenant") @DefaultValue("") String tenant) {
    Caller caller = caller();
    limits.usage(tenant);
    return Json.print(record("GetUsage", caller, () -> backend.usage(caller, tenant)));
  }

  /**
   * Server-sent events: {@code id} = seq, {@code event} = the event's kind (queued, started,
   * progress, frame, clipChunk, completed, failed, cancelled), {@code data} = the JobEvent as one
   * line of JSON. Resumes after {@code Last-Event-ID} (or {@code afterSeq}); {@code clip=false}
   * leaves out the clip's chunks for clients that download clip.mp4 instead.
   */
  @GET
  @Path("/jobs/{id}/events")
  @Produces(MediaType.SERVER_SENT_EVENTS)
  public Multi<OutboundSseEvent> events(
      @PathParam("id") String id,
      @HeaderParam("Last-Event-ID") String lastEventId,
      @QueryParam("afterSeq") @DefaultValue("0") long afterSeq,
      @QueryParam("clip") @DefaultValue("true") boolean clip,
      @Context Sse sse) {
    Caller caller = caller();
    limits.jobId(id);
    long after = afterSeq;
    if (lastEventId != null && !lastEventId.isBlank()) {
      try {
        after = Long.parseLong(lastEventId.trim());
      } catch (NumberFormatException e) {
        throw InvalidRequestException.of("Last-Event-ID", "Last-Event-ID must be an event seq");
      }
    }
    if (after < 0) {
      throw InvalidRequestException.of("after_seq", "after_seq must not be negative");
    }
    long from = after;
    var publisher = record("WatchJob", caller, () -> backend.events(caller, id, from));
    metrics.streamOpened(SSE);
    return Multi.createFrom()
        .publisher(drain.track(publisher))
        .select()
        .where(event -> clip || !event.hasClipChunk())
        .onItem()
        .invoke(event -> metrics.eventWritten(event.getTime()))
        .map(event -> toSse(sse, event))
        .onFailure(GatewayStoppingException.class)
        .recoverWithItem(stopping -> reconnect(sse, (GatewayStoppingException) stopping))
        .onTermination()
        .invoke(() -> metrics.streamClosed(SSE));
  }

  /**
   * The last event of a stream that a stopping gateway ends: {@code event: reconnect}, no id (the
   * client's Last-Event-ID stays the last job event's seq), {@code retry:} in milliseconds, and
   * {@code data: {"reconnect":{"reason":..., "afterSeq":"12"}}}. An EventSource reconnects by
   * itself when the stream ends; the web page does too.
   */
  static OutboundSseEvent reconnect(Sse sse, GatewayStoppingException stopping) {
    long retryMs = stopping.retryAfter().toMillis();
    Struct reconnect =
        Struct.newBuilder()
            .putFields("reason", Value.newBuilder().setStringValue(stopping.getMessage()).build())
            .putFields(
                "afterSeq",
                Value.newBuilder().setStringValue(Long.toString(stopping.afterSeq())).build())
            .build();
    String data =
        Json.print(
            Struct.newBuilder()
                .putFields("reconnect", Value.newBuilder().setStructValue(reconnect).build())
                .build());
    return sse.newEventBuilder().name("reconnect").reconnectDelay(retryMs).data(data).build();
  }

  static OutboundSseEvent toSse(Sse sse, JobEvent event) {
    FieldDescriptor kind =
        event.getOneofFieldDescriptor(JobEvent.getDescriptor().getOneofs().get(0));
    return sse.newEventBuilder()
        .id(Long.toString(event.getSeq()))
        .name(kind == null ? "unknown" : kind.getJsonName())
        .data(Json.print(event))
        .build();
  }

  private <T> T record(String method, Caller caller, java.util.function.Supplier<T> call) {
    try {
      T result = call.get();
      metrics.request(method, caller.tenant(), "OK");
      return result;
    } catch (RuntimeException e) {
      metrics.request(
          method,
          caller.tenant(),
          dev.framecast.gateway.api.Statuses.of(e).getStatus().getCode().name());
      throw e;
    }
  }
}
