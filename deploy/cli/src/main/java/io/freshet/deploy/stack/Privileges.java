package io.freshet.deploy.stack;

import java.nio.file.Files;
import java.nio.file.Path;

/** Who this process runs as, where it matters (Postgres refuses to run as root). */
final class Privileges {
  private Privileges() {}

  static boolean isRoot() {
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      return Integer.valueOf(0).equals(uid);
    } catch (Exception e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }
}
