package dev.framecast.node.grpc;

import dev.framecast.inference.v2.ModelMetadataResponse;
import dev.framecast.inference.v2.ModelStatisticsResponse;
import dev.framecast.inference.v2.RepositoryIndexResponse;
import dev.framecast.node.infer.Errors;
import dev.framecast.node.repository.LoadedModel;
import dev.framecast.node.repository.ModelRepository;
import dev.framecast.node.repository.ModelVersion;
import dev.framecast.node.tensor.TensorSpec;
import java.util.Collection;
import java.util.Map;

/** Builders of the metadata, statistics and index responses, as Triton fills them. */
final class Responses {
  private Responses() {}

  static ModelMetadataResponse metadata(ModelRepository repository, String name, String version) {
    ModelVersion resolved = repository.resolve(name, version);
    LoadedModel model = repository.model(name).orElseThrow();
    ModelMetadataResponse.Builder metadata =
        ModelMetadataResponse.newBuilder()
            .setName(name)
            .setPlatform(resolved.config().getPlatform());
    if (version.isEmpty()) {
      model.readyVersions().keySet().forEach(v -> metadata.addVersions(Long.toString(v)));
    } else {
      metadata.addVersions(Long.toString(resolved.version()));
    }
    boolean batched = resolved.signature().batched();
    for (TensorSpec input : resolved.signature().inputs().values()) {
      metadata.addInputs(tensor(input, batched));
    }
    for (TensorSpec output : resolved.signature().outputs().values()) {
      metadata.addOutputs(tensor(output, batched));
    }
    return metadata.build();
  }

  private static ModelMetadataResponse.TensorMetadata tensor(TensorSpec spec, boolean batched) {
    ModelMetadataResponse.TensorMetadata.Builder tensor =
        ModelMetadataResponse.TensorMetadata.newBuilder()
            .setName(spec.name())
            .setDatatype(spec.type().protocolName());
    for (long dim : spec.fullShape(batched)) {
      tensor.addShape(dim);
    }
    return tensor.build();
  }

  /** Statistics of every ready version (empty name), a model's ready versions, or one version. */
  static ModelStatisticsResponse statistics(
      ModelRepository repository, String name, String version) {
    ModelStatisticsResponse.Builder response = ModelStatisticsResponse.newBuilder();
    if (name.isEmpty()) {
      for (LoadedModel model : repository.models()) {
        model.readyVersions().values().forEach(v -> response.addModelStats(v.stats().snapshot()));
      }
      return response.build();
    }
    LoadedModel model =
        repository
            .model(name)
            .filter(m -> !m.readyVersions().isEmpty())
            .orElseThrow(() -> Errors.statisticsModel(name));
    Collection<ModelVersion> versions = model.readyVersions().values();
    if (!version.isEmpty()) {
      long requested = ModelRepository.parseVersion(version);
      ModelVersion one = model.readyVersions().get(requested);
      if (one == null) {
        throw Errors.statisticsVersion(name);
      }
      versions = java.util.List.of(one);
    }
    versions.forEach(v -> response.addModelStats(v.stats().snapshot()));
    return response.build();
  }

  static RepositoryIndexResponse index(ModelRepository repository, boolean readyOnly) {
    RepositoryIndexResponse.Builder index = RepositoryIndexResponse.newBuilder();
    for (LoadedModel model : repository.models()) {
      if (model.versionStates().isEmpty()) {
        if (!readyOnly) {
          index.addModels(
              RepositoryIndexResponse.ModelIndex.newBuilder()
                  .setName(model.name())
                  .setState(LoadedModel.State.UNAVAILABLE.name())
                  .setReason(model.modelReason() == null ? "" : model.modelReason()));
        }
        continue;
      }
      for (Map.Entry<Long, LoadedModel.VersionState> entry : model.versionStates().entrySet()) {
        LoadedModel.VersionState state = entry.getValue();
        if (readyOnly && state.state() != LoadedModel.State.READY) {
          continue;
        }
        index.addModels(
            RepositoryIndexResponse.ModelIndex.newBuilder()
                .setName(model.name())
                .setVersion(Long.toString(state.version()))
                .setState(state.state().name())
                .setReason(state.reason()));
      }
    }
    return index.build();
  }
}
