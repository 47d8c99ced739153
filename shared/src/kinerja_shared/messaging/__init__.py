"""Kafka plumbing: transactional outbox relay, inbox dedupe, batched consumer with retry and DLQ."""
