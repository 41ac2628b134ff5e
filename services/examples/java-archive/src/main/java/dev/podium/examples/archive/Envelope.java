package dev.podium.examples.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.HashSet;
import java.util.Set;

/**
 * A request's {@code input_json}, unwrapped (docs/contract.md, "The step request's envelope"): a
 * pipeline step gets {@code {"input": ..., "upstream": {dep: output}}}, a compensation
 * {@code {"compensates": step, "input": ..., "step_input": ..., "output": ...}}; anything else is
 * the input as is.
 */
record Envelope(JsonNode input, JsonNode upstream, String compensates, JsonNode compensatedOutput) {
  private static final Set<String> STEP_KEYS = Set.of("input", "upstream");
  private static final Set<String> COMPENSATION_KEYS =
      Set.of("compensates", "input", "step_input", "output");
  private static final JsonNode NONE = JsonNodeFactory.instance.objectNode();

  static Envelope of(JsonNode raw) {
    Set<String> keys = new HashSet<>();
    if (raw.isObject()) raw.fieldNames().forEachRemaining(keys::add);
    if (keys.equals(STEP_KEYS) && raw.get("upstream").isObject()) {
      return new Envelope(raw.get("input"), raw.get("upstream"), null, null);
    }
    boolean compensation = keys.contains("compensates") && keys.contains("input");
    if (compensation && COMPENSATION_KEYS.containsAll(keys) && raw.get("compensates").isTextual()) {
      return new Envelope(raw.get("input"), NONE, raw.get("compensates").asText(), raw.get("output"));
    }
    return new Envelope(raw, NONE, null, null);
  }
}
