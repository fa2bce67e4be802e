package io.freshet.storage;

import java.util.regex.Pattern;

/**
 * The one rule for printing the URL of a store (Redis, Postgres, anything with credentials): the
 * user info of the authority becomes {@code ***}, and so does the value of every {@code password=}
 * parameter. Everything else stays, so a message still says which host, port and database it means.
 *
 * <pre>
 * redis://user:secret@cache:6380/2                   redis://***@cache:6380/2
 * redis-cluster://secret@a:1,b:2                     redis-cluster://***@a:1,b:2
 * jdbc:postgresql://db/x?user=app&amp;password=secret    jdbc:postgresql://db/x?user=app&amp;password=***
 * </pre>
 */
public final class StoreUrls {
  /** The user info: after "//", up to the last '@' before the path. */
  private static final Pattern USER_INFO = Pattern.compile("//[^/]*@");

  private static final Pattern PASSWORD_PARAMETER = Pattern.compile("(?i)(password=)[^&]*");

  private StoreUrls() {}

  /** {@code url} without its passwords, for messages and logs; null stays null. */
  public static String redact(String url) {
    if (url == null) {
      return null;
    }
    String withoutUser = USER_INFO.matcher(url).replaceFirst("//***@");
    return PASSWORD_PARAMETER.matcher(withoutUser).replaceAll("$1***");
  }
}
