"""Peer connections as the app makes them, for its output and its input alike.

- ICE host candidates on one address only: the server's side of the HTTP connection that
  brought the browser's offer. The browser reached the page there, so it can reach the media
  there too, and the answer names none of the machine's other addresses. aioice gathers on
  every interface but loopback and has no option to choose; `aioice.ice.get_host_addresses` is
  replaced (once, at import) by one that answers the address set by gathering_on() for the
  offer being answered (a context variable, so that peers answered at the same time do not
  mix), and falls back to aioice's own where none is set. Loopback is then allowed too: ICE's
  rule against it (RFC 8445, 5.1.1.1) is for peers on other machines, and a browser on this
  one uses it.
- No STUN server unless --stun-server names one (aiortc's default is a public one).
- No mDNS: the browser's `.local` candidates are dropped from its offer (resolving them would
  mean multicast queries on the LAN); its checks reach the server's candidate anyway, and
  ICE learns its address from them (a peer-reflexive candidate).
"""

from __future__ import annotations

import contextlib
import contextvars
import ipaddress
from collections.abc import Iterator, Sequence

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcrtpsender import RTCRtpSender
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.sdp import SessionDescription

REPAIR_FORMATS = ("rtx", "red", "ulpfec", "flexfec-03")
SIGNALLING_TIMEOUT_S = 15.0  # an answer waits for ICE gathering, longer with a STUN server
_GATHER_ON: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "webrtc_gather_on", default=None
)
_aioice_host_addresses = aioice.ice.get_host_addresses


class OfferError(ValueError):
    """An offer this server cannot answer; the message is one line for the browser."""


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    address = _GATHER_ON.get()
    if address is None:
        return _aioice_host_addresses(use_ipv4, use_ipv6)
    return [address]


aioice.ice.get_host_addresses = _host_addresses


def plain_address(address: str) -> str:
    """An address as a socket names it, IPv4-mapped IPv6 ('::ffff:10.0.0.2') unmapped."""
    parsed = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def new_peer(stun_server: str | None) -> RTCPeerConnection:
    """A peer connection with no STUN server, or the one given: 'host:port' as jetson-utils'
    --stun-server takes it, or a 'stun:' URL."""
    if stun_server and not stun_server.startswith("stun:"):
        stun_server = f"stun:{stun_server}"
    servers = [RTCIceServer(stun_server)] if stun_server else []
    return RTCPeerConnection(RTCConfiguration(iceServers=servers))


def without_mdns_candidates(sdp: str) -> str:
    """The SDP without its candidates that name a host by mDNS (`....local`)."""
    return "".join(line for line in sdp.splitlines(keepends=True) if not _mdns_candidate(line))


def _mdns_candidate(line: str) -> bool:
    fields = line.split()  # a=candidate:FOUNDATION COMPONENT PROTOCOL PRIORITY ADDRESS PORT ...
    return line.startswith("a=candidate:") and len(fields) > 4 and fields[4].endswith(".local")


def offered_video_codecs(sdp: str) -> list[str]:
    """The names of the video codecs an offer lists ('H264', 'VP8'...; not the formats that
    repair a stream, as rtx), each once; OfferError if it is not SDP with one video stream."""
    try:
        description = SessionDescription.parse(sdp)
    except (ValueError, IndexError, KeyError) as error:
        raise OfferError(f"the offer is not SDP this server reads: {error}") from None
    videos = [media for media in description.media if media.kind == "video"]
    if len(videos) != 1:
        raise OfferError(f"the offer must have one video stream, it has {len(videos)}")
    names = (codec.name for codec in videos[0].rtp.codecs)
    return list(dict.fromkeys(name for name in names if name.lower() not in REPAIR_FORMATS))


async def accept_offer(peer: RTCPeerConnection, sdp: str) -> None:
    """Set the browser's offer, its mDNS candidates dropped; OfferError if aiortc refuses it."""
    try:
        await peer.setRemoteDescription(
            RTCSessionDescription(without_mdns_candidates(sdp), "offer")
        )
    except ValueError as error:
        raise OfferError(f"the offer cannot be taken: {error}") from None


def prefer_codec(transceiver: RTCRtpTransceiver, names: Sequence[str]) -> None:
    """Negotiate only the codecs named (and their retransmission); before the offer is set,
    which is when aiortc picks a transceiver's codecs."""
    wanted = {name.lower() for name in (*names, "rtx")}
    capabilities = RTCRtpSender.getCapabilities("video").codecs
    transceiver.setCodecPreferences([c for c in capabilities if c.name.lower() in wanted])


@contextlib.contextmanager
def gathering_on(address: str) -> Iterator[None]:
    """Within it, ICE gathers host candidates on `address` only (in this context: a task)."""
    token = _GATHER_ON.set(plain_address(address))
    try:
        yield
    finally:
        _GATHER_ON.reset(token)


async def answer(peer: RTCPeerConnection, address: str) -> str:
    """Answer the offer set, with ICE candidates on `address` only; the answer's SDP."""
    with gathering_on(address):
        await peer.setLocalDescription(await peer.createAnswer())
    return peer.localDescription.sdp
