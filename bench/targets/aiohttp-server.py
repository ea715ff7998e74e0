# Baseline 4: the aiohttp server of the blog post wxq grew from, as small as it was: GET echoes
# `echostr`, POST pulls four fields out of the XML with regular expressions and answers `success`.
# No signature check, no queue. Run with Debian's python3 and python3-aiohttp (see the README).
# Reports its port as the Node targets do: one {"listening":PORT} line on stdout.
import asyncio
import json
import re
import socket

from aiohttp import web

FIELDS = {
    name: re.compile(rf"<{name}><!\[CDATA\[(.*?)\]\]></{name}>")
    for name in ("ToUserName", "FromUserName", "MsgType", "Content")
}


async def verify(request):
    return web.Response(text=request.query.get("echostr", ""))


async def receive(request):
    body = await request.text()
    message = {}
    for name, pattern in FIELDS.items():
        match = pattern.search(body)
        message[name] = match.group(1) if match else None
    return web.Response(text="success")


async def main():
    app = web.Application()
    app.router.add_get("/wechat", verify)
    app.router.add_post("/wechat", receive)
    # No access log: the bare Node baselines log nothing either.
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    print(json.dumps({"listening": sock.getsockname()[1]}, separators=(",", ":")), flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
