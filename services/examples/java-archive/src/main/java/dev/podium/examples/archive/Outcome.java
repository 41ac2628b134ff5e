package dev.podium.examples.archive;

/** What one attempt came to: a StepCompleted's output, or a StepFailed's error. */
sealed interface Outcome {
  record Completed(String outputJson) implements Outcome {}

  record Failed(String errorType, String errorMessage, boolean retryable) implements Outcome {}
}
