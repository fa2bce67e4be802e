# syntax=docker/dockerfile:1
# The streaming feature job for the Flink Kubernetes Operator (deploy/kubernetes/flink): Flink with
# the shaded job jar where the FlinkDeployment's jarURI expects it. Build from the repository root
# after `mvn package`:
#
#   docker build -f deploy/docker/feature-job.Dockerfile -t freshet/feature-job:<version> .
#
# The Flink patch version is pinned: it must match the build (flink.version in the root pom) and
# the ENABLE_BUILT_IN_PLUGINS jar name in the FlinkDeployment.
FROM flink:2.2.1-java17

COPY --chown=flink:flink flink-jobs/target/flink-jobs-*-job.jar /opt/flink/usrlib/freshet-feature-job.jar

# The official image's unprivileged user; the operator starts /docker-entrypoint.sh itself.
USER flink
