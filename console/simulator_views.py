"""The console's Simulator page (admins): phones drawn side by side, each dialling USSD,
calling or texting this gateway exactly as the providers do (simulator/).

The page keeps each phone's state (the USSD session and its input so far, the call and the
URL its last reply named) and posts it back with every key; the server builds the provider's
request, signed or with its token, and hands it to this same app through its WSGI stack.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from console import blueprint, require_admin, state_word, words
from console.texts import TEXTS
from console.views import LogoutForm
from domain.phones import InvalidPhone, friendly_phone, normalize_phone
from simulator.phone import (
    SMS_PROVIDERS,
    VOICE_PROVIDERS,
    Call,
    GatewayRefused,
    UssdSession,
    answer_call_back,
    let_call_back_ring_out,
    replying_provider,
    ring_missed,
    send_sms,
)
from simulator.voice_markup import VoiceStep
from simulator.webhooks import VOICE_ROUTES, AppTransport, Webhooks
from simulator.window import Person, phone_book, ringing, thread
from web.current import current_clock, current_database, current_settings

MAX_TEXT = 500  # an SMS or a USSD answer typed on the page
THREAD_LENGTH = 30


class BadPhoneRequest(Exception):
    """The page sent something no phone would (a bad number, a state it never made)."""


@blueprint.get("/simulator")
def simulator() -> ResponseReturnValue:
    require_admin()
    book = phone_book(current_database())
    return render_template(
        "console/simulator.html",
        book=[_person_json(person) for person in book],
        phones=[_person_json(person) for person in _starting_phones(book)],
        sms_providers=SMS_PROVIDERS,
        sms_provider=replying_provider(current_settings().sms_provider),
        voice_providers=VOICE_PROVIDERS,
        service_code=current_settings().ussd_code,
        texts=_page_texts(),
        real_sms=current_settings().sms_provider != "log",
        sms_provider_setting=current_settings().sms_provider,
        logout_form=LogoutForm(),
    )


@blueprint.post("/simulator/ussd")
def simulator_ussd() -> ResponseReturnValue:
    require_admin()
    body = _body()
    phone, hooks = _phone(body), _hooks()
    state = body.get("state")
    if state is None:
        session = UssdSession.dial(hooks, phone)
    else:
        session = UssdSession(**_fields(state, ("session_id", "text")))
        session.answer(hooks, phone, _text(body.get("input")))
    return jsonify(state=session.to_dict(), screen=session.screen, ended=session.ended)


@blueprint.post("/simulator/call")
def simulator_call() -> ResponseReturnValue:
    require_admin()
    body = _body()
    phone, hooks = _phone(body), _hooks()
    action = body.get("action")
    if action == "dial":
        call, step = Call.dial(hooks, phone, _choice(body.get("provider"), VOICE_PROVIDERS))
    elif action == "pick_up":
        call_back = ringing(current_database(), phone)
        if call_back is None:
            raise BadPhoneRequest(words("simulator.no_call_back"))
        call, step = answer_call_back(hooks, phone, call_back)
    else:
        call = _call(body.get("state"))
        step = _act(call, hooks, phone, action, body)
    return jsonify(state=call.to_dict(), **_step_json(step))


@blueprint.post("/simulator/missed")
def simulator_missed() -> ResponseReturnValue:
    """Ring the missed-call number and hang up; or let a call back ring out."""
    require_admin()
    body = _body()
    phone, hooks = _phone(body), _hooks()
    if body.get("action") == "let_ring":
        call_back = ringing(current_database(), phone)
        if call_back is None:
            raise BadPhoneRequest(words("simulator.no_call_back"))
        let_call_back_ring_out(hooks, phone, call_back)
        return jsonify(rejected=False, let_ring=True)
    step = ring_missed(hooks, phone, _choice(body.get("provider"), VOICE_PROVIDERS))
    calls_back = current_settings().missed_call_enabled  # off: the ring is noted, no more
    return jsonify(rejected=step.rejected, let_ring=False, calls_back=calls_back)


@blueprint.post("/simulator/sms")
def simulator_sms() -> ResponseReturnValue:
    require_admin()
    body = _body()
    provider = _choice(body.get("provider"), SMS_PROVIDERS)
    text = _text(body.get("text"))
    return jsonify(replies=send_sms(_hooks(), provider, _phone(body), text))


@blueprint.get("/simulator/messages")
def simulator_messages() -> ResponseReturnValue:
    """One number's SMS, both ways, oldest first (the phone's thread), and whether a call
    back is ringing at it."""
    require_admin()
    phone = _phone(request.args)
    messages = thread(current_database(), phone, limit=THREAD_LENGTH)
    calling_back = ringing(current_database(), phone) is not None
    return jsonify(
        ringing=calling_back,
        messages=[
            {
                "at": at.isoformat(),
                "way": way,
                "text": text,
                "state": state,
                "state_text": state_word("sms.out", state) if way == "out" else "",
            }
            for at, way, text, state in messages
        ],
    )


@blueprint.errorhandler(BadPhoneRequest)
def _bad_request(error: BadPhoneRequest) -> ResponseReturnValue:
    return jsonify(error=str(error)), 400


@blueprint.errorhandler(GatewayRefused)
def _refused(error: GatewayRefused) -> ResponseReturnValue:
    """The webhook did not answer as a provider expects: the page shows what it said."""
    return jsonify(error=words("simulator.refused", error=str(error))), 502


def _act(call: Call, hooks: Webhooks, phone: str, action: Any, body: dict) -> VoiceStep | None:
    """One thing done on a call: keys pressed, silence, the end of a recording, hanging up."""
    if call.ended:
        raise BadPhoneRequest(words("simulator.call_over"))
    if action == "press":
        keys = _text(body.get("keys"))
        if not keys or any(key not in "0123456789*#" for key in keys):
            raise BadPhoneRequest(words("simulator.bad_keys"))
        return call.press(hooks, phone, keys.rstrip("#") or "#")
    if action == "silence":
        return call.silence(hooks, phone)
    if action == "record":
        return call.record(hooks, phone)
    if action == "hangup":
        call.hang_up(hooks, phone)
        return None
    raise BadPhoneRequest(words("simulator.bad_request"))


def _step_json(step: VoiceStep | None) -> dict[str, Any]:
    if step is None:
        return {"prompts": [], "listen": None, "ended": True, "transfer_to": None}
    return {
        "prompts": [{"text": p.text, "audio": list(p.audio), "lang": p.lang} for p in step.prompts],
        "listen": step.listen,
        "ended": step.ended,
        "transfer_to": friendly_phone(step.transfer_to) if step.transfer_to else None,
        "rejected": step.rejected,
    }


def _call(state: Any) -> Call:
    fields = _fields(state, ("provider", "call_id", "action", "on_silence", "listen", "caller"))
    routes = VOICE_ROUTES[_choice(fields["provider"], VOICE_PROVIDERS)]
    if any(url and not url.startswith(routes) for url in (fields["action"], fields["on_silence"])):
        raise BadPhoneRequest(words("simulator.bad_request"))  # only ever our voice webhook
    try:
        return Call(**fields)
    except TypeError as exc:
        raise BadPhoneRequest(words("simulator.bad_request")) from exc


def _hooks() -> Webhooks:
    """Requests to this very app, through its whole WSGI stack (signatures checked)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return Webhooks(current_settings(), AppTransport(app), current_clock())


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadPhoneRequest(words("simulator.bad_request"))
    return body


def _phone(source: Any) -> str:
    raw = source.get("phone")
    if not isinstance(raw, str) or not raw.strip():
        raise BadPhoneRequest(words("simulator.no_phone"))
    try:
        return normalize_phone(raw, current_settings().phone_region)
    except InvalidPhone:
        raise BadPhoneRequest(words("bad_phone", phone=raw[:40])) from None


def _text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise BadPhoneRequest(words("simulator.bad_request"))
    return value


def _choice(value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BadPhoneRequest(words("simulator.bad_request"))
    return value


def _fields(state: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """The state the page sent back, checked: only the fields named, each a string or null."""
    if not isinstance(state, dict) or not all(
        isinstance(state.get(name), str | None) for name in names
    ):
        raise BadPhoneRequest(words("simulator.bad_request"))
    return {name: state.get(name) for name in names}


def _starting_phones(book: list[Person]) -> list[Person]:
    """One customer, two couriers and a trader: enough to follow an order end to end."""
    customer = next((p for p in book if p.role == "customer"), Person("customer", "", ""))
    couriers = [p for p in book if p.role == "courier"] + [Person("courier", "", "")] * 2
    trader = next((p for p in book if p.role == "trader"), Person("trader", "", ""))
    return [customer, *couriers[:2], trader]


def _page_texts() -> dict[str, str]:
    """The page script's words, in the staff member's language ({name} filled in there)."""
    texts = TEXTS.get(g.get("lang", "id"), TEXTS["id"])
    return {key: text for key, text in texts.items() if key.startswith("simulator.")}


def _person_json(person: Person) -> dict[str, str]:
    return {
        "role": person.role,
        "name": person.name,
        "detail": person.detail,
        "phone": friendly_phone(person.phone) if person.phone else "",
    }
