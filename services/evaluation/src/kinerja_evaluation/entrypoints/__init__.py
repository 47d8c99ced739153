"""HTTP routes, pages and Kafka handlers of the evaluation service: decode, call one use case."""
