"""The floor the chat is measured against: plain python-socketio on eventlet.

The same three events as the chat (join_room, send_message, leave_room) and the same
async mode and web server as `python app.py` in part2_chat, but no Flask, no session, no
validation, no member list and no rate limit. Whatever the chat costs above this server
is the price of its own code.

    HOST=127.0.0.1 PORT=5000 python bench/bare_server.py
"""
import os

import eventlet
import eventlet.wsgi
import socketio

sio = socketio.Server(async_mode="eventlet")


@sio.on("join_room")
def join_room(sid, data):
    sio.enter_room(sid, data["room"])
    sio.emit("join_room_announcement", {"username": data["username"], "room": data["room"]},
             to=data["room"], skip_sid=sid)
    return {"ok": True}


@sio.on("send_message")
def send_message(sid, data):
    sio.emit("receive_message", {"username": data["username"], "room": data["room"],
                                 "message": data["message"]}, to=data["room"])
    return {"ok": True}


@sio.on("leave_room")
def leave_room(sid, data):
    sio.leave_room(sid, data["room"])
    sio.emit("leave_room_announcement", {"username": data["username"], "room": data["room"]},
             to=data["room"])
    return {"ok": True}


def page(environ, start_response):
    """Every other path (/, /chat): an empty page, so the load generator's first request
    is answered as it is by the chat."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"bare python-socketio server\n"]


app = socketio.WSGIApp(sio, page)

if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"bare python-socketio server on http://{host}:{port}/", flush=True)
    # As Flask-SocketIO's socketio.run() does under eventlet: eventlet.listen() with its
    # default backlog and eventlet's WSGI server without a request log.
    eventlet.wsgi.server(eventlet.listen((host, port)), app, log_output=False)
