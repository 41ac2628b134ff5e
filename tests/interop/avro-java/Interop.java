// Podium's Avro interop peer: the official Apache Avro Java library, run with
// Java's source launcher (no build step):
//
//   java -cp "LIBS/*" Interop.java SCHEMA_DIR < requests
//
// It loads SCHEMA_DIR/*.avsc (named types may refer to other files) and
// SCHEMA_DIR/history/*.avsc, then answers one request per stdin line:
//
//   fingerprint NAME        -> "ok <hex of the 8 fingerprint bytes, little-endian>"
//   encode NAME AVRO_JSON   -> "ok <hex of the single-object encoded record>"
//   decode NAME HEX         -> "ok <the record as Avro JSON, read with the current schema>"
//
// and "error <message>" when a request fails. BinaryMessageEncoder/Decoder do
// the single-object framing, so nothing here depends on Podium's code.

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;

public class Interop {
  private final Map<String, Schema> current = new HashMap<>();
  private final Map<String, List<Schema>> history = new HashMap<>();

  public static void main(String[] args) throws Exception {
    Interop interop = new Interop(new File(args[0]));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null; line = in.readLine()) {
      if (line.isBlank()) continue;
      System.out.println(interop.answer(line));
      System.out.flush();
    }
  }

  Interop(File dir) throws Exception {
    Map<String, Schema> known = new HashMap<>();
    for (Schema schema : parseAll(listAvsc(dir), known)) {
      current.put(schema.getFullName(), schema);
    }
    File historyDir = new File(dir, "history");
    for (File file : listAvsc(historyDir)) {
      // Each old version is parsed on its own against the current named types,
      // so its own (older) definitions replace the current ones.
      Schema.Parser parser = new Schema.Parser();
      Map<String, Schema> others = new HashMap<>(known);
      others.keySet().removeIf(name -> file.getName().startsWith(shortName(name) + "."));
      parser.addTypes(others);
      Schema old = parser.parse(file);
      history.computeIfAbsent(old.getFullName(), k -> new ArrayList<>()).add(old);
    }
  }

  /** Parses files whose named types are known, repeatedly, until all are parsed. */
  static List<Schema> parseAll(List<File> files, Map<String, Schema> known) throws Exception {
    List<Schema> parsed = new ArrayList<>();
    List<File> pending = new ArrayList<>(files);
    while (!pending.isEmpty()) {
      List<File> failed = new ArrayList<>();
      Exception last = null;
      for (File file : pending) {
        Schema.Parser parser = new Schema.Parser();
        parser.addTypes(known);
        try {
          Schema schema = parser.parse(file);
          known.putAll(parser.getTypes());
          parsed.add(schema);
        } catch (Exception e) {
          failed.add(file);
          last = e;
        }
      }
      if (failed.size() == pending.size()) throw last;
      pending = failed;
    }
    return parsed;
  }

  static List<File> listAvsc(File dir) {
    File[] files = dir.listFiles((d, name) -> name.endsWith(".avsc"));
    if (files == null) return List.of();
    Arrays.sort(files);
    return Arrays.asList(files);
  }

  static String shortName(String fullName) {
    return fullName.substring(fullName.lastIndexOf('.') + 1);
  }

  String answer(String line) {
    String[] parts = line.split(" ", 3);
    try {
      Schema schema = current.get(parts[1]);
      if (schema == null) return "error no schema " + parts[1];
      switch (parts[0]) {
        case "fingerprint": return "ok " + hex(fingerprint(schema));
        case "encode": return "ok " + hex(encode(schema, parts[2]));
        case "decode": return "ok " + decode(schema, unhex(parts[2]));
        default: return "error unknown request " + parts[0];
      }
    } catch (Exception e) {
      return "error " + e.getClass().getSimpleName() + ": " + String.valueOf(e.getMessage()).replace('\n', ' ');
    }
  }

  /** The spec's 64-bit CRC-64-AVRO fingerprint, little-endian as in the single-object header. */
  static byte[] fingerprint(Schema schema) {
    long value = SchemaNormalization.parsingFingerprint64(schema);
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
  }

  static byte[] encode(Schema schema, String avroJson) throws Exception {
    GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(schema);
    GenericRecord record = reader.read(null, DecoderFactory.get().jsonDecoder(schema, avroJson));
    BinaryMessageEncoder<GenericRecord> encoder = new BinaryMessageEncoder<>(GenericData.get(), schema);
    ByteBuffer buffer = encoder.encode(record);
    byte[] out = new byte[buffer.remaining()];
    buffer.get(out);
    return out;
  }

  String decode(Schema schema, byte[] data) throws Exception {
    BinaryMessageDecoder<GenericRecord> decoder = new BinaryMessageDecoder<>(GenericData.get(), schema);
    for (Schema old : history.getOrDefault(schema.getFullName(), List.of())) {
      decoder.addSchema(old);
    }
    GenericRecord record = decoder.decode(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    JsonEncoder json = EncoderFactory.get().jsonEncoder(schema, out);
    new GenericDatumWriter<GenericRecord>(schema).write(record, json);
    json.flush();
    return out.toString(StandardCharsets.UTF_8).replace('\n', ' ');
  }

  static String hex(byte[] bytes) {
    StringBuilder text = new StringBuilder();
    for (byte b : bytes) text.append(String.format("%02x", b));
    return text.toString();
  }

  static byte[] unhex(String text) {
    byte[] out = new byte[text.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(text.substring(2 * i, 2 * i + 2), 16);
    }
    return out;
  }
}
