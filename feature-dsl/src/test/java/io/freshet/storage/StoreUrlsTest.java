package io.freshet.storage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class StoreUrlsTest {
  @Test
  void hides_the_user_info_of_any_scheme() {
    assertThat(StoreUrls.redact("redis://user:secret@cache:6380/2"))
        .isEqualTo("redis://***@cache:6380/2");
    assertThat(StoreUrls.redact("redis-cluster://secret@a:1,b:2"))
        .isEqualTo("redis-cluster://***@a:1,b:2");
    assertThat(StoreUrls.redact("http://user:secret@host:1/0")).isEqualTo("http://***@host:1/0");
    assertThat(StoreUrls.redact("redis://:pw@")).isEqualTo("redis://***@");
  }

  @Test
  void hides_password_parameters() {
    assertThat(StoreUrls.redact("jdbc:postgresql://db:5432/x?user=app&Password=secret&ssl=true"))
        .isEqualTo("jdbc:postgresql://db:5432/x?user=app&Password=***&ssl=true");
  }

  @Test
  void leaves_a_url_without_credentials_as_it_is() {
    assertThat(StoreUrls.redact("redis://127.0.0.1:6379/0")).isEqualTo("redis://127.0.0.1:6379/0");
    assertThat(StoreUrls.redact(null)).isNull();
  }
}
