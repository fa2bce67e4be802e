package io.freshet.online;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class OnlineStoreUriTest {
  @Test
  void a_single_server_uri_is_passed_on_unchanged() {
    OnlineStoreUri uri = OnlineStoreUri.parse("redis://secret@h:6380/3");
    assertThat(uri.cluster()).isFalse();
    assertThat(uri.nodes()).containsExactly("redis://secret@h:6380/3");
  }

  @Test
  void a_cluster_uri_names_its_seed_nodes_with_the_credentials_of_the_cluster() {
    OnlineStoreUri uri = OnlineStoreUri.parse("redis-cluster://u:pw@a:7000, b ,[::1]:7002/0");
    assertThat(uri.cluster()).isTrue();
    assertThat(uri.nodes())
        .isEqualTo(
            List.of("redis://u:pw@a:7000", "redis://u:pw@b:6379", "redis://u:pw@[::1]:7002"));
    assertThat(OnlineStoreUri.parse("rediss-cluster://a:1?timeout=5s").nodes())
        .containsExactly("rediss://a:1?timeout=5s");
    assertThat(OnlineStoreUri.isCluster("REDIS-CLUSTER://a:1")).isTrue();
    assertThat(OnlineStoreUri.isCluster("redis://a:1")).isFalse();
  }

  @Test
  void a_cluster_uri_is_checked() {
    assertThatThrownBy(() -> OnlineStoreUri.parse("redis-cluster://a:1/2"))
        .hasMessageContaining("only database 0");
    assertThatThrownBy(() -> OnlineStoreUri.parse("redis-cluster://a:1,,b:2"))
        .hasMessageContaining("empty host");
    assertThatThrownBy(() -> OnlineStoreUri.parse("redis-cluster://a:x"))
        .hasMessageContaining("bad port");
  }
}
