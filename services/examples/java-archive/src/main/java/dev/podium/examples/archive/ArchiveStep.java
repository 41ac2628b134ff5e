package dev.podium.examples.archive;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The "archive" step: writes the step's input and its upstream steps' outputs to
 * {@code <ARCHIVE_DIR>/<run id>/<input.name>.json} and returns where, how large and its SHA-256.
 * Rewriting the same file makes a repeated attempt harmless. Its compensation removes the file.
 *
 * <p>An input without a valid {@code name} can never succeed: a non-retryable ValidationError. An
 * I/O error may pass: retryable, so the coordinator retries as the pipeline declares.
 */
final class ArchiveStep {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Path root;

  ArchiveStep(Settings settings) {
    this.root = settings.archiveDir();
  }

  Outcome run(StepRequest request) {
    JsonNode raw;
    try {
      raw = JSON.readTree(request.inputJson());
    } catch (JsonProcessingException e) {
      return new Outcome.Failed("InputNotJSON", "input_json is not JSON", false);
    }
    Envelope envelope = Envelope.of(raw);
    String name = envelope.input() == null ? "" : envelope.input().path("name").asText("");
    if (!SAFE.matcher(name).matches()) {
      String why = "input.name must be 1 to 100 of A-Z a-z 0-9 . _ -, got '" + cap(name) + "'";
      return new Outcome.Failed("ValidationError", why, false);
    }
    Path file = folder(request.runId()).resolve(name + ".json");
    try {
      boolean undo = request.compensate() || envelope.compensates() != null;
      return undo ? remove(file) : archive(file, request, envelope);
    } catch (IOException e) {
      String message = cap(String.valueOf(e.getMessage()));
      return new Outcome.Failed(e.getClass().getSimpleName(), message, true);
    }
  }

  private Outcome archive(Path file, StepRequest request, Envelope envelope) throws IOException {
    ObjectNode document = JSON.createObjectNode();
    document.put("run_id", request.runId()).put("step", request.step());
    document.set("input", envelope.input());
    document.set("upstream", envelope.upstream());
    byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(document);
    Files.createDirectories(file.getParent());
    Path partial = file.resolveSibling(file.getFileName() + ".partial");
    Files.write(partial, bytes);
    Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    ObjectNode output = JSON.createObjectNode();
    output.put("archived", file.toString()).put("bytes", bytes.length).put("sha256", sha256(bytes));
    output.set("upstream_steps", JSON.valueToTree(sortedNames(envelope.upstream())));
    return new Outcome.Completed(JSON.writeValueAsString(output));
  }

  private Outcome remove(Path file) throws IOException {
    boolean removed = Files.deleteIfExists(file);
    ObjectNode output = JSON.createObjectNode();
    output.put("removed", file.toString()).put("existed", removed);
    return new Outcome.Completed(JSON.writeValueAsString(output));
  }

  /** The run's folder; a run id that is no safe file name is replaced by its hash. */
  private Path folder(String runId) {
    if (SAFE.matcher(runId).matches()) return root.resolve(runId);
    return root.resolve("run-" + sha256(runId.getBytes(StandardCharsets.UTF_8)).substring(0, 16));
  }

  private static List<String> sortedNames(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    names.sort(null);
    return names;
  }

  private static String cap(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
