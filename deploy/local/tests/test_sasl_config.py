"""The SASL/SCRAM + ACL option of the local broker, as configuration (no broker; tests/security runs one)."""

from __future__ import annotations

from pathlib import Path

from kinerja_local.cli import build_parser
from kinerja_local.config import Paths
from kinerja_local.kafka import random_cluster_id, sasl_port_of_running, server_properties


def _props(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_without_sasl_the_broker_has_no_authorizer(tmp_path: Path) -> None:
    props = _props(server_properties(Paths(tmp_path), 9092, 9093))
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert "authorizer.class.name" not in props
    assert sasl_port_of_running(Paths(tmp_path)) is None


def test_sasl_adds_a_scram_listener_and_denies_what_no_acl_allows(tmp_path: Path) -> None:
    p = Paths(tmp_path)
    text = server_properties(p, 9092, 9093, 9094)
    props = _props(text)
    assert props["listeners"].split(",") == [
        "PLAINTEXT://127.0.0.1:9092",
        "CONTROLLER://127.0.0.1:9093",
        "SASL://127.0.0.1:9094",
    ]
    assert "SASL://127.0.0.1:9094" in props["advertised.listeners"]
    assert "SASL:SASL_PLAINTEXT" in props["listener.security.protocol.map"]
    assert props["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert "ScramLoginModule required" in props["listener.name.sasl.scram-sha-512.sasl.jaas.config"]
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:ANONYMOUS;User:kinerja-admin"
    assert props["inter.broker.listener.name"] == "PLAINTEXT"  # the loopback admin door stays
    p.kafka.mkdir(parents=True)
    (p.kafka / "server.properties").write_text(text)
    assert sasl_port_of_running(p) == 9094


def test_up_takes_sasl_flag() -> None:
    assert build_parser().parse_args(["up", "--sasl", "--infra-only"]).sasl is True
    assert build_parser().parse_args(["up"]).sasl is False


def test_cluster_ids_look_like_kafkas_and_never_start_with_a_dash() -> None:
    ids = {random_cluster_id() for _ in range(2000)}
    assert len(ids) == 2000
    assert all(len(i) == 22 and not i.startswith("-") for i in ids)
