package {{package}};

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.freshet.plan.Catalog;
import io.freshet.plan.DeclaredDefinitions;
import io.freshet.plan.ViewPlan;
import java.util.List;
import org.junit.jupiter.api.Test;

class PageClickFeaturesTest {
  /**
   * The checks {@code freshet apply} runs on target/*.jar, run at build time: the service file
   * names loadable classes, the DSL accepts every definition, view names are unique. A failure
   * says what is wrong and how to fix it.
   */
  @Test
  void definitions_pass_the_checks_of_freshet_apply() {
    Catalog catalog = DeclaredDefinitions.check(getClass().getClassLoader());
    assertEquals(List.of("page_clicks"), catalog.plans().stream().map(ViewPlan::name).toList());
  }

  @Test
  void page_clicks_reads_its_own_topic_keyed_by_page() {
    ViewPlan plan = ViewPlan.of(PageClickFeatures.pageClicks());
    assertEquals("page-clicks", plan.source().topic());
    assertEquals(List.of("page_id"), plan.source().keyFields());
  }
}
