"""The fake Gateway: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME and dispatches.

Frames are plain-JSON text, which discord.py accepts whatever compression it asked for. A
session outlives its connections (so a dropped socket can RESUME and get the events it missed)
until the client closes it cleanly with code 1000 or the test invalidates it.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord
from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

Frame = dict[str, Any]


@dataclass(eq=False)
class GatewaySession:
    """An identified gateway session and every dispatch sent in it (for replay on RESUME)."""

    id: str
    intents: int
    identify: dict[str, Any]
    seq: int = 0
    frames: list[Frame] = field(default_factory=list)
    conn: GatewayConnection | None = None
    ended: bool = False
    presences: list[dict[str, Any]] = field(default_factory=list)


@dataclass(eq=False)
class GatewayConnection:
    """One websocket connection (a session's first, or a resume)."""

    ws: web.WebSocketResponse
    path: str
    query: dict[str, str]
    queue: asyncio.Queue[Frame | None] = field(default_factory=asyncio.Queue)
    session: GatewaySession | None = None
    dropped: bool = False
    closed: bool = False
    close_code: int | None = None


class FakeGateway:
    """Gateway state and protocol; one per :class:`FakeDiscord`."""

    def __init__(self, server: FakeDiscord) -> None:
        self.server = server
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        self.sent_frames: list[Frame] = []
        self.received_frames: list[Frame] = []
        self.heartbeat_times: list[float] = []
        self.identify_count = 0
        self.resume_count = 0

    # ----------------------------------------------------------------- dispatching

    def live_sessions(self) -> list[GatewaySession]:
        """Sessions not ended (connected now, or resumable)."""
        return [s for s in self.sessions.values() if not s.ended]

    def active_session(self) -> GatewaySession:
        """The newest live session: the bot that receives interactions."""
        live = self.live_sessions()
        if not live:
            raise RuntimeError("no bot is connected to the fake gateway (start one first)")
        return live[-1]

    def broadcast(self, event: str, data: Any, *, intent: discord.Intents | None = None) -> None:
        """Dispatch to every live session whose intents cover ``intent``."""
        for session in self.live_sessions():
            if intent is None or session.intents & intent.value:
                self.dispatch(session, event, data)

    def dispatch(self, session: GatewaySession, event: str, data: Any) -> None:
        """Send (or, while disconnected, keep for RESUME) one op 0 DISPATCH."""
        session.seq += 1
        frame = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.frames.append(frame)
        del session.frames[:-2000]
        if session.conn is not None:
            session.conn.queue.put_nowait(frame)

    def ready_payload(self, session_id: str, shard: list[int] | None = None) -> dict[str, Any]:
        """The READY event data (guilds follow as GUILD_CREATE)."""
        server = self.server
        return {
            "v": 10,
            "user": server.me_payload(),
            "guilds": [{"id": str(g), "unavailable": True} for g in server.guilds],
            "session_id": session_id,
            "session_type": "normal",
            "resume_gateway_url": server.resume_gateway_url,
            "shard": shard or [0, 1],
            "application": {"id": str(server.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "_trace": ["fakediscord"],
        }

    # ----------------------------------------------------------------- faults

    async def drop(self, code: int = 4000) -> None:
        """Close every live websocket as a network fault would; sessions stay resumable."""
        for conn in [c for c in self.connections if not c.closed]:
            conn.dropped = True
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            await conn.ws.close(code=code, message=b"fake drop")

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT on every live connection."""
        for conn in self.connections:
            if not conn.closed:
                conn.queue.put_nowait({"op": 7, "d": None})

    def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION to every live session."""
        for session in self.live_sessions():
            if session.conn is not None:
                session.conn.queue.put_nowait({"op": 9, "d": resumable})
            session.ended = not resumable

    # ----------------------------------------------------------------- protocol

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The websocket endpoint (DEFAULT_GATEWAY and resume_gateway_url)."""
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = GatewayConnection(ws, request.path, dict(request.query))
        self.connections.append(conn)
        writer = asyncio.create_task(self._writer(conn))
        hello = {"heartbeat_interval": round(self.server.heartbeat_interval * 1000)}
        conn.queue.put_nowait({"op": 10, "d": {**hello, "_trace": ["fakediscord"]}})
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(conn, json.loads(msg.data))
                    self.server.notify()
        finally:
            conn.queue.put_nowait(None)
            await writer
            conn.closed, conn.close_code = True, ws.close_code
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                if not conn.dropped and ws.close_code == 1000:
                    session.ended = True  # the client closed: nothing to resume
            self.server.notify()
        return ws

    async def _writer(self, conn: GatewayConnection) -> None:
        while (frame := await conn.queue.get()) is not None:
            try:
                await conn.ws.send_str(json.dumps(frame))
            except (ConnectionError, RuntimeError):
                return
            self.sent_frames.append(frame)

    async def _on_frame(self, conn: GatewayConnection, frame: dict[str, Any]) -> None:
        self.received_frames.append(frame)
        op = frame.get("op")
        data: Any = frame.get("d")
        if op == 1:
            self.heartbeat_times.append(self.server.loop_time())
            conn.queue.put_nowait({"op": 11})
        elif op == 2:
            await self._identify(conn, data)
        elif op == 6:
            await self._resume(conn, data)
        elif op == 3 and conn.session is not None:
            conn.session.presences.append(data)
        elif op == 8 and conn.session is not None:
            self._member_chunks(conn.session, data)

    async def _identify(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self.server.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        session = GatewaySession(secrets.token_hex(16), int(data.get("intents", 0)), data)
        self.sessions[session.id] = session
        conn.session, session.conn = session, conn
        self.identify_count += 1
        self.dispatch(session, "READY", self.ready_payload(session.id, data.get("shard")))
        for guild in self.server.guilds.values():
            self.dispatch(session, "GUILD_CREATE", guild.to_gateway_payload())

    async def _resume(self, conn: GatewayConnection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or session.ended or data.get("token") != self.server.token:
            conn.queue.put_nowait({"op": 9, "d": False})
            return
        old = session.conn
        if old is not None and old is not conn:
            old.dropped = True
            await old.ws.close(code=4000)
        conn.session, session.conn = session, conn
        seen = data.get("seq") or 0
        for frame in session.frames:
            if frame["s"] > seen:
                conn.queue.put_nowait(frame)  # what the bot missed while disconnected
        self.resume_count += 1
        self.dispatch(session, "RESUMED", {"_trace": ["fakediscord"]})

    def _member_chunks(self, session: GatewaySession, data: dict[str, Any]) -> None:
        """Answer op 8 REQUEST_GUILD_MEMBERS with one GUILD_MEMBERS_CHUNK per guild."""
        ids = data["guild_id"] if isinstance(data["guild_id"], list) else [data["guild_id"]]
        for gid in ids:
            guild = self.server.guilds[int(gid)]
            chunk = {
                "guild_id": str(guild.id),
                "members": [m.to_payload() for m in guild.members.values()],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": [],
                "nonce": data.get("nonce"),
            }
            self.dispatch(session, "GUILD_MEMBERS_CHUNK", chunk)
