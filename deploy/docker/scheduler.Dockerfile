# syntax=docker/dockerfile:1.7
# The scheduler (framecast.scheduler.v1): the module jar and its runtime class path on a JRE, as a
# non-root user. Build from the repository root:
#   docker build -f deploy/docker/scheduler.Dockerfile -t ghcr.io/framecast/scheduler:0.1.0 .
# Arguments are SchedulerMain's options (./framecast scheduler --help); it reads no environment.

# Build stage: the module jar and its runtime dependencies (the same class path ./framecast
# scheduler runs with: target/classpath.txt), copied to /out under fixed names.
FROM eclipse-temurin:17.0.14_7-jdk-noble AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    ./mvnw -B -q -DskipTests -Dspotless.check.skip=true -pl scheduler -am package \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory=target/lib \
 && mkdir -p /out \
 && cp scheduler/target/scheduler-*.jar /out/scheduler.jar \
 && cp -R scheduler/target/lib /out/lib

FROM eclipse-temurin:17.0.14_7-jre-noble
RUN groupadd --system --gid 10001 framecast \
 && useradd --system --uid 10001 --gid framecast --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin framecast \
 && mkdir -p /var/lib/framecast/clips \
 && chown -R 10001:10001 /var/lib/framecast
WORKDIR /app
COPY --from=build /out/lib/ /app/lib/
COPY --from=build /out/scheduler.jar /app/scheduler.jar
USER 10001:10001
# 8090: framecast.scheduler.v1 (and grpc.health.v1); 8091: Prometheus /metrics.
EXPOSE 8090 8091
# The metrics server's /-/healthy answers while the process serves.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8091 && printf 'GET /-/healthy HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# FFmpeg's natives (JavaCPP) unpack to /tmp, not the home directory, so the root file system can be
# read-only.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-Dorg.bytedeco.javacpp.cachedir=/tmp/javacpp", "-cp", "/app/scheduler.jar:/app/lib/*", "dev.framecast.scheduler.SchedulerMain"]
# Mutual TLS from /etc/framecast/tls (tls.crt, tls.key, ca.crt: a cert-manager secret's layout);
# without those files the scheduler refuses to start and says so.
CMD ["--port", "8090", "--metrics-port", "8091", "--clips", "/var/lib/framecast/clips", "--tls-cert", "/etc/framecast/tls/tls.crt", "--tls-key", "/etc/framecast/tls/tls.key", "--tls-ca", "/etc/framecast/tls/ca.crt"]
