package dev.podium.examples.archive;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * The headers of a result: the request's W3C trace context copied byte for byte (so the run stays
 * one trace through this service, which runs no tracer), then Podium's routing headers.
 */
final class WireHeaders {
  static final Set<String> TRACE = Set.of("traceparent", "tracestate", "baggage");
  static final String RUN_ID = "podium-run-id";
  static final String STEP = "podium-step";
  static final String ATTEMPT = "podium-attempt";

  private WireHeaders() {}

  static List<Header> forResult(Headers request, String runId, String step, int attempt) {
    List<Header> headers = new ArrayList<>();
    for (Header header : request) {
      if (TRACE.contains(header.key()) && header.value() != null) headers.add(header);
    }
    headers.add(text(RUN_ID, runId));
    headers.add(text(STEP, step));
    headers.add(text(ATTEMPT, Integer.toString(attempt)));
    return headers;
  }

  static Header text(String key, String value) {
    return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
  }
}
