package io.freshet.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Generates malformed and hostile requests to the gateway, each one certainly invalid: broken JSON,
 * wrong types, unknown views and features, empty and huge lists, oversized bodies, odd Unicode,
 * injection-looking strings, bad HTTP. Deterministic for a seed.
 */
final class HostileRequests {
  /**
   * One request.
   *
   * @param kind the family it belongs to
   * @param description what is wrong with it, for failure messages
   * @param bytes the whole HTTP request
   * @param httpLevel whether the fault is in the HTTP framing (the error names no JSON field)
   */
  record Case(String kind, String description, byte[] bytes, boolean httpLevel) {}

  static final String VALID =
      "{\"features\": [\"user_activity:event_count_1h\", \"user_activity:revenue_1h\"],"
          + " \"entities\": {\"user_id\": [\"user_42\", \"user_7\"]}, \"full_feature_names\":"
          + " false}";

  private static final String[] WRONG_VALUES = {
    "1", "-1", "1.5", "true", "false", "{}", "{\"a\": 1}", "[[\"x\"]]", "\"\"", "1e999", "[{}]"
  };

  private static final String[] HOSTILE_NAMES = {
    "user_activity' OR '1'='1",
    "user_activity; DROP TABLE features; --",
    "../../etc/passwd",
    "${jndi:ldap://127.0.0.1/a}",
    "<script>alert(1)</script>",
    "*",
    "user_activity*",
    "{x}:1a2b3c4d5e",
    "user_activity\r\nSET pwned 1",
    "\u0000",
    "%00",
    "user_activity\u0000",
    "{{7*7}}",
    "__proto__",
    "constructor",
    "$where",
    "\\",
    "\"",
    " user_activity",
    "user_activity ",
    "USER_ACTIVITY",
    "user_activitý",
    "user\u200bactivity",
    "\u202euser_activity",
    "\uFEFFuser_activity",
    "ユーザー",
    "🔥",
    "\uD83D\uDE00\uD83D\uDE00",
    "a".repeat(5000),
    "user_activity\t",
    "null",
    "true"
  };

  private final Random random;
  private final int port;

  HostileRequests(long seed, int port) {
    this.random = new Random(seed);
    this.port = port;
  }

  /** At least {@code min} cases, shuffled. */
  List<Case> generate(int min) {
    List<Supplier<Case>> families =
        List.of(
            this::truncated,
            this::structuralInsert,
            this::structuralDelete,
            this::brokenSyntax,
            this::wrongType,
            this::hostileFeatureRef,
            this::hostileServiceOrKey,
            this::badRequestData,
            this::badEntityValue,
            this::listShapes,
            this::invalidUtf8,
            this::httpLevel,
            this::badPath,
            this::pushBody);
    List<Case> cases = new ArrayList<>();
    while (cases.size() < min) {
      for (Supplier<Case> f : families) {
        cases.add(f.get());
      }
    }
    cases.addAll(oversized());
    cases.addAll(oversizedPushes());
    Collections.shuffle(cases, random);
    return cases;
  }

  /** A push the gateway would take if it had Kafka; every push case below is certainly invalid. */
  static final String VALID_PUSH =
      "{\"view\": \"user_activity\", \"events\": [{\"user_id\": \"user_42\", \"event_ts\":"
          + " \"2026-11-23T12:00:00Z\", \"event_type\": \"purchase\", \"revenue\": 19.99}]}";

  private static final String PUSH_EVENT =
      "{\"user_id\": \"user_42\", \"event_ts\": \"2026-11-23T12:00:00Z\"}";

  /** Malformed, wrong-typed, hostile-named, empty and too long pushes. */
  private Case pushBody() {
    switch (random.nextInt(9)) {
      case 0 -> {
        int cut = random.nextInt(VALID_PUSH.length() - 1);
        return push("push_broken_json", "truncated at " + cut, VALID_PUSH.substring(0, cut));
      }
      case 1 -> {
        String value = WRONG_VALUES[random.nextInt(WRONG_VALUES.length)];
        return push(
            "push_wrong_type",
            "view = " + value,
            "{\"view\": " + value + ", \"events\": [" + PUSH_EVENT + "]}");
      }
      case 2 -> {
        String value = WRONG_VALUES[random.nextInt(WRONG_VALUES.length)];
        if (value.startsWith("[")) {
          value = "{\"a\": [1]}";
        }
        return push(
            "push_wrong_type",
            "events = " + value,
            "{\"view\": \"user_activity\", \"events\": " + value + "}");
      }
      case 3 -> {
        String name = HOSTILE_NAMES[random.nextInt(HOSTILE_NAMES.length)];
        String field = random.nextBoolean() ? "view" : "push_source_name";
        return push(
            "push_unknown_view",
            field + " " + name,
            "{\"" + field + "\": " + quote(name) + ", \"events\": [" + PUSH_EVENT + "]}");
      }
      case 4 -> {
        String name = HOSTILE_NAMES[random.nextInt(HOSTILE_NAMES.length)];
        return push(
            "push_unknown_field",
            "field " + name,
            "{\"view\": \"user_activity\", \"events\": ["
                + PUSH_EVENT
                + "], "
                + quote(name)
                + ": 1}");
      }
      case 5 -> {
        String[] bodies = {
          "{\"view\": \"user_activity\", \"events\": []}",
          "{\"view\": \"user_activity\"}",
          "{\"events\": [" + PUSH_EVENT + "]}",
          "{\"view\": \"user_activity\", \"events\": [" + PUSH_EVENT + "], \"df\": {}}",
          "{\"view\": \"user_activity\", \"push_source_name\": \"user_activity\", \"events\": ["
              + PUSH_EVENT
              + "]}",
          "{\"push_source_name\": \"user_activity\", \"df\": {}}",
          "{\"push_source_name\": \"user_activity\", \"df\": {\"user_id\": \"u\"}}",
          "{\"push_source_name\": \"user_activity\", \"df\": {\"user_id\": [\"a\", \"b\"],"
              + " \"event_ts\": [1]}}",
          "{\"view\": \"user_activity\", \"to\": \"offline\", \"events\": [" + PUSH_EVENT + "]}",
          "{\"view\": \"user_activity\", \"to\": 1, \"events\": [" + PUSH_EVENT + "]}",
          "{\"view\": \"user_activity\", \"allow_registry_cache\": \"yes\", \"events\": ["
              + PUSH_EVENT
              + "]}",
          "[" + VALID_PUSH + "]",
          "\"" + "\\u0000".repeat(3) + "\"",
          "{\"view\": \"user_activity\", \"view\": \"user_activity\", \"events\": ["
              + PUSH_EVENT
              + "]}",
          VALID_PUSH + " {}",
          ""
        };
        int i = random.nextInt(bodies.length);
        return push("push_shape", "shape variant " + i, bodies[i]);
      }
      case 6 -> {
        int n = 1_001 + random.nextInt(500);
        StringBuilder events = new StringBuilder();
        for (int i = 0; i < n; i++) {
          events.append(i == 0 ? "" : ",").append("{}");
        }
        return push(
            "push_too_many",
            n + " events",
            "{\"view\": \"user_activity\", \"events\": [" + events + "]}");
      }
      case 7 -> {
        byte[] valid = VALID_PUSH.getBytes(StandardCharsets.UTF_8);
        int at = VALID_PUSH.indexOf("user_activity") + random.nextInt(12);
        byte[][] inserts = {
          {(byte) 0xC3, (byte) 0x28}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}
        };
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(valid, 0, at);
        body.writeBytes(inserts[random.nextInt(inserts.length)]);
        body.write(valid, at, valid.length - at);
        return new Case(
            "push_odd_unicode",
            "invalid UTF-8 in the view name",
            request("POST", "/push", body.toByteArray(), ""),
            false);
      }
      default -> {
        String method = new String[] {"GET", "PUT", "DELETE", "PATCH"}[random.nextInt(4)];
        return new Case(
            "push_http",
            method + " /push",
            request(method, "/push", VALID_PUSH.getBytes(StandardCharsets.UTF_8), ""),
            false);
      }
    }
  }

  private Case push(String kind, String description, String body) {
    return new Case(
        kind,
        description,
        request("POST", "/push", body.getBytes(StandardCharsets.UTF_8), ""),
        false);
  }

  /** Pushes over the 1 MiB body limit, with a Content-Length and chunked. */
  private List<Case> oversizedPushes() {
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int size = (1 << 20) + 1 + random.nextInt(1 << 20);
      String note = "x".repeat(size);
      byte[] body =
          ("{\"view\": \"user_activity\", \"events\": [{\"note\": \"" + note + "\"}]}")
              .getBytes(StandardCharsets.UTF_8);
      cases.add(
          new Case(
              "push_oversized",
              body.length + " bytes with Content-Length",
              request("POST", "/push", body, ""),
              false));
      cases.add(
          new Case(
              "push_oversized", body.length + " bytes chunked", chunked("/push", body), false));
    }
    return cases;
  }

  private Case truncated() {
    int cut = random.nextInt(VALID.length() - 1);
    return post("broken_json", "truncated at " + cut, VALID.substring(0, cut));
  }

  private Case structuralInsert() {
    List<Integer> outside = outsideStrings();
    int at = outside.get(random.nextInt(outside.size()));
    char c = "{}[]:,\"".charAt(random.nextInt(7));
    return post(
        "broken_json",
        "'" + c + "' inserted at " + at,
        VALID.substring(0, at) + c + VALID.substring(at));
  }

  private Case structuralDelete() {
    List<Integer> structural = new ArrayList<>();
    boolean inString = false;
    for (int i = 0; i < VALID.length(); i++) {
      char c = VALID.charAt(i);
      if (c == '"') {
        structural.add(i);
        inString = !inString;
      } else if (!inString && "{}[]:,".indexOf(c) >= 0) {
        structural.add(i);
      }
    }
    int at = structural.get(random.nextInt(structural.size()));
    return post(
        "broken_json",
        "'" + VALID.charAt(at) + "' deleted at " + at,
        VALID.substring(0, at) + VALID.substring(at + 1));
  }

  private Case brokenSyntax() {
    String[] bodies = {
      VALID.replace('"', '\''),
      VALID + " x",
      VALID + "}",
      VALID + " {}",
      VALID + ",",
      VALID.replace("\"entities\"", "/* c */ \"entities\""),
      VALID.replace("\"entities\"", "// c\n\"entities\""),
      VALID.replace("false}", "false, \"features\": [\"user_activity:revenue_1h\"]}"),
      VALID.replace("false", "False"),
      VALID.replace("false", "NaN"),
      VALID.replace("false", "undefined"),
      VALID.replace("false", "Infinity"),
      VALID.replace("user_42", "user\u0001_42"),
      VALID.replace("user_42", "user\n42"),
      VALID.replace("\"user_7\"]", "\"user_7\",]"),
      VALID.replace("\"user_id\": [", "\"user_id\" ["),
      "",
      " ",
      "\n\t",
      "null",
      "[]",
      "42",
      "\"features\"",
      "{",
      "}",
      "{}{}",
      "{\"features\": " + "[".repeat(2000) + "]".repeat(2000) + "}",
      "{\"entities\": " + "{\"a\": ".repeat(500) + "1" + "}".repeat(500) + "}",
      "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\": [\"u\"]}"
    };
    int i = random.nextInt(bodies.length);
    return post("broken_json", "syntax variant " + i, bodies[i]);
  }

  private Case wrongType() {
    String value = WRONG_VALUES[random.nextInt(WRONG_VALUES.length)];
    String[][] slots = {
      {
        "features",
        VALID.replace("[\"user_activity:event_count_1h\", \"user_activity:revenue_1h\"]", value)
      },
      {"features[0]", VALID.replace("\"user_activity:event_count_1h\"", value)},
      {"entities", VALID.replace("{\"user_id\": [\"user_42\", \"user_7\"]}", value)},
      {"entities.user_id", VALID.replace("[\"user_42\", \"user_7\"]", value)},
      {
        "full_feature_names",
        VALID.replace(
            "false}", value.equals("true") || value.equals("false") ? "\"no\"}" : value + "}")
      },
      {
        "feature_service",
        VALID.replace(
            "\"features\": [\"user_activity:event_count_1h\", \"user_activity:revenue_1h\"]",
            "\"feature_service\": " + value)
      }
    };
    String[] slot = slots[random.nextInt(slots.length)];
    return post("wrong_type", slot[0] + " = " + value, slot[1]);
  }

  private Case hostileFeatureRef() {
    String name = HOSTILE_NAMES[random.nextInt(HOSTILE_NAMES.length)];
    String ref;
    switch (random.nextInt(5)) {
      case 0 -> ref = name + ":event_count_1h";
      case 1 -> ref = "user_activity:" + name;
      case 2 -> ref = name;
      case 3 -> ref = name + ":" + name;
      default -> ref = "user_activity:event_count_1h:" + name;
    }
    return post(
        "unknown_name",
        "feature reference " + ref,
        VALID.replace("\"user_activity:revenue_1h\"", quote(ref)));
  }

  private Case hostileServiceOrKey() {
    String name = HOSTILE_NAMES[random.nextInt(HOSTILE_NAMES.length)];
    if (random.nextBoolean()) {
      return post(
          "unknown_name",
          "feature service " + name,
          "{\"feature_service\": " + quote(name) + ", \"entities\": {\"user_id\": [\"u\"]}}");
    }
    String body =
        random.nextBoolean()
            ? VALID.replace("\"user_id\"", quote(name))
            : VALID.replace("]}, \"full", "], " + quote(name) + ": [\"a\", \"b\"]}, \"full");
    return post("unknown_name", "join key " + name, body);
  }

  /**
   * A request for the {@code checkout} service (request fields {@code amount} FLOAT64, {@code at}
   * INT64, {@code platform} STRING) whose request data is missing, of the wrong type, of the wrong
   * length, huge or oddly named. Unknown top-level fields are ignored, as Feast ignores them, so
   * they are never the only fault.
   */
  private Case badRequestData() {
    String entities = "\"entities\": {\"user_id\": [\"user_42\", \"user_7\"]}";
    String amount = "\"amount\": [19.99, 5]";
    String at = "\"at\": [1700000000000, null]";
    String platform = "\"platform\": [\"web\", \"ios\"]";
    String head = "{\"feature_service\": \"checkout\", " + entities;
    switch (random.nextInt(9)) {
      case 0 -> {
        // One request field left out, everywhere; an unknown top-level field beside it.
        String[] fields = {amount, at, platform};
        int drop = random.nextInt(3);
        StringBuilder context = new StringBuilder();
        for (int i = 0; i < 3; i++) {
          if (i != drop) {
            context.append(context.length() == 0 ? "" : ", ").append(fields[i]);
          }
        }
        String name = HOSTILE_NAMES[random.nextInt(HOSTILE_NAMES.length)];
        return post(
            "request_missing",
            "without field " + drop + ", with top-level " + name,
            head
                + ", \"request_context\": {"
                + context
                + "}, "
                + quote(name)
                + ": {\"amount\": [1, 2]}}");
      }
      case 1 -> {
        String value = WRONG_VALUES[random.nextInt(WRONG_VALUES.length)];
        String[] wrongForAmount = {
          "true", "false", "{}", "{\"a\": 1}", "[[\"x\"]]", "\"\"", "1e999", "[{}]"
        };
        String v = wrongForAmount[random.nextInt(wrongForAmount.length)];
        return post(
            "request_wrong_type",
            "amount " + v + " (" + value + ")",
            head
                + ", \"request_context\": {\"amount\": [19.99, "
                + v
                + "], "
                + at
                + ", "
                + platform
                + "}}");
      }
      case 2 -> {
        String[] wrongForAt = {"1.5", "\"1700000000000\"", "true", "1e3", "99999999999999999999"};
        String v = wrongForAt[random.nextInt(wrongForAt.length)];
        return post(
            "request_wrong_type",
            "at " + v,
            head
                + ", \"request_context\": {"
                + amount
                + ", \"at\": ["
                + v
                + ", 1], "
                + platform
                + "}}");
      }
      case 3 -> {
        String[] wrongForPlatform = {
          "1", "true", "{}", "[\"web\"]", "\"\\ud800\"", "\"a\\udfffb\""
        };
        String v = wrongForPlatform[random.nextInt(wrongForPlatform.length)];
        // As an extra column of entities, as Feast's on-demand views take request data.
        return post(
            "request_wrong_type",
            "platform " + v + " in entities",
            "{\"feature_service\": \"checkout\", \"entities\": {\"user_id\": [\"user_42\","
                + " \"user_7\"], \"platform\": [\"web\", "
                + v
                + "]}, \"request_context\": {"
                + amount
                + ", "
                + at
                + "}}");
      }
      case 4 -> {
        String[] shapes = {"1", "\"x\"", "[]", "[1, 2]", "true"};
        String v = shapes[random.nextInt(shapes.length)];
        return post(
            "request_shape", "request_context " + v, head + ", \"request_context\": " + v + "}");
      }
      case 5 -> {
        int n = random.nextBoolean() ? 1 + random.nextInt(2) * 2 : 20_000 + random.nextInt(50_000);
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < n; i++) {
          values.append(i == 0 ? "" : ",").append(i % 7 == 0 ? "1e308" : Integer.toString(i));
        }
        return post(
            "request_length",
            n + " amounts for 2 rows",
            head
                + ", \"request_context\": {\"amount\": ["
                + values
                + "], "
                + at
                + ", "
                + platform
                + "}}");
      }
      case 6 -> {
        int size = 100_000 + random.nextInt(800_000);
        String huge = "9".repeat(size);
        String v = random.nextBoolean() ? "\"" + "x".repeat(size) + "\"" : huge;
        // A huge string where a number belongs, or a number no 64-bit integer holds.
        String field = v.startsWith("\"") ? "amount" : "at";
        String context =
            field.equals("amount")
                ? "\"amount\": [" + v + ", 1], " + at + ", " + platform
                : amount + ", \"at\": [" + v + ", 1], " + platform;
        return post(
            "request_huge",
            field + " of " + size + " characters",
            head + ", \"request_context\": {" + context + "}}");
      }
      case 7 -> {
        String name = HOSTILE_NAMES[random.nextInt(HOSTILE_NAMES.length)];
        // A request field under a Unicode or hostile name is not the one the service needs.
        return post(
            "request_unicode",
            "request field named " + name,
            head
                + ", \"request_context\": {"
                + quote(name)
                + ": [19.99, 5], "
                + at
                + ", "
                + platform
                + "}}");
      }
      default -> {
        String[] values = {
          "\"ユーザー\"", "\"🔥\"", "\"\\u0000\"", "\"19.99\"", "\"NaN\"", "\"Infinity\""
        };
        String v = values[random.nextInt(values.length)];
        return post(
            "request_unicode",
            "amount " + v,
            head
                + ", \"request_context\": {\"amount\": ["
                + v
                + ", 1], "
                + at
                + ", "
                + platform
                + "}}");
      }
    }
  }

  private Case badEntityValue() {
    String[] values = {
      "null",
      "1.5",
      "-0.0",
      "1e3",
      "true",
      "[]",
      "{}",
      "\"\"",
      "\"\\ud800\"",
      "\"a\\udfffb\"",
      "\"\\ude00\\ud83d\"",
      "[\"user_42\"]"
    };
    String v = values[random.nextInt(values.length)];
    int slot = random.nextInt(2);
    String body = slot == 0 ? VALID.replace("\"user_42\"", v) : VALID.replace("\"user_7\"", v);
    return post("bad_entity", "entity value " + v, body);
  }

  private Case listShapes() {
    int which = random.nextInt(7);
    String body;
    String description;
    switch (which) {
      case 0 -> {
        body =
            VALID.replace("[\"user_activity:event_count_1h\", \"user_activity:revenue_1h\"]", "[]");
        description = "empty features";
      }
      case 1 -> {
        body = VALID.replace("[\"user_42\", \"user_7\"]", "[]");
        description = "empty entity list";
      }
      case 2 -> {
        body = VALID.replace("{\"user_id\": [\"user_42\", \"user_7\"]}", "{}");
        description = "empty entities";
      }
      case 3 -> {
        int n = 201 + random.nextInt(300);
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
          sb.append(i == 0 ? "" : ", ").append("\"user_activity:f").append(i).append('"');
        }
        body =
            VALID.replace(
                "[\"user_activity:event_count_1h\", \"user_activity:revenue_1h\"]", sb + "]");
        description = n + " features";
      }
      case 4 -> {
        int n = 1001 + random.nextInt(20_000);
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
          sb.append(i == 0 ? "" : ",").append(i);
        }
        body = VALID.replace("[\"user_42\", \"user_7\"]", sb + "]");
        description = n + " entities";
      }
      case 5 -> {
        body =
            "{\"features\": [\"tenant_products:event_count_1h\"], \"entities\": {\"tenant_id\":"
                + " [\"a\", \"b\"], \"user_id\": [\"u\"]}}";
        description = "join key lists of different lengths";
      }
      default -> {
        body = VALID.replace("\"user_activity:revenue_1h\"", "\"user_activity:event_count_1h\"");
        description = "repeated feature";
      }
    }
    return post("lists", description, body);
  }

  private Case invalidUtf8() {
    byte[][] bad = {
      {(byte) 0xFF},
      {(byte) 0xC0, (byte) 0x80},
      {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
      {(byte) 0xE6, (byte) 0x9D},
      {(byte) 0x80},
      {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}
    };
    byte[] insert = bad[random.nextInt(bad.length)];
    byte[] valid = VALID.getBytes(StandardCharsets.UTF_8);
    int at = VALID.indexOf("revenue_1h") + random.nextInt(10);
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(valid, 0, at);
    body.writeBytes(insert);
    body.write(valid, at, valid.length - at);
    return post("odd_unicode", "invalid UTF-8 in a feature name", body.toByteArray(), "");
  }

  private Case httpLevel() {
    byte[] body = VALID.getBytes(StandardCharsets.UTF_8);
    switch (random.nextInt(16)) {
      case 0, 8, 9 -> {
        String method = new String[] {"GET", "PUT", "DELETE", "PATCH", "HEAD"}[random.nextInt(5)];
        if (method.equals("HEAD")) {
          method = "OPTIONS";
        }
        return new Case(
            "http",
            method + " /get-online-features",
            request(method, "/get-online-features", body, ""),
            false);
      }
      case 1, 10 -> {
        return new Case(
            "http",
            "gzip Content-Encoding",
            request("POST", "/get-online-features", body, "Content-Encoding: gzip\r\n"),
            false);
      }
      case 2, 11 -> {
        return new Case(
            "http",
            "Expect: 100-continue with an oversized Content-Length",
            head("POST", "/get-online-features", 5_000_000L, "Expect: 100-continue\r\n"),
            false);
      }
      case 3, 12 -> {
        return new Case(
            "http",
            "Content-Length not a number",
            ("POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII),
            true);
      }
      case 4 -> {
        return new Case(
            "http",
            "request line of 9000 bytes",
            request("POST", "/get-online-features?" + "a".repeat(9000), body, ""),
            true);
      }
      case 5 -> {
        return new Case(
            "http",
            "a header of 20000 bytes",
            request("POST", "/get-online-features", body, "X-Junk: " + "j".repeat(20_000) + "\r\n"),
            true);
      }
      case 6 -> {
        return new Case(
            "http",
            "body shorter than its Content-Length",
            concat(head("POST", "/get-online-features", body.length + 50L, ""), body),
            false);
      }
      default -> {
        String ctype =
            new String[] {"text/plain", "application/xml", "multipart/form-data; boundary=x"}
                [random.nextInt(3)];
        return new Case(
            "http",
            "form body with Content-Type " + ctype,
            request(
                "POST",
                "/get-online-features",
                "features=user_activity%3Aevent_count_1h&user_id=u"
                    .getBytes(StandardCharsets.US_ASCII),
                "Content-Type: " + ctype + "\r\n"),
            false);
      }
    }
  }

  private Case badPath() {
    String[] paths = {
      "/get-online-features/",
      "/GET-ONLINE-FEATURES",
      "/get-online-features%00",
      "/get_online_features",
      "/../etc/passwd",
      "/features/",
      "/features/user_activity",
      "/features/user_activity/",
      "/features/user_activity/a/b",
      "/features/nope/user_42",
      "/features/user%ZZactivity/u",
      "/features/user_activity/u%2",
      "/features/%C3%28/u",
      "/feature-services/nope/u",
      "/feature-services/%ED%A0%80/u",
      "/feature-services/x",
      "/features/user_activity/%00",
      "/metrics/x",
      "/ready/now",
      "/%2e%2e/%2e%2e/etc/passwd",
      "/features/" + "%F0%9F%98%80".repeat(50) + "/u"
    };
    String path = paths[random.nextInt(paths.length)];
    String method = path.startsWith("/get") && random.nextBoolean() ? "POST" : "GET";
    byte[] body = method.equals("POST") ? VALID.getBytes(StandardCharsets.UTF_8) : new byte[0];
    return new Case("path", method + " " + path, request(method, path, body, ""), false);
  }

  private List<Case> oversized() {
    List<Case> cases = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      int size = (1 << 20) + 1 + random.nextInt(1 << 20);
      byte[] body = padded(size);
      cases.add(
          new Case(
              "oversized",
              size + " bytes with Content-Length",
              request("POST", "/get-online-features", body, ""),
              false));
      cases.add(new Case("oversized", size + " bytes chunked", chunked(body), false));
    }
    return cases;
  }

  /** A syntactically valid body of {@code size} bytes: the valid request with a long entity. */
  private static byte[] padded(int size) {
    String head =
        "{\"features\": [\"user_activity:event_count_1h\"], \"entities\": {\"user_id\": [\"";
    String tail = "\"]}}";
    return (head + "x".repeat(size - head.length() - tail.length()) + tail)
        .getBytes(StandardCharsets.US_ASCII);
  }

  private List<Integer> outsideStrings() {
    List<Integer> positions = new ArrayList<>();
    boolean inString = false;
    for (int i = 0; i <= VALID.length(); i++) {
      if (!inString) {
        positions.add(i);
      }
      if (i < VALID.length() && VALID.charAt(i) == '"') {
        inString = !inString;
      }
    }
    positions.remove(Integer.valueOf(VALID.length()));
    return positions;
  }

  private Case post(String kind, String description, String body) {
    return post(kind, description, body.getBytes(StandardCharsets.UTF_8), "");
  }

  private Case post(String kind, String description, byte[] body, String headers) {
    return new Case(
        kind, description, request("POST", "/get-online-features", body, headers), false);
  }

  private byte[] request(String method, String path, byte[] body, String headers) {
    return concat(head(method, path, body.length, headers), body);
  }

  private byte[] head(String method, String path, long length, String headers) {
    return (method
            + " "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1:"
            + port
            + "\r\n"
            + headers
            + "Content-Length: "
            + length
            + "\r\n\r\n")
        .getBytes(StandardCharsets.UTF_8);
  }

  private byte[] chunked(byte[] body) {
    return chunked("/get-online-features", body);
  }

  private byte[] chunked(String path, byte[] body) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        ("POST "
                + path
                + " HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\nTransfer-Encoding: chunked\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    for (int at = 0; at < body.length; at += 65536) {
      int n = Math.min(65536, body.length - at);
      out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body, at, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = new byte[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /** A JSON string literal of any Java string, lone surrogates included (escaped). */
  static String quote(String s) {
    try {
      return GatewayClient.MAPPER.writeValueAsString(s);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
