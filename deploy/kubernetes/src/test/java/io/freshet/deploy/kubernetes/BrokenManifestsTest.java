package io.freshet.deploy.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Deliberately broken copies of the manifests (one edit each, the files untouched) and what the
 * validator must say about them: proof that a green build means something.
 */
class BrokenManifestsTest {
  private static final Platform PLATFORM = Platform.get();

  /** One edit of one file, and fragments the problems must contain. */
  record Breakage(String name, String file, String from, String to, List<String> expected) {
    @Override
    public String toString() {
      return name;
    }

    ManifestSet apply() {
      UnaryOperator<String> edit =
          text -> {
            int at = text.indexOf(from);
            if (at < 0 || text.indexOf(from, at + 1) >= 0) {
              throw new IllegalArgumentException(
                  name + ": '" + from + "' must occur exactly once in " + file);
            }
            return text.replace(from, to);
          };
      return ManifestSet.load(PLATFORM.kubernetesDir(), Map.of(file, edit));
    }
  }

  private static Breakage breakage(
      String name, String file, String from, String to, String... expected) {
    return new Breakage(name, file, from, to, List.of(expected));
  }

  private static final String GATEWAY = "gateway/deployment.yaml";
  private static final String JOB = "flink/feature-job.yaml";

  static Stream<Breakage> breakages() {
    return Stream.of(
        // Kubernetes schema, through fabric8's typed model
        breakage(
            "typo in a Deployment field",
            GATEWAY,
            "readinessProbe:",
            "readynessProbe:",
            "containers[0].readynessProbe: unknown field (did you mean readinessProbe?)"),
        breakage(
            "number where the API wants a string",
            GATEWAY,
            "prometheus.io/port: \"8080\"",
            "prometheus.io/port: 8080",
            ".spec.template.metadata.annotations.prometheus.io/port: must be a string, got the"
                + " integer 8080 (quote it)"),
        breakage(
            "string where the API wants a number",
            GATEWAY,
            "containerPort: 8080",
            "containerPort: \"8080\"",
            ".spec.template.spec.containers[0].ports[0].containerPort: must be a number, got the"
                + " string \"8080\" (write it without quotes)"),
        breakage(
            "malformed quantity",
            GATEWAY,
            "cpu: 500m",
            "cpu: 500 millicores",
            "resources.requests.cpu: '500 millicores' is not a Kubernetes quantity"),
        // Probes, ports, selectors, references
        breakage(
            "readiness probe on a port the container does not have",
            GATEWAY,
            "path: /ready\n              port: http",
            "path: /ready\n              port: 8081",
            "readinessProbe.httpGet.port: 8081 is not a port of container gateway (its ports:"
                + " http=8080)"),
        breakage(
            "liveness probe on a path the gateway does not serve",
            GATEWAY,
            "path: /health\n              port: http\n            periodSeconds: 10",
            "path: /healthz\n              port: http\n            periodSeconds: 10",
            "livenessProbe: probes /healthz, but the gateway answers this probe on GET /health"),
        breakage(
            "server port not declared",
            GATEWAY,
            "args: [\"serve\", \"--port\", \"8080\"]",
            "args: [\"serve\", \"--port\", \"9090\"]",
            "--port 9090 is not a declared containerPort"),
        breakage(
            "Service selecting no pods",
            "gateway/service.yaml",
            "selector:\n    app.kubernetes.io/name: freshet-gateway",
            "selector:\n    app.kubernetes.io/name: freshet-gatway",
            "Service freshet-gateway: .spec.selector {app.kubernetes.io/name=freshet-gatway}"
                + " matches the pods of no Deployment"),
        breakage(
            "Service targeting a port name the pods do not have",
            "gateway/service.yaml",
            "targetPort: http",
            "targetPort: web",
            ".spec.ports[0].targetPort: 'web' is not a container port"),
        breakage(
            "autoscaler targeting another Deployment",
            "gateway/hpa.yaml",
            "name: freshet-gateway\n  minReplicas",
            "name: freshet-gateway-v2\n  minReplicas",
            "scaleTargetRef apps/v1 Deployment freshet-gateway-v2 is not a Deployment in these"
                + " manifests"),
        breakage(
            "replicas fighting the autoscaler",
            GATEWAY,
            "  revisionHistoryLimit: 5",
            "  replicas: 3\n  revisionHistoryLimit: 5",
            "Deployment freshet-gateway: .spec.replicas is set"),
        breakage(
            "disruption budget that blocks every drain",
            "gateway/pdb.yaml",
            "minAvailable: 1",
            "minAvailable: 2",
            "minAvailable 2 is not below the autoscaler's minReplicas 2"),
        // Secrets and auth
        breakage(
            "secretKeyRef to a key the Secret does not have",
            GATEWAY,
            "key: tokens",
            "key: token",
            "Secret freshet-gateway has no key 'token' (its keys: [kafka-bootstrap-servers, pg-url, redis-url, tokens])"
                + " (did you mean tokens?)"),
        breakage(
            "auth switched off",
            GATEWAY,
            "name: FRESHET_GATEWAY_TOKENS",
            "name: FRESHET_GATEWAY_TOKEN",
            "neither FRESHET_GATEWAY_TOKENS nor FRESHET_GATEWAY_TOKENS_FILE is set, so the gateway"
                + " would serve without auth"),
        breakage(
            "connection URL as a literal",
            GATEWAY,
            "- name: FRESHET_REDIS_URL\n              valueFrom:\n                secretKeyRef:\n"
                + "                  name: freshet-gateway\n                  key: redis-url",
            "- name: FRESHET_REDIS_URL\n              value: redis://cache:6379",
            "env[FRESHET_REDIS_URL]: holds credentials, so it must come from a Secret"),
        breakage(
            "writable root filesystem",
            GATEWAY,
            "readOnlyRootFilesystem: true",
            "readOnlyRootFilesystem: false",
            "securityContext.readOnlyRootFilesystem is not true"),
        breakage(
            "root allowed",
            GATEWAY,
            "runAsNonRoot: true",
            "runAsNonRoot: false",
            "runAsNonRoot is not true"),
        // FlinkDeployment: the operator's model and CRD
        breakage(
            "typo in a FlinkDeployment field",
            JOB,
            "upgradeMode: savepoint",
            "upgradeMod: savepoint",
            ".spec.job.upgradeMod: unknown field (did you mean upgradeMode?)",
            ".spec.job.upgradeMod: unknown field (did you mean upgradeMode?) (operator CRD schema)"),
        breakage(
            "flinkVersion the operator does not know",
            JOB,
            "flinkVersion: v2_2",
            "flinkVersion: v1_12",
            ".spec.flinkVersion: \"v1_12\" is not one of [\"v1_13\","),
        breakage(
            "flinkVersion of another Flink",
            JOB,
            "flinkVersion: v2_2",
            "flinkVersion: v2_1",
            ".spec.flinkVersion v2_1: the job is built against Flink 2.2.1, so it must be v2_2"),
        breakage(
            "unquoted configuration value",
            JOB,
            "taskmanager.numberOfTaskSlots: \"2\"",
            "taskmanager.numberOfTaskSlots: 2",
            ".spec.flinkConfiguration.taskmanager.numberOfTaskSlots: must be a string, got the"
                + " integer 2 (quote it)"),
        // FlinkDeployment: Flink's configuration
        breakage(
            "heap state backend",
            JOB,
            "state.backend.type: rocksdb",
            "state.backend.type: hashmap",
            "state.backend.type is 'hashmap'; it must be rocksdb"),
        breakage(
            "full checkpoints",
            JOB,
            "execution.checkpointing.incremental: \"true\"",
            "execution.checkpointing.incremental: \"false\"",
            "execution.checkpointing.incremental is 'false'; it must be true"),
        breakage(
            "misspelt configuration key",
            JOB,
            "execution.checkpointing.incremental:",
            "execution.checkpointing.incremenatl:",
            ".spec.flinkConfiguration.execution.checkpointing.incremenatl: not a Flink"
                + " configuration key (did you mean execution.checkpointing.incremental?)"),
        breakage(
            "key removed in Flink 2",
            JOB,
            "execution.checkpointing.dir:",
            "state.checkpoints.dir:",
            ".spec.flinkConfiguration.state.checkpoints.dir: deprecated: use"
                + " execution.checkpointing.dir"),
        breakage(
            "value Flink cannot parse",
            JOB,
            "execution.checkpointing.interval: 10 s",
            "execution.checkpointing.interval: 10 parsecs",
            ".spec.flinkConfiguration.execution.checkpointing.interval: Could not parse value"
                + " '10 parsecs'"),
        breakage(
            "checkpoints on a local disk",
            JOB,
            "execution.checkpointing.dir: s3://<REPLACE_ME-bucket>/freshet/checkpoints",
            "execution.checkpointing.dir: file:///tmp/checkpoints",
            "execution.checkpointing.dir: 'file:///tmp/checkpoints' is not in object storage"),
        breakage(
            "HA off",
            JOB,
            "high-availability.type: kubernetes",
            "high-availability.type: NONE",
            "high-availability.type is 'NONE'; it must be kubernetes"),
        breakage(
            "filesystem plugin of another Flink",
            JOB,
            "value: flink-s3-fs-presto-2.2.1.jar",
            "value: flink-s3-fs-presto-2.1.0.jar",
            "ENABLE_BUILT_IN_PLUGINS names flink-s3-fs-presto-2.1.0.jar, but the image (Flink"
                + " 2.2.1) ships opt/<plugin>-2.2.1.jar",
            "the JobManager writes s3:// but ENABLE_BUILT_IN_PLUGINS in its flink-main-container"
                + " enables no filesystem plugin; add flink-s3-fs-presto-2.2.1.jar"),
        breakage(
            "checkpoint interval argument disagreeing with the configuration",
            JOB,
            "- \"10000\"",
            "- \"60000\"",
            "--checkpoint-interval 60000 ms disagrees with execution.checkpointing.interval"
                + " (10000 ms)"),
        breakage(
            "connection setting as a job argument",
            JOB,
            "      - --starting-offsets",
            "      - --redis-url\n      - redis://cache:6379\n      - --starting-offsets",
            ".spec.job.args: --redis-url puts a connection setting in the pod spec in clear; set"
                + " FRESHET_REDIS_URL from a Secret instead"),
        breakage(
            "job jar outside usrlib",
            JOB,
            "local:///opt/flink/usrlib/freshet-feature-job.jar",
            "local:///opt/flink/lib/freshet-feature-job.jar",
            ".spec.job.jarURI 'local:///opt/flink/lib/freshet-feature-job.jar' must be"
                + " local:///opt/flink/usrlib/<name>.jar"),
        breakage(
            "another entry class",
            JOB,
            "entryClass: io.freshet.flink.FeatureJob",
            "entryClass: io.freshet.flink.BackfillJob",
            ".spec.job.entryClass 'io.freshet.flink.BackfillJob' must be"
                + " io.freshet.flink.FeatureJob"),
        breakage(
            "stateless upgrades",
            JOB,
            "upgradeMode: savepoint",
            "upgradeMode: stateless",
            ".spec.job.upgradeMode STATELESS must be savepoint"),
        breakage(
            "main container renamed",
            JOB,
            "- name: flink-main-container",
            "- name: flink",
            ".spec.podTemplate.spec.containers: none is named flink-main-container",
            "FRESHET_KAFKA is not set in the flink-main-container of the JobManager"),
        breakage(
            "JobManager account without its Role",
            JOB,
            "  - kind: ServiceAccount\n    name: freshet-flink",
            "  - kind: ServiceAccount\n    name: default",
            "RoleBinding freshet-flink: .subjects: no ServiceAccount default",
            "ServiceAccount freshet-flink is not bound to a Role allowing"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("breakages")
  void validator_rejects(Breakage breakage) {
    List<String> problems = ManifestValidator.validate(breakage.apply(), PLATFORM);
    assertThat(problems).isNotEmpty();
    for (String expected : breakage.expected()) {
      assertThat(problems).as("problems").anySatisfy(p -> assertThat(p).contains(expected));
    }
  }

  @Test
  void rejects_a_key_given_twice() {
    assertThatThrownBy(
            () ->
                ManifestSet.load(
                    PLATFORM.kubernetesDir(),
                    Map.of(
                        "gateway/service.yaml",
                        t ->
                            t.replace("  type: ClusterIP", "  type: ClusterIP\n  type: NodePort"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gateway/service.yaml: not valid YAML: Duplicate field 'type'");
  }

  @Test
  void rejects_an_unknown_kind() {
    List<String> problems =
        ManifestValidator.validate(
            ManifestSet.load(
                PLATFORM.kubernetesDir(),
                Map.of(
                    "gateway/hpa.yaml", t -> t.replace("autoscaling/v2", "autoscaling/v2beta2"))),
            PLATFORM);
    assertThat(problems)
        .anySatisfy(
            p ->
                assertThat(p)
                    .startsWith("gateway/hpa.yaml: HorizontalPodAutoscaler freshet-gateway:")
                    .contains("autoscaling/v2beta2/HorizontalPodAutoscaler is not a kind"));
  }
}
