package dev.podium.examples.archive;

import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A request this service cannot read goes to {@code <topic>.dlq}: the original key, value and
 * headers unchanged (so {@code podium dlq replay} can send it back), then {@code podium-dlq-*}
 * headers saying why and where from, as Podium's own consumers write them.
 */
final class DeadLetters {
  private static final int MAX_ERROR = 500;
  /** ISO 8601 in UTC with milliseconds, as Python's {@code isoformat(timespec="milliseconds")}. */
  private static final DateTimeFormatter FAILED_AT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSxxx");

  private DeadLetters() {}

  static ProducerRecord<byte[], byte[]> of(
      ConsumerRecord<byte[], byte[]> record, Undecodable why, String group) {
    List<Header> headers = new ArrayList<>();
    record.headers().forEach(headers::add);
    headers.add(WireHeaders.text("podium-dlq-reason", why.reason));
    headers.add(WireHeaders.text("podium-dlq-detail", why.detail));
    headers.add(WireHeaders.text("podium-dlq-error", cap(why.getMessage())));
    headers.add(WireHeaders.text("podium-dlq-error-class", "Undecodable"));
    headers.add(WireHeaders.text("podium-dlq-original-topic", record.topic()));
    headers.add(WireHeaders.text("podium-dlq-original-partition", "" + record.partition()));
    headers.add(WireHeaders.text("podium-dlq-original-offset", "" + record.offset()));
    headers.add(WireHeaders.text("podium-dlq-original-timestamp", "" + record.timestamp()));
    headers.add(WireHeaders.text("podium-dlq-group", group));
    String now = OffsetDateTime.now(ZoneOffset.UTC).format(FAILED_AT);
    headers.add(WireHeaders.text("podium-dlq-failed-at", now));
    String runId = keyText(record.key());
    if (runId != null && record.headers().lastHeader(WireHeaders.RUN_ID) == null) {
      headers.add(WireHeaders.text("podium-dlq-run-id", runId));
    }
    return new ProducerRecord<>(record.topic() + ".dlq", null, record.key(), record.value(), headers);
  }

  private static String cap(String text) {
    return text.length() <= MAX_ERROR ? text : text.substring(0, MAX_ERROR);
  }

  /** The key as text when it is a short UTF-8 run id, else null. */
  private static String keyText(byte[] key) {
    if (key == null || key.length == 0 || key.length > 200) return null;
    String text = new String(key, StandardCharsets.UTF_8);
    return text.chars().allMatch(c -> c >= 0x20 && c != 0x7f && c != 0xfffd) ? text : null;
  }
}
