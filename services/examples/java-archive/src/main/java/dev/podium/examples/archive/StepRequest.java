package dev.podium.examples.archive;

import org.apache.avro.generic.GenericRecord;

/** The fields of a StepRequested (or StepCancelRequested) that this service uses. */
record StepRequest(String runId, String step, int attempt, String inputJson, boolean compensate) {
  static StepRequest of(GenericRecord record) {
    Object input = record.getSchema().getField("input_json") == null ? null : record.get("input_json");
    Object compensate = record.getSchema().getField("compensate") == null ? null : record.get("compensate");
    return new StepRequest(
        record.get("run_id").toString(),
        record.get("step").toString(),
        (Integer) record.get("attempt"),
        input == null ? "{}" : input.toString(),
        Boolean.TRUE.equals(compensate));
  }

  /** Identifies the attempt, for matching a cancel to its request. */
  String attemptId() {
    return runId + "\u0000" + step + "\u0000" + attempt;
  }
}
