package io.freshet.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshet.testing.TestPostgres;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Values the request-time rule computes in Java are rendered as Postgres renders them read from a
 * table: Postgres itself is the oracle.
 */
class PostgresTextTest {
  @Test
  void doubles_print_as_postgres_prints_float8() throws Exception {
    List<Double> values =
        new ArrayList<>(
            List.of(
                0.0,
                -0.0,
                1.0,
                -1.5,
                0.1,
                0.1 + 0.2,
                1.0 / 3,
                100.0,
                1e14,
                123456789012345.0,
                1e15,
                1.5e15,
                1e20,
                1e-4,
                1.2345e-4,
                1e-5,
                5e-324,
                Double.MIN_NORMAL,
                Double.MAX_VALUE,
                -Double.MAX_VALUE,
                Math.PI * 1e100,
                9007199254740993.0,
                Math.pow(2, -44),
                Math.pow(2, 60),
                Double.NaN,
                Double.POSITIVE_INFINITY,
                Double.NEGATIVE_INFINITY));
    Random random = new Random(11);
    for (int i = 0; i < 3000; i++) {
      values.add(Double.longBitsToDouble(random.nextLong()));
      values.add(random.nextInt(1_000_000) / 100.0);
      values.add(random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20));
    }
    values.removeIf(v -> Double.isNaN(v) && Double.doubleToRawLongBits(v) != 0x7ff8000000000000L);
    List<String> postgres = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(TestPostgres.adminUrl());
        Statement s = c.createStatement()) {
      s.execute("SET extra_float_digits = 1");
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT v::text FROM unnest(?::float8[]) WITH ORDINALITY u(v, i)" + " ORDER BY i")) {
        ps.setArray(1, c.createArrayOf("float8", values.toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            postgres.add(rs.getString(1));
          }
        }
      }
    }
    assertThat(postgres).hasSize(values.size());
    List<String> differ = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      String java = PostgresText.float8(values.get(i));
      if (!java.equals(postgres.get(i))) {
        differ.add(values.get(i) + ": Postgres " + postgres.get(i) + ", here " + java);
      }
    }
    assertThat(differ).isEmpty();
  }

  @Test
  void string_lists_print_as_postgres_prints_text_arrays() throws Exception {
    List<List<String>> lists =
        List.of(
            List.of(),
            List.of("a"),
            List.of("a", "b c", ""),
            Arrays.asList("x", null, "NULL", "null"),
            List.of("q\"uote", "back\\slash", "com,ma", "{brace}", "tab\there", "ü"));
    try (Connection c = DriverManager.getConnection(TestPostgres.adminUrl());
        PreparedStatement ps = c.prepareStatement("SELECT ?::text[]::text")) {
      for (List<String> list : lists) {
        Array a = c.createArrayOf("text", list.toArray());
        ps.setArray(1, a);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(PostgresText.arrayLiteral(list))
              .as(list.toString())
              .isEqualTo(rs.getString(1));
        }
      }
    }
  }
}
