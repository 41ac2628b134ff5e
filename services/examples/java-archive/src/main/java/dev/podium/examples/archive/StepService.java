package dev.podium.examples.archive;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The consume loop: each polled batch is decoded, its requests handled one by one, their results
 * (or dead letters) produced, and the batch's offsets committed only once every one of those
 * sends is acknowledged. A failed send rewinds to the batch's start, so nothing is lost (a
 * result may be sent twice; the coordinator keeps the first for an attempt).
 *
 * <p>Results are keyed by the run id as UTF-8 bytes and left to the producer's default
 * partitioner: murmur2, which is how Podium partitions its run-keyed topics.
 *
 * <p>A StepCancelRequested follows the request it cancels on the same partition. Handling is
 * quick and in order here, so a cancel usually finds its attempt done; one that arrives in the
 * same batch as its request, or before a redelivered request, makes the request skipped.
 */
final class StepService {
  private static final int REMEMBERED_CANCELS = 10_000;
  private final Settings settings;
  private final Contract contract;
  private final ArchiveStep step;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final KafkaProducer<byte[], byte[]> producer;
  private final Map<String, Boolean> cancelled =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED_CANCELS;
        }
      };
  private volatile boolean stopping;

  StepService(Settings settings, Contract contract, ArchiveStep step) {
    this.settings = settings;
    this.contract = contract;
    this.step = step;
    this.consumer = new KafkaConsumer<>(consumerConfig(settings));
    this.producer = new KafkaProducer<>(producerConfig(settings));
  }

  private static Properties consumerConfig(Settings settings) {
    Properties config = new Properties();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, settings.groupId());
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false"); // committed after results
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
    return config;
  }

  private static Properties producerConfig(Settings settings) {
    Properties config = new Properties();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
    return config;
  }

  void run() {
    consumer.subscribe(List.of(settings.requestTopic()));
    log("serving " + settings.requestTopic() + " as " + settings.worker());
    try {
      while (!stopping) {
        handle(consumer.poll(Duration.ofMillis(200)));
      }
    } finally {
      consumer.close();
      producer.close();
      log("stopped");
    }
  }

  /** Asks the loop to stop after the batch in hand (called from the shutdown hook). */
  void stop() {
    stopping = true;
  }

  private void handle(ConsumerRecords<byte[], byte[]> batch) {
    if (batch.isEmpty()) return;
    List<Future<RecordMetadata>> sends = new ArrayList<>();
    List<Pending> requests = new ArrayList<>();
    Set<String> cancelsInBatch = new HashSet<>();
    for (ConsumerRecord<byte[], byte[]> record : batch) {
      try {
        sort(record, contract.decode(record.value()), requests, cancelsInBatch);
      } catch (Undecodable why) {
        log("dead-lettering " + where(record) + ": " + why.reason + "/" + why.detail);
        sends.add(producer.send(DeadLetters.of(record, why, settings.groupId())));
      }
    }
    for (Pending request : requests) {
      if (cancelsInBatch.contains(request.request.attemptId())
          || cancelled.containsKey(request.request.attemptId())) {
        log("skipping cancelled " + request.request.attemptId().replace('\u0000', ' '));
        continue;
      }
      sends.add(producer.send(result(request)));
    }
    commitWhenAcknowledged(batch, sends);
  }

  /** A decoded request waiting to be handled, with the record it came in. */
  private record Pending(StepRequest request, ConsumerRecord<byte[], byte[]> record) {}

  private void sort(
      ConsumerRecord<byte[], byte[]> record,
      Contract.Decoded decoded,
      List<Pending> requests,
      Set<String> cancelsInBatch) {
    StepRequest request = StepRequest.of(decoded.record());
    if (decoded.type().equals("StepCancelRequested")) {
      cancelsInBatch.add(request.attemptId());
      cancelled.put(request.attemptId(), true);
    } else {
      requests.add(new Pending(request, record));
    }
  }

  private ProducerRecord<byte[], byte[]> result(Pending pending) {
    StepRequest request = pending.request;
    Results.Encoded event = Results.of(contract, request, outcome(request), settings.worker());
    byte[] key = request.runId().getBytes(StandardCharsets.UTF_8);
    List<Header> headers =
        WireHeaders.forResult(
            pending.record.headers(), request.runId(), request.step(), request.attempt());
    return new ProducerRecord<>(settings.resultsTopic(), null, key, event.value(), headers);
  }

  private Outcome outcome(StepRequest request) {
    try {
      return step.run(request);
    } catch (RuntimeException e) { // a bug in the step fails the attempt, never the service
      log("the step failed unexpectedly on " + request.attemptId().replace('\u0000', ' ') + ": " + e);
      return new Outcome.Failed(e.getClass().getSimpleName(), "unexpected error in the step", true);
    }
  }

  private void commitWhenAcknowledged(
      ConsumerRecords<byte[], byte[]> batch, List<Future<RecordMetadata>> sends) {
    try {
      for (Future<RecordMetadata> send : sends) send.get();
      consumer.commitSync();
    } catch (ExecutionException e) {
      log("a send failed (" + e.getCause() + "): the batch is read again");
      rewind(batch);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stopping = true;
    }
  }

  private void rewind(ConsumerRecords<byte[], byte[]> batch) {
    for (TopicPartition partition : batch.partitions()) {
      consumer.seek(partition, batch.records(partition).get(0).offset());
    }
  }

  private static String where(ConsumerRecord<?, ?> record) {
    return record.topic() + "[" + record.partition() + "]@" + record.offset();
  }

  static void log(String message) {
    System.err.println("java-archive: " + message);
  }
}
