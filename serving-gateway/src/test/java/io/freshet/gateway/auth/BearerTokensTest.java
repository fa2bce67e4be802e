package io.freshet.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokensTest {
  @TempDir Path dir;

  @Test
  void disabled_accepts_nothing_and_is_off() {
    assertThat(BearerTokens.disabled().enabled()).isFalse();
    assertThat(BearerTokens.disabled().accepts("anything")).isFalse();
  }

  @Test
  void accepts_exactly_the_given_tokens() {
    BearerTokens tokens = BearerTokens.of(List.of("alpha-1", "beta_2"));

    assertThat(tokens.enabled()).isTrue();
    assertThat(tokens.count()).isEqualTo(2);
    assertThat(tokens.accepts("alpha-1")).isTrue();
    assertThat(tokens.accepts("beta_2")).isTrue();
    assertThat(tokens.accepts("alpha-")).isFalse();
    assertThat(tokens.accepts("")).isFalse();
    assertThat(tokens.accepts(null)).isFalse();
    assertThat(tokens.toString()).isEqualTo("bearer auth with 2 token(s)").doesNotContain("alpha");
  }

  @Test
  void reads_a_file_of_one_token_a_line_skipping_comments_and_blanks() throws IOException {
    Path file = dir.resolve("tokens");
    Files.writeString(
        file, "# gateway tokens\n\n  first-token  \nsecond/token==\n", StandardCharsets.UTF_8);

    BearerTokens tokens = BearerTokens.fromFile(file);

    assertThat(tokens.count()).isEqualTo(2);
    assertThat(tokens.accepts("first-token")).isTrue();
    assertThat(tokens.accepts("second/token==")).isTrue();
  }

  @Test
  void rejects_a_malformed_token_naming_its_line_but_not_the_token() throws IOException {
    Path file = dir.resolve("tokens");
    Files.writeString(file, "good\nbad token\n", StandardCharsets.UTF_8);

    assertThatThrownBy(() -> BearerTokens.fromFile(file))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            file
                + " line 2 is not a valid bearer token (use only A-Z a-z 0-9 - . _ ~ + / and"
                + " trailing =, e.g. a random base64url string)")
        .hasMessageNotContaining("bad token");
  }

  @Test
  void rejects_a_file_without_tokens() throws IOException {
    Path file = dir.resolve("tokens");
    Files.writeString(file, "# nothing yet\n", StandardCharsets.UTF_8);

    assertThatThrownBy(() -> BearerTokens.fromFile(file))
        .hasMessage(
            file
                + " holds no gateway token (give at least one, or leave auth off by not"
                + " configuring tokens)");
  }

  @Test
  void rejects_a_missing_file_naming_it() {
    Path file = dir.resolve("absent");

    assertThatThrownBy(() -> BearerTokens.fromFile(file))
        .hasMessageStartingWith("cannot read gateway tokens from " + file + ": ");
  }

  @Test
  void environment_is_off_when_unset_and_on_with_comma_separated_tokens() {
    assertThat(BearerTokens.fromEnvironment(Map.of()).enabled()).isFalse();

    BearerTokens tokens =
        BearerTokens.fromEnvironment(Map.of(BearerTokens.TOKENS_ENV, " one , two,,three "));

    assertThat(tokens.count()).isEqualTo(3);
    assertThat(tokens.accepts("two")).isTrue();
  }

  @Test
  void environment_may_name_a_tokens_file() throws IOException {
    Path file = dir.resolve("tokens");
    Files.writeString(file, "from-file\n", StandardCharsets.UTF_8);

    BearerTokens tokens =
        BearerTokens.fromEnvironment(Map.of(BearerTokens.TOKENS_FILE_ENV, file.toString()));

    assertThat(tokens.accepts("from-file")).isTrue();
  }

  @Test
  void environment_with_both_sources_or_a_blank_list_is_an_error() {
    assertThatThrownBy(
            () ->
                BearerTokens.fromEnvironment(
                    Map.of(BearerTokens.TOKENS_ENV, "a", BearerTokens.TOKENS_FILE_ENV, "/x")))
        .hasMessage(
            "FRESHET_GATEWAY_TOKENS and FRESHET_GATEWAY_TOKENS_FILE are both set (set one: tokens"
                + " inline, or a file of tokens)");
    assertThatThrownBy(() -> BearerTokens.fromEnvironment(Map.of(BearerTokens.TOKENS_ENV, " , ")))
        .hasMessageStartingWith("FRESHET_GATEWAY_TOKENS holds no gateway token");
  }
}
