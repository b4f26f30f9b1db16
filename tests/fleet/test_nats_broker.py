"""The broker fixture itself: the fleet's kill tests rely on it coming back where it was."""
from __future__ import annotations

import asyncio

from core.fleet.subjects import Subjects
from tests.fakes.nats_broker import NatsBroker

S = Subjects()


def test_a_killed_broker_restarts_on_its_port_with_its_stream(own_nats_broker: NatsBroker) -> None:
    broker = own_nats_broker
    url = broker.url

    async def publish_event() -> None:
        hub = await broker.connect("hub")
        await hub.jetstream().add_stream(name=S.stream(), subjects=[S.events_all()])
        prod = await broker.connect("prod")
        await prod.jetstream().publish(S.events("prod", "audit"), b"kept", headers={"Nats-Msg-Id": "prod:1"})
        await prod.close()
        await hub.close()

    async def stored() -> int:
        hub = await broker.connect("hub")
        info = await hub.jetstream().stream_info(S.stream())
        await hub.close()
        return info.state.messages

    asyncio.run(publish_event())
    broker.kill9()
    assert not broker.running
    broker.start()
    assert broker.url == url
    assert asyncio.run(stored()) == 1
    broker.restart()  # SIGTERM, then start again
    assert broker.running and asyncio.run(stored()) == 1
