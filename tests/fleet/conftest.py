"""Fleet fixtures: a real nats-server configured by `core.fleet.broker_config`.

`nats_broker` is one server per test session (per xdist worker), for tests that only connect,
publish and subscribe. A test that stops, kills or restarts the broker, or needs JetStream empty,
takes `own_nats_broker`: a server of its own, stopped at the test's end.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.nats_broker import NatsBroker


@pytest.fixture(scope="session")
def nats_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsBroker]:
    broker = NatsBroker(tmp_path_factory.mktemp("nats-broker")).start()
    yield broker
    broker.stop()


@pytest.fixture
def own_nats_broker(tmp_path: Path) -> Iterator[NatsBroker]:
    broker = NatsBroker(tmp_path / "nats-broker").start()
    yield broker
    broker.stop()
