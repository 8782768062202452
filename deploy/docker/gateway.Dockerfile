# syntax=docker/dockerfile:1.7
# The gateway: the Quarkus fast-jar (gateway/target/quarkus-app) on a JRE, as a non-root user.
# Build from the repository root (deploy/docker/gateway.Dockerfile.dockerignore trims the context):
#   docker build -f deploy/docker/gateway.Dockerfile -t ghcr.io/framecast/gateway:0.1.0 .
# Configure it with FRAMECAST_* variables (gateway/README.md, "Settings"); in a cluster it runs
# distributed (deploy/k8s/base/gateway.yaml).

# Build stage: the Maven wrapper builds the gateway and the modules it embeds; tests run in CI, not
# here. The cache mount keeps ~/.m2 between builds.
FROM eclipse-temurin:17.0.14_7-jdk-noble AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -DskipTests -Dspotless.check.skip=true -pl gateway -am package

FROM eclipse-temurin:17.0.14_7-jre-noble
RUN groupadd --system --gid 10001 framecast \
 && useradd --system --uid 10001 --gid framecast --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin framecast
WORKDIR /app
# The fast-jar's four parts, dependencies first (they change least, so their layer is reused).
# Owned by root: the application only reads them.
COPY --from=build /src/gateway/target/quarkus-app/lib/ /app/lib/
COPY --from=build /src/gateway/target/quarkus-app/quarkus-run.jar /app/
COPY --from=build /src/gateway/target/quarkus-app/app/ /app/app/
COPY --from=build /src/gateway/target/quarkus-app/quarkus/ /app/quarkus/
USER 10001:10001
# gRPC, REST + SSE and the web page on 8080; /q/health and /q/metrics on the management port 9000;
# gRPC reflection (descriptors only) on 9001 in distributed mode.
EXPOSE 8080 9000 9001
# No curl in the image: bash's /dev/tcp asks /q/health/live.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9000 && printf 'GET /q/health/live HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-jar", "/app/quarkus-run.jar"]
