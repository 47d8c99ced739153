"""HTTP routes, pages and Kafka handlers of the activity service: decode, call one use case."""
