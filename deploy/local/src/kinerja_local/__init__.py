"""Local Kinerja stack without Docker: Apache Kafka (KRaft) from Maven Central jars, a PostgreSQL cluster, the
services. `kinerja-local --help` for the CLI; `ensure_infra()` / `stop_all()` for test fixtures."""

from .config import KAFKA_VERSION, SERVICES, StackError
from .postgres import ServiceDb
from .stack import (
    Infra,
    KafkaBroker,
    down,
    ensure_infra,
    service_database_urls,
    start_kafka,
    status,
    stop_all,
    stop_kafka,
    up,
)

__all__ = [
    "KAFKA_VERSION",
    "SERVICES",
    "Infra",
    "KafkaBroker",
    "ServiceDb",
    "StackError",
    "down",
    "ensure_infra",
    "service_database_urls",
    "start_kafka",
    "status",
    "stop_all",
    "stop_kafka",
    "up",
]
