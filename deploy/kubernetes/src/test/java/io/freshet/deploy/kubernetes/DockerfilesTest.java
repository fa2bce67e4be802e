package io.freshet.deploy.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.freshet.deploy.kubernetes.Dockerfile.Copy;
import io.freshet.deploy.kubernetes.Dockerfile.Stage;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The Dockerfiles of deploy/docker, as shipped and deliberately broken. */
class DockerfilesTest {
  private static final Platform PLATFORM = Platform.get();
  private static final ManifestSet MANIFESTS = ManifestSet.load(PLATFORM.kubernetesDir());

  private static String read(String file) {
    return ManifestSet.read(PLATFORM.dockerDir().resolve(file));
  }

  private static List<String> featureJob(
      UnaryOperator<String> dockerfile, UnaryOperator<String> ignore) {
    return DockerfileChecks.featureJob(
        Dockerfile.parse(
            DockerfileChecks.FEATURE_JOB, edited(read(DockerfileChecks.FEATURE_JOB), dockerfile)),
        edited(read(DockerfileChecks.FEATURE_JOB + ".dockerignore"), ignore),
        MANIFESTS,
        PLATFORM);
  }

  private static List<String> gateway(
      UnaryOperator<String> dockerfile, UnaryOperator<String> ignore) {
    return DockerfileChecks.gateway(
        Dockerfile.parse(
            DockerfileChecks.GATEWAY, edited(read(DockerfileChecks.GATEWAY), dockerfile)),
        edited(read(DockerfileChecks.GATEWAY + ".dockerignore"), ignore),
        MANIFESTS,
        PLATFORM);
  }

  private static String edited(String text, UnaryOperator<String> edit) {
    String result = edit.apply(text);
    if (edit != AS_IS && result.equals(text)) {
      throw new IllegalArgumentException("the edit changed nothing");
    }
    return result;
  }

  private static UnaryOperator<String> replace(String from, String to) {
    return text -> text.replace(from, to);
  }

  private static final UnaryOperator<String> AS_IS = UnaryOperator.identity();

  @Test
  void feature_job_image_puts_the_shaded_jar_where_the_flink_deployment_runs_it() {
    assertThat(featureJob(AS_IS, AS_IS)).isEmpty();
  }

  @Test
  void gateway_image_runs_serve_as_the_deployment_expects() {
    assertThat(gateway(AS_IS, AS_IS)).isEmpty();
  }

  @Test
  void feature_job_rejects_another_flink() {
    assertThat(featureJob(replace("FROM flink:2.2.1-java17", "FROM flink:2.1.1-java17"), AS_IS))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("FROM flink:2.1.1-java17: the job is built against Flink 2.2.1")
                    .endsWith("use flink:2.2.1-java17"));
  }

  @Test
  void feature_job_rejects_a_jar_path_the_flink_deployment_does_not_run() {
    assertThat(
            featureJob(
                replace("/opt/flink/usrlib/freshet-feature-job.jar", "/opt/flink/usrlib/job.jar"),
                AS_IS))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "no COPY puts the job jar at /opt/flink/usrlib/freshet-feature-job.jar,"
                            + " where the FlinkDeployment's jarURI"
                            + " local:///opt/flink/usrlib/freshet-feature-job.jar expects it"));
  }

  @Test
  void feature_job_rejects_a_jar_flink_jobs_does_not_build() {
    assertThat(featureJob(replace("flink-jobs-*-job.jar", "flink-jobs-*.jar"), AS_IS))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "but flink-jobs packages the job jar as flink-jobs/target/flink-jobs-*-job.jar"))
        .anySatisfy(
            p -> assertThat(p).contains("does not re-include !flink-jobs/target/flink-jobs-*.jar"));
  }

  @Test
  void feature_job_rejects_root_and_a_replaced_entrypoint() {
    assertThat(featureJob(replace("USER flink", "USER root\nENTRYPOINT [\"java\"]"), AS_IS))
        .anySatisfy(p -> assertThat(p).contains("USER root: run as the image's flink user (9999)"))
        .anySatisfy(
            p -> assertThat(p).contains("ENTRYPOINT replaces the image's /docker-entrypoint.sh"));
  }

  @Test
  void gateway_rejects_root_and_a_user_the_deployment_does_not_name() {
    assertThat(gateway(replace("USER 10001:10001", "USER 0"), AS_IS))
        .anySatisfy(p -> assertThat(p).contains("USER 0 must be a numeric non-root uid"));
    assertThat(gateway(replace("USER 10001:10001", "USER 10002:10001"), AS_IS))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("USER 10002 is not the gateway Deployment's runAsUser 10001"));
  }

  @Test
  void gateway_rejects_a_port_the_deployment_does_not_use() {
    assertThat(gateway(replace("EXPOSE 8080", "EXPOSE 9090"), AS_IS))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains("EXPOSE [9090] differs from the gateway container's ports [8080]"));
    assertThat(
            gateway(
                replace(
                    "CMD [\"serve\", \"--port\", \"8080\"]",
                    "CMD [\"serve\", \"--port\", \"8081\"]"),
                AS_IS))
        .anySatisfy(
            p -> assertThat(p).contains("CMD: serve listens on 8081, which is not EXPOSEd [8080]"));
  }

  @Test
  void gateway_rejects_an_entrypoint_that_cannot_start_the_command() {
    assertThat(
            gateway(
                replace(
                    "\"io.freshet.deploy.cli.FreshetCommand\"]",
                    "\"io.freshet.deploy.cli.Freshet\"]"),
                AS_IS))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "ENTRYPOINT runs io.freshet.deploy.cli.Freshet, not io.freshet.deploy.cli.FreshetCommand"));
    assertThat(gateway(replace("/opt/freshet/lib/*", "/opt/gateway/lib/*"), AS_IS))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "the classpath entry /opt/gateway/lib/* is not provided by a COPY of the final stage"));
  }

  @Test
  void gateway_rejects_a_classpath_deploy_cli_does_not_build() {
    assertThat(
            gateway(
                replace("COPY deploy/cli/target/lib/", "COPY deploy/cli/target/dependency/"),
                AS_IS))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "does not COPY deploy/cli/target/lib/, which deploy/cli's build produces"));
    assertThat(gateway(AS_IS, replace("!deploy/cli/target/lib\n", "")))
        .anySatisfy(
            p ->
                assertThat(p)
                    .contains(
                        "gateway.Dockerfile.dockerignore: does not re-include !deploy/cli/target/lib"));
  }

  @Test
  void parser_joins_continuations_skips_comments_and_splits_stages() {
    Dockerfile parsed =
        Dockerfile.parse(
            "test",
            """
            # syntax=docker/dockerfile:1
            ARG VERSION=1
            FROM base:1 AS build
            RUN a \\
            # a comment inside the continuation
              && b
            COPY --chown=x:y one two /dest/
            FROM --platform=linux/amd64 runtime:2
            COPY --from=build /dest/ /app/
            ENTRYPOINT ["java", "-cp", "/app/*", "Main"]
            """);
    assertThat(parsed.stages())
        .extracting(Stage::image, Stage::alias)
        .containsExactly(tuple("base:1", "build"), tuple("runtime:2", null));
    assertThat(parsed.stages().get(0).all("RUN").get(0).arguments()).isEqualTo("a    && b");
    assertThat(parsed.stages().get(0).copies())
        .containsExactly(new Copy(7, null, List.of("one", "two"), "/dest/"));
    assertThat(parsed.last().copies())
        .containsExactly(new Copy(9, "build", List.of("/dest/"), "/app/"));
    assertThat(parsed.last().last("ENTRYPOINT").flatMap(Dockerfile.Instruction::execForm))
        .contains(List.of("java", "-cp", "/app/*", "Main"));
  }

  @Test
  void parser_rejects_instructions_before_from() {
    assertThatThrownBy(() -> Dockerfile.parse("test", "RUN true\nFROM x\n"))
        .hasMessage("test:1: RUN before the first FROM");
  }
}
