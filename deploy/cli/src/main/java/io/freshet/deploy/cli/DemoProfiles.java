package io.freshet.deploy.cli;

import io.freshet.deploy.definitions.Definitions;
import io.freshet.deploy.generator.EventGenerator;
import io.freshet.deploy.stack.ChildJvm;
import io.freshet.deploy.stack.FlinkClusterConfig;
import io.freshet.examples.UserProfile;
import io.freshet.flink.job.JobContract;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The demo's table-sourced view: creates {@code freshet_examples.user_profile} when missing, gives
 * every generated user a profile (country, signup instant), materializes the view once at start,
 * and then every minute moves a few users to another country and loads what changed, as {@code
 * freshet materialize --every 1m} would. Each load runs in a child JVM on the Flink runtime.
 */
final class DemoProfiles {
  static final Duration EVERY = Duration.ofMinutes(1);
  private static final String[] COUNTRIES = {"DE", "FR", "US", "BR", "JP", "IN"};

  private DemoProfiles() {}

  static void start(
      PrintWriter out,
      Teardown teardown,
      LocalStack.Setup setup,
      Definitions defs,
      String jdbcUrl,
      String redisUrl,
      long seed,
      int users)
      throws Exception {
    long t = System.nanoTime();
    Random random = new Random(seed);
    fill(jdbcUrl, users, random);
    Path jar = defs.jobJar(setup.jobJar(), setup.workDir().resolve("materialize-job"));
    String first;
    try {
      first = load(setup, jar, jdbcUrl, redisUrl);
    } catch (Exception e) {
      // The demo goes on without profiles for now; the next load covers the same rows.
      first = "first load failed (" + e.getMessage().lines().findFirst().orElse("") + ")";
    }
    LocalStack.step(
        out,
        "profiles",
        users + " users in " + UserProfile.TABLE + "; " + first + ", again every minute",
        t);
    ScheduledExecutorService every =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread th = new Thread(r, "demo-profiles");
              th.setDaemon(true);
              return th;
            });
    every.scheduleWithFixedDelay(
        () -> {
          try {
            move(jdbcUrl, users, random);
            load(setup, jar, jdbcUrl, redisUrl);
          } catch (Exception e) {
            // The next load covers this one's range again; the demo keeps going.
          }
        },
        EVERY.toMillis(),
        EVERY.toMillis(),
        TimeUnit.MILLISECONDS);
    teardown.add(
        "profile loads",
        () -> {
          every.shutdownNow();
          every.awaitTermination(30, TimeUnit.SECONDS);
        });
  }

  /** Creates the table when missing and gives each generated user without one a profile. */
  static void fill(String jdbcUrl, int users, Random random) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl)) {
      try (Statement s = c.createStatement()) {
        s.execute(UserProfile.createTableSql());
      }
      try (PreparedStatement p =
          c.prepareStatement(
              "INSERT INTO "
                  + UserProfile.TABLE
                  + " (user_id, country, signup_ts, updated_at) VALUES (?, ?, ?, now())"
                  + " ON CONFLICT (user_id) DO NOTHING")) {
        Instant now = Instant.now();
        for (int u = 0; u < users; u++) {
          p.setString(1, EventGenerator.userId(u));
          p.setString(2, COUNTRIES[random.nextInt(COUNTRIES.length)]);
          p.setTimestamp(3, Timestamp.from(now.minus(Duration.ofDays(1 + random.nextInt(1000)))));
          p.addBatch();
        }
        p.executeBatch();
      }
    }
  }

  /** Moves a few users to another country, stamping the rows now. */
  private static void move(String jdbcUrl, int users, Random random) throws SQLException {
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        PreparedStatement p =
            c.prepareStatement(
                "UPDATE "
                    + UserProfile.TABLE
                    + " SET country = ?, updated_at = now() WHERE user_id = ?")) {
      for (int i = 0; i < Math.max(1, users / 20); i++) {
        p.setString(1, COUNTRIES[random.nextInt(COUNTRIES.length)]);
        p.setString(2, EventGenerator.userId(random.nextInt(users)));
        p.addBatch();
      }
      p.executeBatch();
    }
  }

  /** One load of the view, continuing from its high-water mark; returns what it printed. */
  private static String load(LocalStack.Setup setup, Path jar, String jdbcUrl, String redisUrl)
      throws Exception {
    Path dir = Files.createDirectories(setup.workDir().resolve("materialize"));
    Path log4j = dir.resolve("log4j.properties");
    Files.writeString(log4j, FlinkClusterConfig.log4jProperties());
    List<String> jvmArgs = new ArrayList<>(List.of("-Xmx512m", "-XX:+UseSerialGC"));
    jvmArgs.addAll(ChildJvm.FLINK_JAVA_OPTS);
    jvmArgs.add("-Dlog.file=" + dir.resolve(UserProfile.VIEW + ".log"));
    jvmArgs.add("-Dlog4j.configurationFile=" + log4j.toUri());
    String output =
        ChildJvm.run(
            "load of " + UserProfile.VIEW,
            List.of(setup.flinkClasspath(), jar),
            jvmArgs,
            JobContract.MATERIALIZE_JOB_CLASS,
            List.of("--view", UserProfile.VIEW, "--pg-url", jdbcUrl, "--redis-url", redisUrl),
            dir.resolve(UserProfile.VIEW + ".out"),
            Duration.ofMinutes(5));
    return output.lines().filter(l -> l.startsWith("loaded ")).reduce((a, b) -> b).orElse("loaded");
  }
}
