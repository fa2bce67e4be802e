package io.freshet.deploy.stack;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.gateway.GatewayConfig;
import io.freshet.plan.Catalog;
import io.freshet.testing.TestRedis;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The supervisor on real parts: a child JVM killed with SIGKILL, a gateway that stopped. */
class SupervisorIT {
  @TempDir Path work;
  private final StringWriter console = new StringWriter();

  @Test
  void a_child_jvm_killed_with_sigkill_is_started_again() throws Exception {
    Path lib = sleeperClasspath();
    List<ChildJvm> started = new ArrayList<>();
    ChildJvm first = sleeper(lib, started);
    SupervisedProcess part = new SupervisedProcess("sleeper", first, () -> sleeper(lib, started));
    try (Supervisor supervisor = new Supervisor(new PrintWriter(console, true), () -> false)) {
      supervisor.watch(part);
      supervisor.start();
      ProcessHandle.of(first.pid()).orElseThrow().destroyForcibly();

      await("a new sleeper", () -> supervisor.restarts() == 1 && part.current().isAlive());
      assertThat(part.current().pid()).isNotEqualTo(first.pid());
      assertThat(console.toString())
          .contains(
              "the sleeper pid "
                  + first.pid()
                  + " was killed by SIGKILL (exit code 137); its output is in "
                  + work)
          .contains("; restarting it in 1.0 s")
          .contains("the sleeper restarted pid " + part.current().pid());
    } finally {
      for (ChildJvm c : started) {
        c.stop(Duration.ofSeconds(10));
      }
    }
    assertThat(started).hasSize(2).noneMatch(ChildJvm::isAlive);
  }

  @Test
  void a_gateway_that_stopped_answering_is_started_again_on_its_port() throws Exception {
    Catalog catalog = Catalog.load(SupervisorIT.class.getClassLoader());
    HttpClient http = HttpClient.newHttpClient();
    try (SupervisedGateway gateway =
            SupervisedGateway.start(new GatewayConfig(0, TestRedis.uri(10), catalog));
        Supervisor supervisor = new Supervisor(new PrintWriter(console, true), () -> false)) {
      URI health = URI.create("http://127.0.0.1:" + gateway.port() + "/health");
      supervisor.watch(gateway);
      supervisor.start();
      gateway.server().close();

      await("the gateway restarted", () -> supervisor.restarts() == 1);
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(gateway.server().port()).isEqualTo(gateway.port());
      assertThat(console.toString())
          .contains(
              "the gateway on port "
                  + gateway.port()
                  + " did not answer GET /health 3 times in a row")
          .contains("the gateway restarted on port " + gateway.port());
    }
  }

  private ChildJvm sleeper(Path lib, List<ChildJvm> started) {
    ChildJvm c =
        ChildJvm.start(
            "sleeper",
            lib,
            List.of("-Xmx32m"),
            SleepForever.class.getName(),
            List.of(),
            work.resolve("sleeper.out"));
    started.add(c);
    return c;
  }

  /** A folder with the watchdog jar and a jar of {@link SleepForever}. */
  private Path sleeperClasspath() throws Exception {
    Path lib = Files.createDirectories(work.resolve("lib"));
    Files.copy(ChildJvmIT.watchdogJar(), lib.resolve("deploy-watchdog.jar"));
    Path classes =
        Path.of(SleepForever.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    String name = SleepForever.class.getName().replace('.', '/') + ".class";
    try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(lib.resolve("s.jar")))) {
      jar.putNextEntry(new JarEntry(name));
      jar.write(Files.readAllBytes(classes.resolve(name)));
      jar.closeEntry();
    }
    return lib;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + what + " within 60 s");
      }
      Thread.sleep(100);
    }
  }
}
