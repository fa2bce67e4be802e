package io.freshet.deploy.cli;

import java.nio.file.Path;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

/**
 * Where the command's own logs (Kafka clients, the gateway, embedded servers) go: a file for {@code
 * demo}, whose console is for the person, and the console for {@code serve}, a server.
 */
final class Logging {
  private static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %c{1.} [%t] - %m%n";

  private Logging() {}

  /** Everything at INFO and above to {@code file}, nothing to the console. */
  static void toFile(Path file) {
    ConfigurationBuilder<BuiltConfiguration> b = builder();
    b.add(
        b.newAppender("file", "File")
            .addAttribute("fileName", file.toAbsolutePath().toString())
            .addAttribute("append", true)
            .add(b.newLayout("PatternLayout").addAttribute("pattern", PATTERN)));
    b.add(b.newRootLogger(Level.INFO).add(b.newAppenderRef("file")));
    b.add(b.newLogger("org.apache.kafka", Level.WARN));
    Configurator.reconfigure(b.build());
  }

  /** INFO and above to standard error, Kafka and Netty internals at WARN. */
  static void toConsole() {
    ConfigurationBuilder<BuiltConfiguration> b = builder();
    b.add(
        b.newAppender("console", "Console")
            .addAttribute("target", "SYSTEM_ERR")
            .add(b.newLayout("PatternLayout").addAttribute("pattern", PATTERN)));
    b.add(b.newRootLogger(Level.INFO).add(b.newAppenderRef("console")));
    b.add(b.newLogger("org.apache.kafka", Level.WARN));
    b.add(b.newLogger("io.netty", Level.WARN));
    Configurator.reconfigure(b.build());
  }

  private static ConfigurationBuilder<BuiltConfiguration> builder() {
    ConfigurationBuilder<BuiltConfiguration> b =
        ConfigurationBuilderFactory.newConfigurationBuilder();
    b.setConfigurationName("freshet");
    b.setStatusLevel(Level.ERROR);
    // The command stops its own services in a shutdown hook and logs while doing so.
    b.setShutdownHook("disable");
    return b;
  }
}
