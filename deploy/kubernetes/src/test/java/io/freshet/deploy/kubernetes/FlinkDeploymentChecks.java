package io.freshet.deploy.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.freshet.deploy.kubernetes.BoundManifests.Bound;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;
import org.apache.flink.kubernetes.operator.api.spec.JobSpec;
import org.apache.flink.kubernetes.operator.api.spec.JobState;
import org.apache.flink.kubernetes.operator.api.spec.Resource;
import org.apache.flink.kubernetes.operator.api.spec.UpgradeMode;
import org.apache.flink.util.TimeUtils;

/**
 * What the feature job needs from its FlinkDeployment beyond the schema: the Flink it is built for,
 * RocksDB with incremental exactly-once checkpoints, Kubernetes HA, state in object storage with
 * the plugin that reaches it, savepoint upgrades, the job jar and entry class, connection settings
 * from a Secret, and an account allowed to run TaskManagers and HA.
 */
final class FlinkDeploymentChecks {
  static final String FLINK_MAIN_CONTAINER = "flink-main-container";
  static final String FEATURE_JOB_CLASS = "io.freshet.flink.FeatureJob";
  static final String USRLIB = "/opt/flink/usrlib/";

  /** Read by the job's main(), which runs in the JobManager in application mode. */
  static final List<String> JOB_SECRET_ENV =
      List.of("FRESHET_KAFKA", "FRESHET_PG_URL", "FRESHET_REDIS_URL");

  /** Job arguments that would put a connection setting in the pod spec, in clear. */
  private static final Map<String, String> SECRET_ARGS =
      Map.of(
          "--kafka", "FRESHET_KAFKA",
          "--pg-url", "FRESHET_PG_URL",
          "--redis-url", "FRESHET_REDIS_URL");

  /**
   * Object stores, with the plugins (jar names in the image's opt/, less the version) per scheme.
   */
  private static final Map<String, List<String>> OBJECT_STORE_PLUGINS =
      Map.of(
          "s3", List.of("flink-s3-fs-presto", "flink-s3-fs-hadoop"),
          "s3p", List.of("flink-s3-fs-presto"),
          "s3a", List.of("flink-s3-fs-hadoop"),
          "gs", List.of("flink-gs-fs-hadoop"),
          "abfs", List.of("flink-azure-fs-hadoop"),
          "abfss", List.of("flink-azure-fs-hadoop"),
          "wasb", List.of("flink-azure-fs-hadoop"),
          "wasbs", List.of("flink-azure-fs-hadoop"),
          "oss", List.of("flink-oss-fs-hadoop"));

  private static final List<String> STATE_DIRS =
      List.of(
          "execution.checkpointing.dir",
          "execution.checkpointing.savepoint-dir",
          "high-availability.storageDir");

  private final BoundManifests bound;
  private final Platform platform;

  FlinkDeploymentChecks(BoundManifests bound, Platform platform) {
    this.bound = bound;
    this.platform = platform;
  }

  void run() {
    bound.flinkDeployments.forEach(this::check);
  }

  private void check(Bound<FlinkDeploymentSpec> f) {
    String where = f.doc().where();
    FlinkDeploymentSpec spec = f.object();
    String version = f.doc().tree().path("spec").path("flinkVersion").asText("");
    if (!version.equals(platform.operatorFlinkVersion())) {
      bound.problem(
          where,
          ".spec.flinkVersion %s: the job is built against Flink %s, so it must be %s",
          version.isEmpty() ? "(missing)" : version,
          platform.flinkVersion,
          platform.operatorFlinkVersion());
    }
    if (spec.getImage() == null || spec.getImage().isBlank()) {
      bound.problem(where, ".spec.image is missing");
    }
    checkServiceAccount(where, spec.getServiceAccount());

    Map<String, String> conf = configuration(f);
    Set<String> schemes = stateDirSchemes(where, conf);
    PodTemplateSpec shared = spec.getPodTemplate();
    Map<String, EnvVar> jobManagerEnv =
        mainContainerEnv(
            shared, spec.getJobManager() == null ? null : spec.getJobManager().getPodTemplate());
    Map<String, EnvVar> taskManagerEnv =
        mainContainerEnv(
            shared, spec.getTaskManager() == null ? null : spec.getTaskManager().getPodTemplate());
    checkFilesystemPlugins(where, schemes, "JobManager", jobManagerEnv);
    checkFilesystemPlugins(where, schemes, "TaskManager", taskManagerEnv);
    for (String name : JOB_SECRET_ENV) {
      if (!jobManagerEnv.containsKey(name)) {
        bound.problem(
            where,
            "%s is not set in the %s of the JobManager, where the job's main() reads it; set it"
                + " in .spec.podTemplate from a Secret",
            name,
            FLINK_MAIN_CONTAINER);
      }
    }
    checkMainContainer(where, ".spec.podTemplate", shared);
    if (spec.getJobManager() != null) {
      checkMainContainer(
          where, ".spec.jobManager.podTemplate", spec.getJobManager().getPodTemplate());
    }
    if (spec.getTaskManager() != null) {
      checkMainContainer(
          where, ".spec.taskManager.podTemplate", spec.getTaskManager().getPodTemplate());
    }
    checkPodSecurity(where, shared);
    checkMetricsAnnotation(where, shared, conf);
    checkJob(where, spec.getJob(), conf);
    if (spec.getJobManager() == null || spec.getJobManager().getReplicas() < 1) {
      bound.problem(where, ".spec.jobManager.replicas must be at least 1");
    }
    checkResource(
        where,
        ".spec.jobManager.resource",
        spec.getJobManager() == null ? null : spec.getJobManager().getResource());
    checkResource(
        where,
        ".spec.taskManager.resource",
        spec.getTaskManager() == null ? null : spec.getTaskManager().getResource());
  }

  private void checkServiceAccount(String where, String account) {
    if (account == null || account.isBlank()) {
      bound.problem(
          where,
          ".spec.serviceAccount is missing: the JobManager needs an account that may create"
              + " TaskManager pods and HA ConfigMaps");
      return;
    }
    if (bound.named(ServiceAccount.class, account).isEmpty()) {
      bound.problem(
          where, ".spec.serviceAccount: no ServiceAccount %s in these manifests", account);
      return;
    }
    Set<String> verbs = new TreeSet<>(Set.of("get", "list", "watch", "create", "update", "delete"));
    if (!KubernetesChecks.allowed(bound, account, Set.of("pods", "configmaps"), verbs)) {
      bound.problem(
          where,
          "ServiceAccount %s is not bound to a Role allowing %s on pods and configmaps"
              + " (TaskManager pods and Kubernetes HA need them)",
          account,
          verbs);
    }
  }

  /** flinkConfiguration as text, checked against Flink's options and the settings required. */
  private Map<String, String> configuration(Bound<FlinkDeploymentSpec> f) {
    String where = f.doc().where();
    JsonNode raw = f.doc().tree().path("spec").path("flinkConfiguration");
    Map<String, String> conf = new LinkedHashMap<>();
    if (!raw.isObject()) {
      bound.problem(where, ".spec.flinkConfiguration is missing");
      return conf;
    }
    raw.fields()
        .forEachRemaining(
            e -> {
              if (e.getValue().isTextual()) {
                conf.put(e.getKey(), e.getValue().asText());
              } else {
                bound.problem(
                    where,
                    ".spec.flinkConfiguration.%s: %s must be a string: quote it (operators before"
                        + " 1.11 accept nothing else)",
                    e.getKey(),
                    e.getValue());
              }
            });
    for (String problem : platform.flinkOptions.check(conf)) {
      bound.problem(where, ".spec.flinkConfiguration.%s", problem);
    }
    require(where, conf, "state.backend.type", "rocksdb", "window state must live in RocksDB");
    require(
        where,
        conf,
        "execution.checkpointing.incremental",
        "true",
        "checkpoints upload only the RocksDB files that changed");
    require(
        where,
        conf,
        "execution.checkpointing.mode",
        "EXACTLY_ONCE",
        "the sinks write exactly once only under exactly-once checkpoints");
    require(
        where,
        conf,
        "high-availability.type",
        "kubernetes",
        "a restarted JobManager finds the job and its latest checkpoint");
    if (!conf.containsKey("execution.checkpointing.interval")) {
      bound.problem(
          where,
          ".spec.flinkConfiguration.execution.checkpointing.interval is not set: without"
              + " checkpoints the sinks never commit");
    }
    return conf;
  }

  private void require(
      String where, Map<String, String> conf, String key, String expected, String why) {
    String actual = conf.get(key);
    if (actual == null || !actual.trim().equalsIgnoreCase(expected)) {
      bound.problem(
          where,
          ".spec.flinkConfiguration.%s is %s; it must be %s (%s)",
          key,
          actual == null ? "not set" : "'" + actual + "'",
          expected,
          why);
    }
  }

  private Set<String> stateDirSchemes(String where, Map<String, String> conf) {
    Set<String> schemes = new TreeSet<>();
    for (String key : STATE_DIRS) {
      String dir = conf.get(key);
      if (dir == null) {
        bound.problem(where, ".spec.flinkConfiguration.%s is not set", key);
        continue;
      }
      int colon = dir.indexOf("://");
      String scheme = colon < 0 ? "" : dir.substring(0, colon).toLowerCase(Locale.ROOT);
      if (OBJECT_STORE_PLUGINS.containsKey(scheme)) {
        schemes.add(scheme);
      } else {
        bound.problem(
            where,
            ".spec.flinkConfiguration.%s: '%s' is not in object storage (%s): every JobManager"
                + " and TaskManager must reach it, and it must outlive them",
            key,
            dir,
            new TreeSet<>(OBJECT_STORE_PLUGINS.keySet()));
      }
    }
    return schemes;
  }

  private void checkFilesystemPlugins(
      String where, Set<String> schemes, String role, Map<String, EnvVar> env) {
    if (schemes.isEmpty()) {
      return;
    }
    EnvVar var = env.get("ENABLE_BUILT_IN_PLUGINS");
    String suffix = "-" + platform.flinkVersion + ".jar";
    Set<String> plugins = new TreeSet<>();
    if (var != null && var.getValue() != null) {
      for (String jar : var.getValue().split(";")) {
        if (jar.trim().endsWith(suffix)) {
          plugins.add(jar.trim().substring(0, jar.trim().length() - suffix.length()));
        } else {
          bound.problem(
              where,
              "ENABLE_BUILT_IN_PLUGINS names %s, but the image (Flink %s) ships opt/<plugin>%s",
              jar.trim(),
              platform.flinkVersion,
              suffix);
        }
      }
    }
    for (String scheme : schemes) {
      List<String> serving = OBJECT_STORE_PLUGINS.get(scheme);
      if (serving.stream().noneMatch(plugins::contains)) {
        bound.problem(
            where,
            "the %s writes %s:// but ENABLE_BUILT_IN_PLUGINS in its %s enables %s; add %s%s",
            role,
            scheme,
            FLINK_MAIN_CONTAINER,
            plugins.isEmpty() ? "no filesystem plugin" : plugins,
            serving.get(0),
            suffix);
      }
    }
  }

  /** The main container's env as the operator merges it: the role's template over the shared. */
  private static Map<String, EnvVar> mainContainerEnv(
      PodTemplateSpec shared, PodTemplateSpec role) {
    Map<String, EnvVar> env = new LinkedHashMap<>();
    for (PodTemplateSpec template : Arrays.asList(shared, role)) {
      if (template != null && template.getSpec() != null) {
        template.getSpec().getContainers().stream()
            .filter(c -> FLINK_MAIN_CONTAINER.equals(c.getName()))
            .flatMap(c -> c.getEnv().stream())
            .forEach(e -> env.put(e.getName(), e));
      }
    }
    return env;
  }

  private void checkMainContainer(String where, String path, PodTemplateSpec template) {
    if (template == null || template.getSpec() == null) {
      return;
    }
    List<Container> containers = template.getSpec().getContainers();
    if (!containers.isEmpty()
        && containers.stream().noneMatch(c -> FLINK_MAIN_CONTAINER.equals(c.getName()))) {
      bound.problem(
          where,
          "%s.spec.containers: none is named %s, so the operator adds %s as sidecars and the"
              + " Flink container gets none of their settings",
          path,
          FLINK_MAIN_CONTAINER,
          containers.stream().map(Container::getName).toList());
    }
  }

  private void checkPodSecurity(String where, PodTemplateSpec template) {
    PodSecurityContext pod =
        template == null || template.getSpec() == null
            ? null
            : template.getSpec().getSecurityContext();
    if (pod == null || !Boolean.TRUE.equals(pod.getRunAsNonRoot())) {
      bound.problem(where, ".spec.podTemplate.spec.securityContext.runAsNonRoot is not true");
    } else if (pod.getRunAsUser() == null || pod.getRunAsUser() == 0) {
      bound.problem(
          where,
          ".spec.podTemplate.spec.securityContext.runAsUser must name the image's flink user"
              + " (9999): its USER is a name, which runAsNonRoot cannot check");
    }
  }

  private void checkMetricsAnnotation(
      String where, PodTemplateSpec template, Map<String, String> conf) {
    String reporterPort = conf.get("metrics.reporter.prom.port");
    String annotated =
        template == null || template.getMetadata() == null
            ? null
            : KubernetesChecks.orEmpty(template.getMetadata().getAnnotations())
                .get("prometheus.io/port");
    if (reporterPort != null && annotated != null && !reporterPort.equals(annotated)) {
      bound.problem(
          where,
          ".spec.podTemplate.metadata.annotations[prometheus.io/port] %s is not the Prometheus"
              + " reporter's port %s",
          annotated,
          reporterPort);
    }
  }

  private void checkJob(String where, JobSpec job, Map<String, String> conf) {
    if (job == null) {
      bound.problem(
          where, ".spec.job is missing: without it the operator starts a session cluster");
      return;
    }
    String jar = job.getJarURI();
    if (jar == null || !jar.matches("local://" + Pattern.quote(USRLIB) + "[^/]+\\.jar")) {
      bound.problem(
          where,
          ".spec.job.jarURI '%s' must be local://%s<name>.jar, where the image puts the job jar"
              + " (usrlib is on the user classpath)",
          jar,
          USRLIB);
    }
    if (!FEATURE_JOB_CLASS.equals(job.getEntryClass())) {
      bound.problem(
          where, ".spec.job.entryClass '%s' must be %s", job.getEntryClass(), FEATURE_JOB_CLASS);
    }
    if (job.getUpgradeMode() != UpgradeMode.SAVEPOINT) {
      bound.problem(
          where,
          ".spec.job.upgradeMode %s must be savepoint: an upgrade stops the job with a savepoint"
              + " and starts the new one from it, keeping window state",
          job.getUpgradeMode());
    }
    if (job.getState() != null && job.getState() != JobState.RUNNING) {
      bound.problem(where, ".spec.job.state %s: the job would not run", job.getState());
    }
    if (job.getParallelism() < 1) {
      bound.problem(where, ".spec.job.parallelism must be at least 1");
    }
    List<String> args = job.getArgs() == null ? List.of() : Arrays.asList(job.getArgs());
    for (String arg : args) {
      String flag = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
      if (SECRET_ARGS.containsKey(flag)) {
        bound.problem(
            where,
            ".spec.job.args: %s puts a connection setting in the pod spec in clear; set %s from a"
                + " Secret instead",
            flag,
            SECRET_ARGS.get(flag));
      }
    }
    String views = valueOf(args, "--views");
    if (views == null || views.isBlank()) {
      bound.problem(where, ".spec.job.args: --views is missing (the views the job runs)");
    }
    String argInterval = valueOf(args, "--checkpoint-interval");
    long confInterval = millis(conf.get("execution.checkpointing.interval"));
    if (argInterval != null
        && confInterval >= 0
        && !argInterval.equals(String.valueOf(confInterval))) {
      bound.problem(
          where,
          ".spec.job.args: --checkpoint-interval %s ms disagrees with"
              + " execution.checkpointing.interval (%d ms); the job's setting wins, so make them"
              + " equal",
          argInterval,
          confInterval);
    }
  }

  private static long millis(String duration) {
    try {
      return duration == null ? -1 : TimeUtils.parseDuration(duration).toMillis();
    } catch (RuntimeException e) {
      return -1;
    }
  }

  private static String valueOf(List<String> args, String flag) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals(flag)) {
        return i + 1 < args.size() ? args.get(i + 1) : "";
      }
      if (args.get(i).startsWith(flag + "=")) {
        return args.get(i).substring(flag.length() + 1);
      }
    }
    return null;
  }

  private void checkResource(String where, String path, Resource resource) {
    if (resource == null || resource.getMemory() == null || resource.getCpu() == null) {
      bound.problem(where, "%s needs memory and cpu", path);
      return;
    }
    try {
      MemorySize.parse(resource.getMemory());
    } catch (IllegalArgumentException e) {
      bound.problem(
          where,
          "%s.memory '%s' is not a Flink memory size (e.g. 2048m, 4g)",
          path,
          resource.getMemory());
    }
    if (resource.getCpu() <= 0) {
      bound.problem(where, "%s.cpu must be above 0", path);
    }
  }
}
