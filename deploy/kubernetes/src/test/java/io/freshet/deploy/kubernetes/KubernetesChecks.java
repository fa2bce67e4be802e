package io.freshet.deploy.kubernetes;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.CrossVersionObjectReference;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.freshet.deploy.kubernetes.BoundManifests.Bound;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;

/**
 * The rules between Kubernetes objects that a schema cannot express: what probes, Services,
 * autoscalers, budgets and bindings point at exists; every Secret reference names a key the Secret
 * has; the gateway runs hardened, probed and with auth on.
 */
final class KubernetesChecks {
  static final String COMPONENT_LABEL = "app.kubernetes.io/component";
  static final String GATEWAY_COMPONENT = "gateway";
  static final String TOKENS_ENV = "FRESHET_GATEWAY_TOKENS";
  static final String TOKENS_FILE_ENV = "FRESHET_GATEWAY_TOKENS_FILE";
  static final List<String> GATEWAY_SECRET_ENV = List.of("FRESHET_REDIS_URL", "FRESHET_PG_URL");

  /** Variables that hold credentials: only ever from a Secret, never a literal. */
  static final Set<String> SENSITIVE_ENV =
      Set.of(
          "FRESHET_KAFKA",
          "FRESHET_PG_URL",
          "FRESHET_REDIS_URL",
          TOKENS_ENV,
          "AWS_ACCESS_KEY_ID",
          "AWS_SECRET_ACCESS_KEY");

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern LABEL_NAME =
      Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  private static final Pattern SECRET_KEY = Pattern.compile("[-._a-zA-Z0-9]+");

  /** A pod template somewhere in a workload, for the checks every pod gets. */
  private record Pod(String where, String path, PodTemplateSpec template) {
    PodSpec spec() {
      return template.getSpec() == null ? new PodSpec() : template.getSpec();
    }

    ObjectMeta metadata() {
      return template.getMetadata() == null ? new ObjectMeta() : template.getMetadata();
    }
  }

  private final BoundManifests bound;

  KubernetesChecks(BoundManifests bound) {
    this.bound = bound;
  }

  void run() {
    pods().forEach(this::checkPod);
    bound.all(Deployment.class).forEach(this::checkDeployment);
    checkGateway();
    bound.all(Service.class).forEach(this::checkService);
    bound.all(HorizontalPodAutoscaler.class).forEach(this::checkAutoscaler);
    bound.all(PodDisruptionBudget.class).forEach(this::checkDisruptionBudget);
    bound.all(RoleBinding.class).forEach(this::checkRoleBinding);
    bound.all(Secret.class).forEach(this::checkSecret);
  }

  // ---------------------------------------------------------------- every pod

  /** Deployment templates and the FlinkDeployment's pod templates. */
  private List<Pod> pods() {
    List<Pod> pods = new ArrayList<>();
    for (Bound<Deployment> d : bound.all(Deployment.class)) {
      if (d.object().getSpec() != null && d.object().getSpec().getTemplate() != null) {
        pods.add(new Pod(d.doc().where(), ".spec.template", d.object().getSpec().getTemplate()));
      }
    }
    for (Bound<FlinkDeploymentSpec> f : bound.flinkDeployments) {
      FlinkDeploymentSpec spec = f.object();
      Map<String, PodTemplateSpec> templates = new LinkedHashMap<>();
      templates.put(".spec.podTemplate", spec.getPodTemplate());
      templates.put(
          ".spec.jobManager.podTemplate",
          spec.getJobManager() == null ? null : spec.getJobManager().getPodTemplate());
      templates.put(
          ".spec.taskManager.podTemplate",
          spec.getTaskManager() == null ? null : spec.getTaskManager().getPodTemplate());
      templates.forEach(
          (path, template) -> {
            if (template != null) {
              pods.add(new Pod(f.doc().where(), path, template));
            }
          });
    }
    return pods;
  }

  private void checkPod(Pod pod) {
    checkLabels(bound, pod.where(), pod.path() + ".metadata.labels", pod.metadata().getLabels());
    PodSpec spec = pod.spec();
    String account = spec.getServiceAccountName();
    if (account != null && bound.named(ServiceAccount.class, account).isEmpty()) {
      bound.problem(
          pod.where(),
          "%s.spec.serviceAccountName: no ServiceAccount %s in these manifests",
          pod.path(),
          account);
    }
    Set<String> volumes =
        spec.getVolumes().stream().map(Volume::getName).collect(Collectors.toSet());
    for (int i = 0; i < spec.getContainers().size(); i++) {
      Container c = spec.getContainers().get(i);
      String path = pod.path() + ".spec.containers[" + i + "]";
      if (c.getName() == null || !DNS_LABEL.matcher(c.getName()).matches()) {
        bound.problem(pod.where(), "%s.name: '%s' is not a DNS label", path, c.getName());
      }
      checkEnv(pod.where(), path, c);
      checkPorts(pod.where(), path, c);
      for (VolumeMount mount : c.getVolumeMounts()) {
        if (!volumes.contains(mount.getName())) {
          bound.problem(
              pod.where(),
              "%s.volumeMounts: no volume %s in the pod (volumes: %s)",
              path,
              mount.getName(),
              volumes);
        }
      }
      checkQuantities(pod.where(), path, c);
    }
    checkPrometheusAnnotations(pod);
  }

  private void checkEnv(String where, String path, Container c) {
    Set<String> names = new HashSet<>();
    for (EnvVar env : c.getEnv()) {
      String at = path + ".env[" + env.getName() + "]";
      if (!names.add(env.getName())) {
        bound.problem(where, "%s: set twice", at);
      }
      SecretKeySelector ref =
          env.getValueFrom() == null ? null : env.getValueFrom().getSecretKeyRef();
      if (ref != null) {
        checkSecretKey(where, at, ref.getName(), ref.getKey());
        if (Boolean.TRUE.equals(ref.getOptional())) {
          bound.problem(where, "%s: optional: true would start the pod without it", at);
        }
      } else if (SENSITIVE_ENV.contains(env.getName())) {
        bound.problem(
            where,
            "%s: holds credentials, so it must come from a Secret (valueFrom.secretKeyRef), not a"
                + " literal value",
            at);
      }
    }
    for (EnvFromSource from : c.getEnvFrom()) {
      if (from.getSecretRef() != null) {
        String secret = from.getSecretRef().getName();
        bound.referencedSecrets.add(secret);
        if (bound.named(Secret.class, secret).isEmpty()) {
          bound.problem(where, "%s.envFrom: no Secret %s in these manifests", path, secret);
        }
      }
    }
  }

  private void checkSecretKey(String where, String at, String secretName, String key) {
    bound.referencedSecrets.add(secretName);
    Optional<Secret> secret = bound.named(Secret.class, secretName);
    if (secret.isEmpty()) {
      bound.problem(
          where,
          "%s: secretKeyRef names Secret %s, which these manifests do not define (Secrets: %s)",
          at,
          secretName,
          bound.names(Secret.class));
      return;
    }
    Set<String> keys = secretKeys(secret.get());
    if (!keys.contains(key)) {
      bound.problem(
          where,
          "%s: Secret %s has no key '%s' (its keys: %s)%s",
          at,
          secretName,
          key,
          keys,
          Suggestions.didYouMean(key, keys));
    }
  }

  private void checkPorts(String where, String path, Container c) {
    Set<String> names = new HashSet<>();
    for (ContainerPort port : c.getPorts()) {
      Integer number = port.getContainerPort();
      if (number == null || number < 1 || number > 65535) {
        bound.problem(where, "%s.ports: containerPort %s is not 1-65535", path, number);
      }
      String name = port.getName();
      if (name == null) {
        continue;
      }
      if (!DNS_LABEL.matcher(name).matches()
          || name.length() > 15
          || name.chars().noneMatch(Character::isLetter)) {
        bound.problem(
            where,
            "%s.ports: name '%s' is not an IANA service name (at most 15 lower-case letters,"
                + " digits, '-')",
            path,
            name);
      }
      if (!names.add(name)) {
        bound.problem(where, "%s.ports: name %s is used twice", path, name);
      }
    }
  }

  private void checkQuantities(String where, String path, Container c) {
    if (c.getResources() == null) {
      return;
    }
    Map<String, Map<String, Quantity>> byKind = new LinkedHashMap<>();
    byKind.put("requests", orEmpty(c.getResources().getRequests()));
    byKind.put("limits", orEmpty(c.getResources().getLimits()));
    byKind.forEach(
        (kind, quantities) ->
            quantities.forEach(
                (resource, quantity) -> {
                  if (amount(quantity) == null) {
                    bound.problem(
                        where,
                        "%s.resources.%s.%s: '%s' is not a Kubernetes quantity (e.g. 500m, 2, 1Gi)",
                        path,
                        kind,
                        resource,
                        quantity);
                  }
                }));
    for (String resource : List.of("cpu", "memory")) {
      BigDecimal request = amount(byKind.get("requests").get(resource));
      BigDecimal limit = amount(byKind.get("limits").get(resource));
      if (request != null && limit != null && request.compareTo(limit) > 0) {
        bound.problem(
            where,
            "%s.resources: %s request %s is above its limit %s",
            path,
            resource,
            byKind.get("requests").get(resource),
            byKind.get("limits").get(resource));
      }
    }
  }

  private void checkPrometheusAnnotations(Pod pod) {
    Map<String, String> annotations = orEmpty(pod.metadata().getAnnotations());
    if (!"true".equals(annotations.get("prometheus.io/scrape"))) {
      return;
    }
    String port = annotations.get("prometheus.io/port");
    Set<Integer> ports =
        pod.spec().getContainers().stream()
            .flatMap(c -> c.getPorts().stream())
            .map(ContainerPort::getContainerPort)
            .collect(Collectors.toCollection(TreeSet::new));
    if (port == null || !port.matches("\\d+") || !ports.contains(Integer.parseInt(port))) {
      bound.problem(
          pod.where(),
          "%s.metadata.annotations[prometheus.io/port]: %s is not a port of the pod's containers"
              + " %s",
          pod.path(),
          port,
          ports);
    }
    String path = annotations.get("prometheus.io/path");
    if (path != null && !path.startsWith("/")) {
      bound.problem(
          pod.where(),
          "%s.metadata.annotations[prometheus.io/path]: '%s' must start with /",
          pod.path(),
          path);
    }
  }

  // ---------------------------------------------------------------- Deployments and the gateway

  private void checkDeployment(Bound<Deployment> d) {
    String where = d.doc().where();
    var spec = d.object().getSpec();
    if (spec == null || spec.getTemplate() == null || spec.getTemplate().getSpec() == null) {
      bound.problem(where, ".spec.template.spec is missing");
      return;
    }
    Map<String, String> selector =
        spec.getSelector() == null ? Map.of() : orEmpty(spec.getSelector().getMatchLabels());
    Map<String, String> podLabels = labels(spec.getTemplate().getMetadata());
    if (selector.isEmpty()) {
      bound.problem(where, ".spec.selector.matchLabels is empty");
    } else if (!podLabels.entrySet().containsAll(selector.entrySet())) {
      bound.problem(
          where,
          ".spec.selector.matchLabels %s does not select the pod template's labels %s",
          selector,
          podLabels);
    }
    PodSpec pod = spec.getTemplate().getSpec();
    for (int i = 0; i < pod.getContainers().size(); i++) {
      Container c = pod.getContainers().get(i);
      String path = ".spec.template.spec.containers[" + i + "]";
      checkProbes(where, path, c);
      checkResources(where, path, c);
      checkContainerSecurity(where, path, pod.getSecurityContext(), c);
    }
  }

  private void checkProbes(String where, String path, Container c) {
    if (c.getLivenessProbe() == null) {
      bound.problem(where, "%s.livenessProbe is missing", path);
    }
    if (c.getReadinessProbe() == null) {
      bound.problem(where, "%s.readinessProbe is missing", path);
    }
    Map<String, Probe> probes = new LinkedHashMap<>();
    probes.put("startupProbe", c.getStartupProbe());
    probes.put("livenessProbe", c.getLivenessProbe());
    probes.put("readinessProbe", c.getReadinessProbe());
    probes.forEach(
        (name, probe) -> {
          if (probe == null || probe.getHttpGet() == null) {
            return;
          }
          HTTPGetAction get = probe.getHttpGet();
          if (get.getPath() == null || !get.getPath().startsWith("/")) {
            bound.problem(
                where, "%s.%s.httpGet.path: '%s' must start with /", path, name, get.getPath());
          }
          if (resolvePort(c, get.getPort()).isEmpty()) {
            bound.problem(
                where,
                "%s.%s.httpGet.port: %s is not a port of container %s (its ports: %s)",
                path,
                name,
                describe(get.getPort()),
                c.getName(),
                portList(c));
          }
        });
  }

  private void checkResources(String where, String path, Container c) {
    Map<String, Quantity> requests =
        c.getResources() == null ? Map.of() : orEmpty(c.getResources().getRequests());
    Map<String, Quantity> limits =
        c.getResources() == null ? Map.of() : orEmpty(c.getResources().getLimits());
    for (String resource : List.of("cpu", "memory")) {
      if (!requests.containsKey(resource)) {
        bound.problem(where, "%s.resources.requests.%s is missing", path, resource);
      }
    }
    if (!limits.containsKey("memory")) {
      bound.problem(
          where, "%s.resources.limits.memory is missing (the JVM sizes its heap from it)", path);
    }
  }

  private void checkContainerSecurity(
      String where, String path, PodSecurityContext pod, Container c) {
    SecurityContext sc =
        c.getSecurityContext() == null ? new SecurityContext() : c.getSecurityContext();
    Boolean podNonRoot = pod == null ? null : pod.getRunAsNonRoot();
    boolean nonRoot =
        sc.getRunAsNonRoot() != null ? sc.getRunAsNonRoot() : Boolean.TRUE.equals(podNonRoot);
    if (!nonRoot) {
      bound.problem(where, "%s: runAsNonRoot is not true (pod or container securityContext)", path);
    }
    Long uid =
        sc.getRunAsUser() != null ? sc.getRunAsUser() : pod == null ? null : pod.getRunAsUser();
    if (uid != null && uid == 0) {
      bound.problem(where, "%s: runAsUser 0 is root", path);
    }
    if (!Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) {
      bound.problem(where, "%s.securityContext.readOnlyRootFilesystem is not true", path);
    } else if (c.getVolumeMounts().stream().noneMatch(m -> "/tmp".equals(m.getMountPath()))) {
      bound.problem(
          where,
          "%s: the root filesystem is read-only but nothing is mounted at /tmp (the JVM and Netty"
              + " write there): mount an emptyDir",
          path);
    }
    if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) {
      bound.problem(where, "%s.securityContext.allowPrivilegeEscalation is not false", path);
    }
    if (sc.getCapabilities() == null || !sc.getCapabilities().getDrop().contains("ALL")) {
      bound.problem(where, "%s.securityContext.capabilities.drop does not drop ALL", path);
    }
  }

  private void checkGateway() {
    List<Bound<Deployment>> gateways =
        bound.all(Deployment.class).stream()
            .filter(
                d ->
                    GATEWAY_COMPONENT.equals(labels(d.object().getMetadata()).get(COMPONENT_LABEL)))
            .toList();
    if (gateways.isEmpty()) {
      bound.problem(
          "no gateway Deployment (a Deployment labelled "
              + COMPONENT_LABEL
              + "="
              + GATEWAY_COMPONENT
              + ")");
    }
    gateways.forEach(this::checkGatewayContainer);
  }

  private void checkGatewayContainer(Bound<Deployment> d) {
    String where = d.doc().where();
    PodSpec pod = d.object().getSpec().getTemplate().getSpec();
    if (pod == null || pod.getContainers().isEmpty()) {
      return;
    }
    Container c = pod.getContainers().get(0);
    String path = ".spec.template.spec.containers[0]";
    expectProbePath(where, path + ".livenessProbe", c.getLivenessProbe(), "/health");
    expectProbePath(where, path + ".readinessProbe", c.getReadinessProbe(), "/ready");
    Set<String> env = c.getEnv().stream().map(EnvVar::getName).collect(Collectors.toSet());
    for (String name : GATEWAY_SECRET_ENV) {
      if (!env.contains(name)) {
        bound.problem(where, "%s.env: %s is not set (from a Secret)", path, name);
      }
    }
    if (!env.contains(TOKENS_ENV) && !env.contains(TOKENS_FILE_ENV)) {
      bound.problem(
          where,
          "%s.env: neither %s nor %s is set, so the gateway would serve without auth; set %s from"
              + " a Secret",
          path,
          TOKENS_ENV,
          TOKENS_FILE_ENV,
          TOKENS_ENV);
    }
    List<String> args = c.getArgs();
    if (!args.isEmpty() && !args.get(0).equals("serve")) {
      bound.problem(where, "%s.args: %s does not run the gateway (freshet serve)", path, args);
    }
    int port = args.indexOf("--port");
    if (port >= 0 && port + 1 < args.size()) {
      String value = args.get(port + 1);
      if (c.getPorts().stream()
          .noneMatch(p -> String.valueOf(p.getContainerPort()).equals(value))) {
        bound.problem(
            where,
            "%s.args: --port %s is not a declared containerPort (ports: %s)",
            path,
            value,
            portList(c));
      }
    }
    if (!c.getCommand().isEmpty()) {
      bound.problem(
          where,
          "%s.command replaces the image's entrypoint (java ... FreshetCommand); use args",
          path);
    }
  }

  private void expectProbePath(String where, String path, Probe probe, String expected) {
    if (probe == null) {
      return;
    }
    String actual = probe.getHttpGet() == null ? null : probe.getHttpGet().getPath();
    if (!expected.equals(actual)) {
      bound.problem(
          where,
          "%s: probes %s, but the gateway answers this probe on GET %s",
          path,
          actual == null ? "no HTTP path" : actual,
          expected);
    }
  }

  // ---------------------------------------------------------------- Services, HPA, PDB, RBAC

  private List<Bound<Deployment>> selectedBy(Map<String, String> selector) {
    return bound.all(Deployment.class).stream()
        .filter(
            d ->
                d.object().getSpec() != null
                    && d.object().getSpec().getTemplate() != null
                    && labels(d.object().getSpec().getTemplate().getMetadata())
                        .entrySet()
                        .containsAll(selector.entrySet()))
        .toList();
  }

  private void checkService(Bound<Service> s) {
    String where = s.doc().where();
    Map<String, String> selector =
        s.object().getSpec() == null ? Map.of() : orEmpty(s.object().getSpec().getSelector());
    if (selector.isEmpty()) {
      bound.problem(where, ".spec.selector is empty: the Service would have no endpoints");
      return;
    }
    List<Bound<Deployment>> targets = selectedBy(selector);
    if (targets.isEmpty()) {
      bound.problem(
          where,
          ".spec.selector %s matches the pods of no Deployment here (their labels: %s)",
          selector,
          bound.all(Deployment.class).stream()
              .map(d -> labels(d.object().getSpec().getTemplate().getMetadata()))
              .toList());
      return;
    }
    List<ServicePort> ports = s.object().getSpec().getPorts();
    for (int i = 0; i < ports.size(); i++) {
      ServicePort port = ports.get(i);
      IntOrString target =
          port.getTargetPort() != null ? port.getTargetPort() : new IntOrString(port.getPort());
      for (Bound<Deployment> d : targets) {
        boolean found =
            d.object().getSpec().getTemplate().getSpec().getContainers().stream()
                .anyMatch(c -> resolvePort(c, target).isPresent());
        if (!found) {
          bound.problem(
              where,
              ".spec.ports[%d].targetPort: %s is not a container port of %s",
              i,
              describe(target),
              d.doc().where());
        }
      }
    }
  }

  private void checkAutoscaler(Bound<HorizontalPodAutoscaler> h) {
    String where = h.doc().where();
    var spec = h.object().getSpec();
    CrossVersionObjectReference target = spec.getScaleTargetRef();
    Optional<Bound<Deployment>> deployment =
        target == null
            ? Optional.empty()
            : bound.all(Deployment.class).stream()
                .filter(d -> d.object().getMetadata().getName().equals(target.getName()))
                .findFirst();
    if (target == null
        || !"apps/v1".equals(target.getApiVersion())
        || !"Deployment".equals(target.getKind())
        || deployment.isEmpty()) {
      bound.problem(
          where,
          ".spec.scaleTargetRef %s is not a Deployment in these manifests (Deployments: %s)",
          target == null
              ? "(missing)"
              : target.getApiVersion() + " " + target.getKind() + " " + target.getName(),
          bound.names(Deployment.class));
    }
    Integer min = spec.getMinReplicas();
    if (min == null || min < 2) {
      bound.problem(where, ".spec.minReplicas should be at least 2 (one replica is an outage)");
    }
    if (spec.getMaxReplicas() == null || (min != null && spec.getMaxReplicas() < min)) {
      bound.problem(where, ".spec.maxReplicas %s is below minReplicas", spec.getMaxReplicas());
    }
    List<MetricSpec> cpu =
        spec.getMetrics().stream()
            .filter(
                m ->
                    "Resource".equals(m.getType())
                        && m.getResource() != null
                        && "cpu".equals(m.getResource().getName()))
            .toList();
    if (cpu.isEmpty()) {
      bound.problem(where, ".spec.metrics has no Resource cpu metric");
    }
    for (MetricSpec metric : cpu) {
      var metricTarget = metric.getResource().getTarget();
      if (metricTarget == null
          || !"Utilization".equals(metricTarget.getType())
          || metricTarget.getAverageUtilization() == null) {
        bound.problem(
            where, "the cpu metric needs target type Utilization with averageUtilization");
      }
    }
    deployment.ifPresent(
        d -> {
          if (d.object().getSpec().getReplicas() != null) {
            bound.problem(
                d.doc().where(),
                ".spec.replicas is set, but %s owns the replica count: every apply would reset it;"
                    + " remove it",
                where);
          }
          for (Container c : d.object().getSpec().getTemplate().getSpec().getContainers()) {
            if (c.getResources() == null
                || !orEmpty(c.getResources().getRequests()).containsKey("cpu")) {
              bound.problem(
                  d.doc().where(),
                  "container %s has no cpu request, so %s cannot compute CPU utilization",
                  c.getName(),
                  where);
            }
          }
        });
  }

  private void checkDisruptionBudget(Bound<PodDisruptionBudget> p) {
    String where = p.doc().where();
    var spec = p.object().getSpec();
    Map<String, String> selector =
        spec.getSelector() == null ? Map.of() : orEmpty(spec.getSelector().getMatchLabels());
    List<Bound<Deployment>> targets = selector.isEmpty() ? List.of() : selectedBy(selector);
    if (targets.isEmpty()) {
      bound.problem(where, ".spec.selector %s matches the pods of no Deployment", selector);
      return;
    }
    IntOrString minAvailable = spec.getMinAvailable();
    if (minAvailable == null || minAvailable.getIntVal() == null) {
      return;
    }
    for (Bound<HorizontalPodAutoscaler> h : bound.all(HorizontalPodAutoscaler.class)) {
      var ref = h.object().getSpec().getScaleTargetRef();
      Integer min = h.object().getSpec().getMinReplicas();
      boolean sameTarget =
          ref != null
              && targets.stream()
                  .anyMatch(d -> d.object().getMetadata().getName().equals(ref.getName()));
      if (sameTarget && min != null && minAvailable.getIntVal() >= min) {
        bound.problem(
            where,
            ".spec.minAvailable %d is not below the autoscaler's minReplicas %d: no node could"
                + " ever be drained",
            minAvailable.getIntVal(),
            min);
      }
    }
  }

  private void checkRoleBinding(Bound<RoleBinding> b) {
    String where = b.doc().where();
    var ref = b.object().getRoleRef();
    if (ref == null
        || !"Role".equals(ref.getKind())
        || !"rbac.authorization.k8s.io".equals(ref.getApiGroup())
        || bound.named(Role.class, ref.getName()).isEmpty()) {
      bound.problem(
          where,
          ".roleRef %s is not a Role in these manifests",
          ref == null ? "(missing)" : ref.getKind() + " " + ref.getName());
    }
    for (Subject subject : b.object().getSubjects()) {
      if ("ServiceAccount".equals(subject.getKind())
          && bound.named(ServiceAccount.class, subject.getName()).isEmpty()) {
        bound.problem(
            where, ".subjects: no ServiceAccount %s in these manifests", subject.getName());
      }
    }
  }

  /** Whether {@code account} may do {@code verbs} on core {@code resources} through a Role. */
  static boolean allowed(
      BoundManifests bound, String account, Set<String> resources, Set<String> verbs) {
    Set<String> granted = new HashSet<>();
    for (Bound<RoleBinding> b : bound.all(RoleBinding.class)) {
      boolean bindsAccount =
          b.object().getSubjects().stream()
              .anyMatch(s -> "ServiceAccount".equals(s.getKind()) && account.equals(s.getName()));
      if (!bindsAccount || b.object().getRoleRef() == null) {
        continue;
      }
      Optional<Role> role = bound.named(Role.class, b.object().getRoleRef().getName());
      for (PolicyRule rule : role.map(Role::getRules).orElse(List.of())) {
        if (rule.getApiGroups().contains("")) {
          for (String resource : rule.getResources()) {
            rule.getVerbs().forEach(verb -> granted.add(resource + ":" + verb));
          }
        }
      }
    }
    return resources.stream()
        .allMatch(r -> verbs.stream().allMatch(v -> granted.contains(r + ":" + v)));
  }

  private void checkSecret(Bound<Secret> s) {
    String where = s.doc().where();
    Secret secret = s.object();
    if (!"Opaque".equals(secret.getType())) {
      bound.problem(where, ".type %s should be Opaque", secret.getType());
    }
    for (String key : secretKeys(secret)) {
      if (!SECRET_KEY.matcher(key).matches()) {
        bound.problem(where, "key '%s' may hold only letters, digits, '-', '_', '.'", key);
      }
    }
    orEmpty(secret.getData())
        .forEach(
            (key, value) -> {
              try {
                Base64.getDecoder().decode(value);
              } catch (IllegalArgumentException e) {
                bound.problem(where, ".data.%s is not base64 (use stringData for plain text)", key);
              }
            });
    if (!bound.referencedSecrets.contains(secret.getMetadata().getName())) {
      bound.problem(where, "no pod uses this Secret");
    }
  }

  // ---------------------------------------------------------------- helpers

  static void checkLabels(
      BoundManifests bound, String where, String path, Map<String, String> labels) {
    if (labels == null) {
      return;
    }
    labels.forEach(
        (key, value) -> {
          int slash = key.indexOf('/');
          String prefix = slash < 0 ? null : key.substring(0, slash);
          String name = slash < 0 ? key : key.substring(slash + 1);
          if ((prefix != null && !ManifestValidator.DNS_SUBDOMAIN.matcher(prefix).matches())
              || !LABEL_NAME.matcher(name).matches()
              || name.length() > 63) {
            bound.problem(where, "%s.%s: not a valid label key", path, key);
          }
          if (!value.isEmpty() && (!LABEL_NAME.matcher(value).matches() || value.length() > 63)) {
            bound.problem(
                where,
                "%s.%s: '%s' is not a valid label value (at most 63 letters, digits, '-', '_',"
                    + " '.')",
                path,
                key,
                value);
          }
        });
  }

  private static Set<String> secretKeys(Secret secret) {
    Set<String> keys = new TreeSet<>(orEmpty(secret.getStringData()).keySet());
    keys.addAll(orEmpty(secret.getData()).keySet());
    return keys;
  }

  private static BigDecimal amount(Quantity q) {
    if (q == null) {
      return null;
    }
    try {
      return Quantity.getAmountInBytes(q);
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Optional<ContainerPort> resolvePort(Container c, IntOrString port) {
    if (port == null) {
      return Optional.empty();
    }
    return c.getPorts().stream()
        .filter(
            p ->
                port.getIntVal() != null
                    ? Objects.equals(p.getContainerPort(), port.getIntVal())
                    : Objects.equals(p.getName(), port.getStrVal()))
        .findFirst();
  }

  private static String portList(Container c) {
    return c.getPorts().stream()
        .map(p -> (p.getName() == null ? "" : p.getName() + "=") + p.getContainerPort())
        .collect(Collectors.joining(", "));
  }

  private static String describe(IntOrString port) {
    if (port == null) {
      return "no port";
    }
    return port.getIntVal() != null
        ? String.valueOf(port.getIntVal())
        : "'" + port.getStrVal() + "'";
  }

  static Map<String, String> labels(ObjectMeta metadata) {
    return metadata == null ? Map.of() : orEmpty(metadata.getLabels());
  }

  static <K, V> Map<K, V> orEmpty(Map<K, V> map) {
    return map == null ? Map.of() : map;
  }
}
