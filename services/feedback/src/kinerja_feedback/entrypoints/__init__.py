"""HTTP routes, pages and Kafka handlers of the feedback service: decode, call one use case."""
