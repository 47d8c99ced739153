"""HTTP routes, pages and Kafka handlers of the notify service: decode, call one use case."""
