# syntax=docker/dockerfile:1.7
# The inference node (Triton's gRPC protocol on ONNX Runtime, CPU): the module jar and its runtime
# class path on a JRE, as a non-root user. Build from the repository root:
#   docker build -f deploy/docker/inference-node.Dockerfile -t ghcr.io/framecast/inference-node:0.1.0 .
# The model repository is not in the image: mount one at /models (compose, or the init container
# of deploy/k8s/overlays/cpu-only). Arguments are NodeMain's options (./framecast node --help).

FROM eclipse-temurin:17.0.14_7-jdk-noble AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -DskipTests -Dspotless.check.skip=true -pl inference-node -am package \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib \
 && mkdir -p /out \
 && cp inference-node/target/inference-node-*.jar /out/inference-node.jar \
 && cp -R inference-node/target/lib /out/lib

FROM eclipse-temurin:17.0.14_7-jre-noble
RUN groupadd --system --gid 10001 framecast \
 && useradd --system --uid 10001 --gid framecast --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin framecast
WORKDIR /app
COPY --from=build /out/lib/ /app/lib/
COPY --from=build /out/inference-node.jar /app/inference-node.jar
USER 10001:10001
# Triton's ports: 8001 gRPC (inference.GRPCInferenceService, grpc.health.v1), 8002 /metrics.
EXPOSE 8001 8002
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8002 && printf 'GET /-/healthy HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# ONNX Runtime unpacks its native library to java.io.tmpdir (/tmp).
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-cp", "/app/inference-node.jar:/app/lib/*", "dev.framecast.node.NodeMain"]
# Mutual TLS from /etc/framecast/tls (tls.crt, tls.key, ca.crt: a cert-manager secret's layout);
# without those files the node refuses to start and says so.
CMD ["--model-repository", "/models", "--port", "8001", "--metrics-port", "8002", "--tls-cert", "/etc/framecast/tls/tls.crt", "--tls-key", "/etc/framecast/tls/tls.key", "--tls-ca", "/etc/framecast/tls/ca.crt"]
