package io.freshet.dsl.json;

import static io.freshet.dsl.OnDemandExpression.feature;
import static io.freshet.dsl.OnDemandExpression.field;
import static io.freshet.dsl.OnDemandExpression.number;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshet.dsl.DefinitionException;
import io.freshet.dsl.Expression;
import io.freshet.dsl.FeatureService;
import io.freshet.dsl.FeatureType;
import io.freshet.dsl.OnDemandExpression;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The JSON form of feature services with request fields and on-demand features. */
class ServiceJsonTest {
  private final Random random = new Random(7);

  @Test
  void generated_services_round_trip_exactly() {
    for (int i = 0; i < 300; i++) {
      FeatureService.Builder b =
          FeatureService.named("svc_" + i)
              .features("user_activity:event_count_1h")
              .requestField("amount", FeatureType.FLOAT64)
              .requestField("at", FeatureType.INT64)
              .requestField("platform", FeatureType.STRING);
      int n = 1 + random.nextInt(4);
      for (int k = 0; k < n; k++) {
        b.onDemand("od_" + k, expression(4));
      }
      FeatureService service = b.build();
      String json = DefinitionJson.toJson(service);
      FeatureService back = DefinitionJson.serviceFromJson(json);
      assertThat(back).isEqualTo(service);
      assertThat(DefinitionJson.toJson(back)).isEqualTo(json);
    }
  }

  @Test
  void a_service_of_stored_features_keeps_its_json() {
    FeatureService s = FeatureService.of("plain", "user_activity:event_count_1h");
    assertThat(DefinitionJson.toJson(s))
        .doesNotContain("request_fields")
        .doesNotContain("on_demand");
  }

  @Test
  void malformed_on_demand_json_names_the_path() {
    String json =
        "{\"format\": 1, \"kind\": \"feature_service\", \"name\": \"s\", \"features\": [],"
            + " \"request_fields\": [{\"name\": \"amount\", \"type\": \"FLOAT64\"}],"
            + " \"on_demand\": [{\"name\": \"f\", \"expression\": {\"call\": \"sqrt\", \"args\":"
            + " []}}]}";
    assertThatThrownBy(() -> DefinitionJson.serviceFromJson(json))
        .isInstanceOf(DefinitionException.class)
        .hasMessageContaining("on_demand[0].expression.call")
        .hasMessageContaining("unknown function 'sqrt'");
    String badType = json.replace("FLOAT64", "DECIMAL").replace("sqrt", "abs");
    assertThatThrownBy(() -> DefinitionJson.serviceFromJson(badType))
        .hasMessageContaining("request_fields[0].type")
        .hasMessageContaining("unknown type 'DECIMAL'");
  }

  private OnDemandExpression expression(int depth) {
    int c = random.nextInt(depth <= 0 ? 4 : 9);
    switch (c) {
      case 0:
        return feature("user_activity:revenue_1h");
      case 1:
        return field(random.nextBoolean() ? "amount" : "at");
      case 2:
        return number(random.nextInt(2000) / 8.0 - 100);
      case 3:
        return OnDemandExpression.text(random.nextBoolean() ? "web" : "\"quoted\" ☃");
      case 4:
        return new OnDemandExpression.Arithmetic(
            Expression.Op.values()[random.nextInt(4)],
            expression(depth - 1),
            expression(depth - 1),
            random.nextInt(3));
      case 5:
        return new OnDemandExpression.Comparison(
            OnDemandExpression.Comparator.values()[random.nextInt(6)],
            expression(depth - 1),
            expression(depth - 1));
      case 6:
        return OnDemandExpression.coalesce(expression(depth - 1), expression(depth - 1));
      case 7:
        return OnDemandExpression.secondsSince(field("at"));
      default:
        OnDemandExpression.Function f = OnDemandExpression.Function.values()[random.nextInt(4)];
        return f.arity() == 1
            ? new OnDemandExpression.Call(f, java.util.List.of(expression(depth - 1)))
            : new OnDemandExpression.Call(
                f, java.util.List.of(expression(depth - 1), expression(depth - 1)));
    }
  }
}
