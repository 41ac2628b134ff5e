package dev.podium.examples.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.generic.GenericRecord;

/** An attempt's outcome as the StepCompleted or StepFailed record the coordinator reads. */
final class Results {
  private Results() {}

  /** The event's type name and its single-object encoding. */
  record Encoded(String type, byte[] value) {}

  static Encoded of(Contract contract, StepRequest request, Outcome outcome, String worker) {
    String type = outcome instanceof Outcome.Completed ? "StepCompleted" : "StepFailed";
    GenericRecord event = contract.newRecord(type);
    event.put("run_id", request.runId());
    event.put("step", request.step());
    event.put("attempt", request.attempt());
    event.put("worker", worker);
    long now = System.currentTimeMillis(); // timestamp-millis: a long, UTC
    if (outcome instanceof Outcome.Completed done) {
      event.put("output_json", done.outputJson());
      event.put("completed_at", now);
    } else if (outcome instanceof Outcome.Failed failed) {
      event.put("error_type", failed.errorType());
      event.put("error_message", failed.errorMessage());
      event.put("retryable", failed.retryable());
      event.put("failed_at", now);
    }
    try {
      return new Encoded(type, contract.encode(type, event));
    } catch (IOException e) {
      throw new UncheckedIOException("a result of our own schema did not encode", e);
    }
  }
}
