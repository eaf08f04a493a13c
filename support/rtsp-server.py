#!/usr/bin/python3
"""A real RTSP server for Patrol's tests and benchmarks (Debian's GStreamer RTSP server).

Each mount is a *shared* media whose pipeline receives H.264 RTP on a local UDP port and re-payloads it, so one
`ffmpeg -re -stream_loop -1 -i clip.ts -c copy -f rtp rtp://127.0.0.1:PORT` feeder per mount plays the part of a
camera, and any number of clients can pull it over TCP or UDP. (MPEG-TS, because raw .h264 carries no
timestamps and an .mp4 feeder stops after one loop in ffmpeg 5.1.)

    /usr/bin/python3 support/rtsp-server.py --port 8554 --mount cam1=5004 --mount cam2=5006 \
        [--feed clip.ts [--ffmpeg /usr/bin/ffmpeg]] [--codec h264|h265] [--auth user:pass [--auth-method basic|digest]]
        [--parent-watch]

--codec says what the clip holds (default h264). --auth-method digest asks for RFC 2617 Digest instead of Basic.
--feed starts those feeders itself, tied to this process (they die with it, even on SIGKILL); without it, run
them yourself. --parent-watch exits when stdin closes, so a test runner that dies leaves nothing behind.
Prints `READY port=8554 mounts=cam1,cam2` on stdout once it is listening. Needs gstreamer1.0-rtsp,
gir1.2-gst-rtsp-server-1.0, python3-gi, gstreamer1.0-plugins-good and -bad.
"""
import argparse
import ctypes
import os
import signal
import subprocess
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402

LAUNCH = (
    '( udpsrc port={port} caps="application/x-rtp,media=video,clock-rate=90000,encoding-name={name},payload=96" '
    "! rtp{rtp}depay ! {parse} config-interval=-1 ! rtp{rtp}pay name=pay0 pt=96 config-interval=-1 )"
)
# The feeder's RTP encoding name per --codec (ffmpeg's RTP muxer writes H265 for HEVC, MP4V-ES for MPEG-4).
ENCODING_NAMES = {"h264": "H264", "h265": "H265", "mpeg4": "MP4V-ES"}
# GStreamer's RTP (de)payloader and parser per --codec; mpeg4 is a codec the in-process client cannot read.
ELEMENTS = {"h264": ("h264", "h264parse"), "h265": ("h265", "h265parse"), "mpeg4": ("mp4v", "mpeg4videoparse")}


def parse_mount(text):
    name, sep, port = text.partition("=")
    if not sep or not name or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=UDPPORT, got {text!r}")
    return name, int(port)


def die_with_parent():
    """Runs in each feeder before exec: the kernel SIGKILLs it when this server dies, however it dies."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def start_feeders(mounts, clip, ffmpeg):
    feeders = []
    for _, port in mounts:
        cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-re", "-stream_loop", "-1", "-i", clip,
               "-c", "copy", "-f", "rtp", f"rtp://127.0.0.1:{port}"]
        feeders.append(subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, preexec_fn=die_with_parent))
    return feeders


class MountFactory(GstRtspServer.RTSPMediaFactory):
    """A mount's factory whose shared media is keyed by the mount path alone.

    GStreamer keys shared media by the request URL *with its port* ("8554/cam1"), so a client that reaches the
    server under another port (a TCP proxy in front of it, as the tests use) gets a second pipeline of the same
    mount. That pipeline binds a second udpsrc on the feeder's port, and udpsrc binds with SO_REUSEADDR and
    SO_REUSEPORT (GLib does for datagram sockets): the kernel then hands the feeder's datagrams to one of the two
    sockets by a hash of the feeder's address, the same one for the server's whole life. When the hash picks the
    old pipeline, the new one never gets a packet: its DESCRIBE waits 20 s for a preroll that never comes and
    fails, and all that time it holds the server's one client thread, so every other client's OPTIONS goes
    unanswered. One feeder per mount means one pipeline per mount, whatever port or host the client named.
    """

    def do_gen_key(self, url):
        return url.abspath + (f"?{url.query}" if url.query else "")


def make_factory(port, role, codec):
    factory = MountFactory()
    rtp, parse = ELEMENTS[codec]
    factory.set_launch(LAUNCH.format(port=port, rtp=rtp, parse=parse, name=ENCODING_NAMES[codec]))
    # One pipeline per mount, whatever the number of clients: like a camera, and cheap for load tests.
    factory.set_shared(True)
    if role:
        # With auth on, a factory without permissions is forbidden to everyone.
        factory.add_role_from_structure(
            Gst.Structure.new_from_string(f"{role}, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")
        )
    return factory


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=8554)
    ap.add_argument("--address", default="127.0.0.1")
    ap.add_argument("--mount", type=parse_mount, action="append", default=[], help="NAME=UDPPORT")
    ap.add_argument("--auth", help="USER:PASS required on every mount")
    ap.add_argument("--auth-method", choices=["basic", "digest"], default="basic", help="how --auth is asked for")
    ap.add_argument("--codec", choices=sorted(ENCODING_NAMES), default="h264", help="the codec of the feeders' clip")
    ap.add_argument("--feed", help="MPEG-TS clip: start one looping ffmpeg RTP feeder per mount")
    ap.add_argument("--ffmpeg", default="ffmpeg", help="ffmpeg binary for --feed")
    ap.add_argument("--parent-watch", action="store_true", help="exit when stdin reaches end of file")
    ap.add_argument("--client-threads", type=int, default=0,
                    help="serve clients on up to N threads (default GStreamer's 1: a DESCRIBE that prepares a mount's media, "
                         "waiting for its keyframe, holds up every other client; tour mode's many short visits need more)")
    args = ap.parse_args()
    if not args.mount:
        ap.error("give at least one --mount NAME=UDPPORT")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.address)
    server.set_service(str(args.port))
    if args.client_threads > 0:
        server.get_thread_pool().set_max_threads(args.client_threads)
    mounts = server.get_mount_points()

    if args.auth:
        user, _, password = args.auth.partition(":")
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        if args.auth_method == "digest":
            auth.add_digest(user, password, token)
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
        else:
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        # No default token: an anonymous client gets 401 with a challenge (ffmpeg only sends credentials then);
        # a default token would turn refusals into 404s.
        server.set_auth(auth)

    role = "user" if args.auth else None
    for name, port in args.mount:
        mounts.add_factory("/" + name, make_factory(port, role, args.codec))

    if server.attach(None) == 0:
        print(f"cannot listen on {args.address}:{args.port}", file=sys.stderr, flush=True)
        sys.exit(2)

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    if args.parent_watch:
        def on_stdin(fd, _cond):
            if not os.read(fd, 4096):
                loop.quit()
                return False
            return True

        GLib.io_add_watch(0, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    feeders = start_feeders(args.mount, args.feed, args.ffmpeg) if args.feed else []
    names = ",".join(n for n, _ in args.mount)
    print(f"READY port={args.port} mounts={names}", flush=True)
    try:
        loop.run()
    finally:
        for f in feeders:
            f.kill()


if __name__ == "__main__":
    main()
