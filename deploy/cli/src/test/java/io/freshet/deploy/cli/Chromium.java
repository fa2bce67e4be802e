package io.freshet.deploy.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium, driven headless through its own ChromeDriver, for the tests that look at the
 * console as a person would. When the packages {@code chromium} and {@code chromium-driver} are
 * missing and the tests run as root on Debian, they are installed with {@code apt-get} first;
 * anywhere else the test fails saying what to install.
 */
final class Chromium {
  static final Path BROWSER = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");
  private static final Duration INSTALL_LIMIT = Duration.ofMinutes(10);

  private Chromium() {}

  /** Installs Chromium and its driver when either is missing; returns once both are there. */
  static synchronized void ensureInstalled() throws IOException, InterruptedException {
    if (installed()) {
      return;
    }
    Path aptGet = Path.of("/usr/bin/apt-get");
    if (!Files.isExecutable(aptGet) || !"root".equals(System.getProperty("user.name"))) {
      throw new AssertionError(
          "the console's browser test needs "
              + BROWSER
              + " and "
              + DRIVER
              + "; on Debian install them with: sudo apt-get install chromium chromium-driver");
    }
    List<String> install =
        List.of(
            aptGet.toString(),
            "install",
            "-y",
            "-q",
            "--no-install-recommends",
            "chromium",
            "chromium-driver");
    String first = run(install);
    if (!installed()) {
      // A machine whose package lists were never fetched knows no chromium yet.
      String update = run(List.of(aptGet.toString(), "update", "-q"));
      String second = run(install);
      if (!installed()) {
        throw new AssertionError(
            "apt-get could not install chromium and chromium-driver:\n"
                + first
                + "\n"
                + update
                + "\n"
                + second);
      }
    }
  }

  /**
   * A headless browser with a window of {@code width} x {@code height} CSS pixels, its own empty
   * profile, and none of the background traffic Chromium starts by itself (a closed network refuses
   * it, slowly).
   */
  static ChromeDriver start(int width, int height, Path profile) throws IOException {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--window-size=" + width + "," + height,
        "--user-data-dir=" + Files.createDirectories(profile));
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    return new ChromeDriver(service, options);
  }

  private static boolean installed() {
    return Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER);
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Path log = Files.createTempFile("apt-get", ".log");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(new ArrayList<>(command))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p = pb.start();
      if (!p.waitFor(INSTALL_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor();
        throw new AssertionError(
            String.join(" ", command) + " did not end within " + INSTALL_LIMIT);
      }
      return String.join(" ", command)
          + " (exit "
          + p.exitValue()
          + "):\n"
          + Files.readString(log, StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
