package dev.podium.examples.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;

/**
 * Podium's contract as this service uses it: the step events of {@code schemas/} (carried in the
 * jar under {@code podium/schemas/}), framed with Avro single-object encoding ({@code C3 01}, the
 * writer schema's 8-byte little-endian CRC-64-AVRO fingerprint, the Avro binary body).
 *
 * <p>Old versions ({@code history/<Name>.v<N>.avsc}) are registered with each decoder, so a
 * request written by an older coordinator is read with today's schema.
 */
final class Contract {
  static final List<String> REQUESTS = List.of("StepRequested", "StepCancelRequested");
  static final List<String> RESULTS = List.of("StepCompleted", "StepFailed", "StepHeartbeat");
  private static final byte[] MAGIC = {(byte) 0xC3, 0x01};
  private static final int HEADER_SIZE = 10;

  private final Map<String, Schema> current = new HashMap<>();
  private final Map<Long, String> typeByFingerprint = new HashMap<>();
  private final Map<String, BinaryMessageDecoder<GenericRecord>> decoders = new HashMap<>();
  private final Map<String, BinaryMessageEncoder<GenericRecord>> encoders = new HashMap<>();

  /** A decoded request: its short type name and its fields. */
  record Decoded(String type, GenericRecord record) {}

  static Contract load() throws IOException {
    Contract contract = new Contract();
    for (String type : REQUESTS) contract.addReadable(type);
    for (String type : RESULTS) contract.addWritable(type);
    return contract;
  }

  private void addReadable(String type) throws IOException {
    Schema schema = resource(type + ".avsc");
    BinaryMessageDecoder<GenericRecord> decoder =
        new BinaryMessageDecoder<>(GenericData.get(), schema);
    remember(type, schema);
    for (int version = 1; ; version++) {
      Schema old = optionalResource("history/" + type + ".v" + version + ".avsc");
      if (old == null) break;
      decoder.addSchema(old);
      remember(type, old);
    }
    decoders.put(type, decoder);
  }

  private void addWritable(String type) throws IOException {
    Schema schema = resource(type + ".avsc");
    remember(type, schema); // known, so one on the request topic is "wrong-type", not "schema"
    encoders.put(type, new BinaryMessageEncoder<>(GenericData.get(), schema));
  }

  private void remember(String type, Schema schema) {
    current.putIfAbsent(type, schema);
    typeByFingerprint.put(SchemaNormalization.parsingFingerprint64(schema), type);
  }

  /** A new, empty record of the current schema of {@code type} (e.g. "StepCompleted"). */
  GenericRecord newRecord(String type) {
    return new GenericData.Record(current.get(type));
  }

  /** The single-object encoding of {@code record} (one of {@link #RESULTS}). */
  byte[] encode(String type, GenericRecord record) throws IOException {
    ByteBuffer buffer = encoders.get(type).encode(record);
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }

  /** The request in {@code value}, or why it is none (never any other exception). */
  Decoded decode(byte[] value) throws Undecodable {
    String type = typeOf(value);
    if (!decoders.containsKey(type)) {
      throw new Undecodable("wrong-type", "wrong-event-type", "podium.v1." + type + " is no request");
    }
    try {
      return new Decoded(type, decoders.get(type).decode(value));
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException e) {
      throw new Undecodable("decode", "corrupt-body", "the Avro body does not decode: " + e);
    }
  }

  private String typeOf(byte[] value) throws Undecodable {
    if (value == null || value.length < MAGIC.length || value[0] != MAGIC[0] || value[1] != MAGIC[1]) {
      throw new Undecodable("decode", "not-avro-framing", "not an Avro single-object message");
    }
    if (value.length < HEADER_SIZE) {
      throw new Undecodable("decode", "truncated", "value ends inside the single-object header");
    }
    long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    String type = typeByFingerprint.get(fingerprint);
    if (type == null) {
      throw new Undecodable("schema", "unknown-fingerprint", "no known schema has this fingerprint");
    }
    return type;
  }

  private static Schema resource(String name) throws IOException {
    Schema schema = optionalResource(name);
    if (schema == null) throw new IOException("the jar has no podium/schemas/" + name);
    return schema;
  }

  private static Schema optionalResource(String name) throws IOException {
    try (InputStream in = Contract.class.getResourceAsStream("/podium/schemas/" + name)) {
      return in == null ? null : new Schema.Parser().parse(in);
    }
  }
}
