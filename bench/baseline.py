"""The yardstick: a stateless Flask endpoint answering a fixed TwiML menu, as cheap as a hop
can be. `make bench` serves it with the same gunicorn settings as the gateway."""

from flask import Flask, Response

MENU = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="/menu?step=1" input="dtmf" method="POST" numDigits="1" timeout="8">'
    '<Say language="id-ID">Selamat datang di Telepasar. Pilih bahasa: '
    "Bahasa Indonesia, tekan satu. Basa Bali, tekan dua. English, tekan tiga.</Say>"
    '</Gather><Redirect method="POST">/menu?step=1&amp;silence=1</Redirect></Response>'
)

app = Flask(__name__)


@app.post("/menu")
def menu() -> Response:
    return Response(MENU, mimetype="text/xml")


@app.get("/healthz")
def healthz() -> Response:
    return Response("ok\n", mimetype="text/plain")
