"""An in-process publish/subscribe hub: one event fans out to every open SSE stream of a channel.

Channels are names: "class:<code>" reaches every student of a class (teacher pushes, the end of
the session), "student:<id>" one student (removed by the teacher), "teacher:<code>" the projector
(new results, students joining). An event is serialized once, when it is published, and every
subscriber gets the same bytes — 300 phones cost 300 queue appends, not 300 json.dumps.

Subscribers are bounded queues. A subscriber that stops reading (a phone that went to sleep with
its socket open) is dropped when its queue is full: its stream ends, the browser reconnects, and
on reconnecting it gets the latest push from the database — so nothing a student needs is lost.

Several web processes (uvicorn --workers N, or several machines behind a proxy) each have their
own hub. To share one, publish through Redis instead of only locally: every process subscribes
to the Redis pattern "playground:classroom:*" in a background task and hands each message to its
local hub's `deliver`, and `publish` becomes `redis.publish("playground:classroom:" + channel,
frame)`. Nothing else changes: the state a late or reconnecting subscriber needs (the latest
push, the students, the results) is already in the shared database, not in the hub.
`RedisBridge` below does exactly this; the service starts it when PLAYGROUND_QUEUE_URL is a
redis:// URL (a deployment on several processes or machines). One process, the default
`playground serve`, needs nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

log = logging.getLogger(__name__)
QUEUE_SIZE = 256
CLOSE = b""  # put on a queue to end its stream


def sse_frame(event: str, data: Any) -> bytes:
    """One Server-Sent Events message: `event: push` + `data: {...}` + a blank line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n".encode()


class Hub:
    def __init__(self) -> None:
        self._channels: dict[str, set[asyncio.Queue[bytes]]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.bridge: RedisBridge | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def attach(self, *channels: str) -> asyncio.Queue[bytes]:
        queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_SIZE)
        queue.channels = channels  # type: ignore[attr-defined]  (for detaching a reader that is gone)
        for channel in channels:
            self._channels.setdefault(channel, set()).add(queue)
        return queue

    def detach(self, queue: asyncio.Queue[bytes], *channels: str) -> None:
        for channel in channels or getattr(queue, "channels", ()):
            subscribers = self._channels.get(channel)
            if subscribers is not None:
                subscribers.discard(queue)
                if not subscribers:
                    del self._channels[channel]

    @asynccontextmanager
    async def subscribe(self, *channels: str) -> AsyncIterator[asyncio.Queue[bytes]]:
        queue = self.attach(*channels)
        try:
            yield queue
        finally:
            self.detach(queue, *channels)

    def subscribers(self, channel: str) -> int:
        return len(self._channels.get(channel, ()))

    def publish(self, channel: str, event: str, data: Any) -> None:
        """From the event loop's thread. Reaches other processes too when a bridge is set."""
        frame = sse_frame(event, data)
        if self.bridge is not None:
            self.bridge.publish(channel, frame)
        else:
            self.deliver(channel, frame)

    def publish_threadsafe(self, channel: str, event: str, data: Any) -> None:
        """From a worker thread (a plain `def` route, the recorder)."""
        if self.loop is None or self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.publish, channel, event, data)

    def close_channel(self, channel: str) -> None:
        """End every stream subscribed to a channel (after its final event)."""
        self.deliver(channel, CLOSE)

    def deliver(self, channel: str, frame: bytes) -> None:
        for queue in list(self._channels.get(channel, ())):
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:  # a reader that stopped reading (or never started): end its stream
                log.info("dropping a slow subscriber of %s", channel)
                self.detach(queue)
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait(CLOSE)


class RedisBridge:
    """Hub ↔ Redis pub/sub, for several web processes sharing one class (see the module's note).

    Frames go out in order through one sender task; every process (this one included) gets them
    back from Redis and delivers them to its own subscribers.
    """

    PREFIX = "playground:classroom:"

    def __init__(self, hub: Hub, url: str) -> None:
        import redis.asyncio as aioredis

        self.hub = hub
        self.redis = aioredis.from_url(url)
        self._outbox: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue(10_000)
        self._tasks: list[asyncio.Task] = []

    def publish(self, channel: str, frame: bytes) -> None:
        try:
            self._outbox.put_nowait((channel, frame))
        except asyncio.QueueFull:  # Redis is gone: deliver here at least
            self.hub.deliver(channel, frame)

    async def start(self) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.psubscribe(self.PREFIX + "*")

        async def receive() -> None:
            async for message in pubsub.listen():
                if message.get("type") == "pmessage":
                    self.hub.deliver(message["channel"].decode()[len(self.PREFIX):], message["data"])

        async def send() -> None:
            while True:
                channel, frame = await self._outbox.get()
                try:
                    await self.redis.publish(self.PREFIX + channel, frame)
                except Exception:
                    log.exception("classroom: Redis publish failed; delivering locally")
                    self.hub.deliver(channel, frame)

        self._tasks = [asyncio.create_task(receive()), asyncio.create_task(send())]
        self.hub.bridge = self

    async def stop(self) -> None:
        self.hub.bridge = None
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.redis.aclose()
