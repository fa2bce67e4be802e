package io.freshet.gateway;

import io.freshet.gateway.auth.BearerTokens;
import io.freshet.gateway.catalog.CatalogSource;
import io.freshet.gateway.catalog.FeatureServiceResolver;
import io.freshet.gateway.console.ConsoleSource;
import io.freshet.gateway.metrics.OtlpExport;
import io.freshet.online.OnlineClients;
import io.freshet.online.OnlineStoreUri;
import io.freshet.plan.Catalog;
import io.freshet.storage.StoreUrls;
import java.util.Objects;

/**
 * What a {@link GatewayServer} serves and where it listens. Immutable; validated on construction.
 *
 * <pre>{@code
 * new GatewayConfig(8080, "redis://127.0.0.1:6379/0", Catalog.load(loader))
 *     .withFeatureServices(FeatureServiceResolver.of(Map.of(
 *         "checkout_model", List.of("user_activity:event_count_1h", "user_activity:revenue_1h"))))
 *     .withTokens(BearerTokens.fromEnvironment(System.getenv()))
 *     .withLimits(GatewayLimits.defaults().withMaxEntities(5_000))
 * }</pre>
 *
 * @param port the TCP port to listen on, on all interfaces; 0 picks a free port (read it back with
 *     {@link GatewayServer#port()})
 * @param redisUri the Redis holding the online table, in Lettuce's URI syntax: {@code
 *     redis://[[user:]password@]host[:port][/database]}, {@code rediss://} for TLS; a Redis Cluster
 *     as {@code redis-cluster://[[user:]password@]host[:port][,host[:port]...]} ({@code
 *     rediss-cluster://} for TLS), naming seed nodes (see {@link OnlineStoreUri})
 * @param views where the feature views come from; each is read under its current version tag
 * @param featureServices the named feature sets clients may ask for; none by default
 * @param limits the most one request may ask for; {@link GatewayLimits#defaults()} by default
 * @param tokens the bearer tokens required on every route but {@code /health} and {@code /ready};
 *     {@link BearerTokens#disabled()} (no auth) by default
 * @param kafkaBootstrap the Kafka bootstrap servers ({@code host:port[,host:port...]}) holding the
 *     views' topics, which {@code POST /push} produces to; null (the default) leaves push off, and
 *     it answers 503 saying how to turn it on
 * @param otlp where the gateway also pushes its meters over OTLP, or null (the default) for the
 *     Prometheus scrape at {@code /metrics} only
 * @param console where the console at {@code /console} reads freshness, rejected events and job
 *     states; {@link ConsoleSource#none()} (the default) shows them as unavailable
 */
public record GatewayConfig(
    int port,
    String redisUri,
    CatalogSource views,
    FeatureServiceResolver featureServices,
    GatewayLimits limits,
    BearerTokens tokens,
    String kafkaBootstrap,
    OtlpExport otlp,
    ConsoleSource console) {

  /** Serves a fixed catalog, with no feature services, default limits and no auth. */
  public GatewayConfig(int port, String redisUri, Catalog catalog) {
    this(
        port,
        redisUri,
        CatalogSource.fixed(Objects.requireNonNull(catalog, "catalog of feature views to serve")),
        FeatureServiceResolver.none(),
        GatewayLimits.defaults(),
        BearerTokens.disabled(),
        null,
        null);
  }

  /** A configuration without Kafka: {@code POST /push} answers 503. */
  public GatewayConfig(
      int port,
      String redisUri,
      CatalogSource views,
      FeatureServiceResolver featureServices,
      GatewayLimits limits,
      BearerTokens tokens) {
    this(port, redisUri, views, featureServices, limits, tokens, null, null);
  }

  /** A configuration without an OTLP export. */
  public GatewayConfig(
      int port,
      String redisUri,
      CatalogSource views,
      FeatureServiceResolver featureServices,
      GatewayLimits limits,
      BearerTokens tokens,
      String kafkaBootstrap) {
    this(port, redisUri, views, featureServices, limits, tokens, kafkaBootstrap, null);
  }

  /** A configuration whose console shows no freshness, rejected events or jobs. */
  public GatewayConfig(
      int port,
      String redisUri,
      CatalogSource views,
      FeatureServiceResolver featureServices,
      GatewayLimits limits,
      BearerTokens tokens,
      String kafkaBootstrap,
      OtlpExport otlp) {
    this(
        port,
        redisUri,
        views,
        featureServices,
        limits,
        tokens,
        kafkaBootstrap,
        otlp,
        ConsoleSource.none());
  }

  public GatewayConfig {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(
          "gateway port " + port + " is out of range (use 1 to 65535, or 0 for any free port)");
    }
    if (redisUri == null || redisUri.isBlank()) {
      throw new IllegalArgumentException(
          "Redis URI of the online table is missing (e.g. redis://127.0.0.1:6379/0)");
    }
    try {
      OnlineClients.requireValid(redisUri);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "Redis URI '"
              + redacted(redisUri)
              + "' is malformed: "
              + e.getMessage()
              + " (expected redis://host:port/database, e.g. redis://127.0.0.1:6379/0, or"
              + " redis-cluster://host1:port,host2:port for a Redis Cluster)",
          e);
    }
    Objects.requireNonNull(views, "source of the feature views to serve");
    Objects.requireNonNull(featureServices, "feature services (FeatureServiceResolver.none())");
    Objects.requireNonNull(limits, "request limits (GatewayLimits.defaults())");
    Objects.requireNonNull(tokens, "bearer tokens (BearerTokens.disabled() for no auth)");
    Objects.requireNonNull(console, "console source (ConsoleSource.none() for none)");
    if (kafkaBootstrap != null) {
      kafkaBootstrap = kafkaBootstrap.strip();
      if (kafkaBootstrap.isEmpty()) {
        throw new IllegalArgumentException(
            "Kafka bootstrap servers are blank (give host:port[,host:port...], e.g."
                + " 127.0.0.1:9092, or none to leave POST /push off)");
      }
    }
  }

  /**
   * This configuration with views from {@code source}, e.g. a registry polled in the background.
   */
  public GatewayConfig withViews(CatalogSource source) {
    return new GatewayConfig(
        port, redisUri, source, featureServices, limits, tokens, kafkaBootstrap, otlp, console);
  }

  public GatewayConfig withFeatureServices(FeatureServiceResolver services) {
    return new GatewayConfig(
        port, redisUri, views, services, limits, tokens, kafkaBootstrap, otlp, console);
  }

  public GatewayConfig withLimits(GatewayLimits newLimits) {
    return new GatewayConfig(
        port, redisUri, views, featureServices, newLimits, tokens, kafkaBootstrap, otlp, console);
  }

  /**
   * This configuration requiring one of {@code accepted} ({@link BearerTokens#disabled()}: none).
   */
  public GatewayConfig withTokens(BearerTokens accepted) {
    return new GatewayConfig(
        port, redisUri, views, featureServices, limits, accepted, kafkaBootstrap, otlp, console);
  }

  /**
   * This configuration producing pushed events to the Kafka at {@code bootstrapServers} (null: push
   * off).
   */
  public GatewayConfig withKafka(String bootstrapServers) {
    return new GatewayConfig(
        port, redisUri, views, featureServices, limits, tokens, bootstrapServers, otlp, console);
  }

  /** This configuration pushing its meters to {@code export} too (null: Prometheus only). */
  public GatewayConfig withOtlp(OtlpExport export) {
    return new GatewayConfig(
        port, redisUri, views, featureServices, limits, tokens, kafkaBootstrap, export, console);
  }

  /** This configuration with its console reading {@code source}. */
  public GatewayConfig withConsole(ConsoleSource source) {
    return new GatewayConfig(
        port, redisUri, views, featureServices, limits, tokens, kafkaBootstrap, otlp, source);
  }

  /** This configuration listening on {@code newPort}. */
  public GatewayConfig withPort(int newPort) {
    return new GatewayConfig(
        newPort, redisUri, views, featureServices, limits, tokens, kafkaBootstrap, otlp, console);
  }

  /** Shows the Redis URI without its password and the auth mode without its tokens. */
  @Override
  public String toString() {
    return "GatewayConfig[port="
        + port
        + ", redisUri="
        + redacted(redisUri)
        + ", views="
        + views
        + ", "
        + featureServices
        + ", "
        + limits
        + ", "
        + tokens
        + ", kafka="
        + (kafkaBootstrap == null ? "none (push off)" : kafkaBootstrap)
        + ", otlp="
        + (otlp == null ? "off" : otlp.endpoint() + " every " + otlp.step())
        + ", "
        + console
        + "]";
  }

  /** The URI without its password ({@link StoreUrls#redact}). */
  static String redacted(String uri) {
    return StoreUrls.redact(uri);
  }
}
