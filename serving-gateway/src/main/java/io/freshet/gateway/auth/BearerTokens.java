package io.freshet.gateway.auth;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The bearer tokens a gateway accepts ({@code Authorization: Bearer <token>}), or none when auth is
 * off. Off by default; turned on by naming tokens:
 *
 * <pre>{@code
 * BearerTokens.fromFile(Path.of("/etc/freshet/tokens"))   // one token a line, '#' comments
 * BearerTokens.fromEnvironment(System.getenv())          // FRESHET_GATEWAY_TOKENS=t1,t2
 * }</pre>
 *
 * <p>Only digests of the tokens are kept, so a heap dump or a log line never shows one, and a
 * presented token is compared by its digest. Tokens use RFC 6750's characters ({@code A-Z a-z 0-9 -
 * . _ ~ + /}, then optional {@code =} padding). Immutable and thread-safe.
 */
public final class BearerTokens {
  /** Comma-separated tokens. */
  public static final String TOKENS_ENV = "FRESHET_GATEWAY_TOKENS";

  /** A file of tokens, one a line; an alternative to {@link #TOKENS_ENV}. */
  public static final String TOKENS_FILE_ENV = "FRESHET_GATEWAY_TOKENS_FILE";

  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9\\-._~+/]+=*");
  private static final BearerTokens DISABLED = new BearerTokens(Set.of());

  private final Set<ByteBuffer> digests;

  private BearerTokens(Set<ByteBuffer> digests) {
    this.digests = digests;
  }

  /** No auth: every request is served without a token. */
  public static BearerTokens disabled() {
    return DISABLED;
  }

  /**
   * Auth on, accepting exactly these tokens.
   *
   * @throws IllegalArgumentException when there is no token or one is malformed; the message gives
   *     its position, never the token
   */
  public static BearerTokens of(Collection<String> tokens) {
    List<String> list = new ArrayList<>(tokens);
    List<String> where = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      where.add("token " + (i + 1) + " of " + list.size());
    }
    return checked(list, where, "the token list");
  }

  /**
   * Auth on, accepting the tokens in a UTF-8 file: one a line, surrounding spaces ignored, blank
   * lines and lines starting with '#' skipped.
   *
   * @throws IllegalArgumentException naming the file (and line) when it cannot be read, holds no
   *     token, or holds a malformed one
   */
  public static BearerTokens fromFile(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read gateway tokens from " + file + ": " + e + " (one token a line)", e);
    }
    List<String> tokens = new ArrayList<>();
    List<String> where = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      tokens.add(line);
      where.add(file + " line " + (i + 1));
    }
    return checked(tokens, where, file.toString());
  }

  /**
   * Auth as the environment says: on with the tokens of {@value #TOKENS_ENV} (comma-separated) or
   * of the file named by {@value #TOKENS_FILE_ENV}; off when neither is set.
   *
   * @throws IllegalArgumentException when both are set, or the one set holds no valid token
   */
  public static BearerTokens fromEnvironment(Map<String, String> env) {
    String inline = env.get(TOKENS_ENV);
    String file = env.get(TOKENS_FILE_ENV);
    boolean hasInline = inline != null && !inline.isBlank();
    boolean hasFile = file != null && !file.isBlank();
    if (hasInline && hasFile) {
      throw new IllegalArgumentException(
          TOKENS_ENV
              + " and "
              + TOKENS_FILE_ENV
              + " are both set (set one: tokens inline, or a file of tokens)");
    }
    if (hasFile) {
      return fromFile(Path.of(file.strip()));
    }
    if (inline == null) {
      return DISABLED;
    }
    List<String> tokens = new ArrayList<>();
    List<String> where = new ArrayList<>();
    String[] parts = inline.split(",", -1);
    for (int i = 0; i < parts.length; i++) {
      String t = parts[i].strip();
      if (!t.isEmpty()) {
        tokens.add(t);
        where.add(TOKENS_ENV + " entry " + (i + 1));
      }
    }
    return checked(tokens, where, TOKENS_ENV);
  }

  private static BearerTokens checked(List<String> tokens, List<String> where, String source) {
    if (tokens.isEmpty()) {
      throw new IllegalArgumentException(
          source
              + " holds no gateway token (give at least one, or leave auth off by not configuring"
              + " tokens)");
    }
    Set<ByteBuffer> digests = new HashSet<>();
    for (int i = 0; i < tokens.size(); i++) {
      String token = tokens.get(i);
      if (token == null || !TOKEN.matcher(token).matches()) {
        throw new IllegalArgumentException(
            where.get(i)
                + " is not a valid bearer token (use only A-Z a-z 0-9 - . _ ~ + / and trailing =,"
                + " e.g. a random base64url string)");
      }
      digests.add(digest(token));
    }
    return new BearerTokens(Set.copyOf(digests));
  }

  /** Whether requests must carry a token. */
  public boolean enabled() {
    return !digests.isEmpty();
  }

  /** How many distinct tokens are accepted. */
  public int count() {
    return digests.size();
  }

  /** Whether {@code token} is one of the accepted tokens; false when auth is off. */
  public boolean accepts(String token) {
    return token != null && !token.isEmpty() && digests.contains(digest(token));
  }

  private static ByteBuffer digest(String token) {
    try {
      return ByteBuffer.wrap(
          MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by the Java platform", e);
    }
  }

  /** Says whether auth is on and how many tokens, never which. */
  @Override
  public String toString() {
    return enabled() ? "bearer auth with " + count() + " token(s)" : "auth off";
  }
}
