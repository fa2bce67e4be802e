# syntax=docker/dockerfile:1
# The online feature gateway (`freshet serve`) for deploy/kubernetes/gateway. Build from the
# repository root after `mvn package`, which leaves the command's jar and its runtime classpath in
# deploy/cli/target:
#
#   docker build -f deploy/docker/gateway.Dockerfile -t freshet/gateway:<version> .

FROM eclipse-temurin:17-jre-noble AS classpath
COPY deploy/cli/target/freshet-cli.jar /classpath/freshet-cli.jar
COPY deploy/cli/target/lib/ /classpath/lib/
# The embedded Postgres and Redis (with their native binaries) serve only `freshet demo`.
RUN rm -f /classpath/lib/embedded-postgres-*.jar /classpath/lib/embedded-redis-*.jar

FROM eclipse-temurin:17-jre-noble
RUN groupadd --system --gid 10001 freshet \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin freshet
COPY --from=classpath /classpath/ /opt/freshet/
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError", "-Dlog4j2.shutdownHookEnabled=false", "-cp", "/opt/freshet/freshet-cli.jar:/opt/freshet/lib/*", "io.freshet.deploy.cli.FreshetCommand"]
CMD ["serve", "--port", "8080"]
