"""`flask --app gateway phone`: a phone in the terminal (prompt_toolkit), at most 80 columns.

Choose who you are (a courier, a trader with a phone, a customer, any number), then dial
USSD, call, or text; the SMS the number receives appear as they are written to the outbox,
with how far each got (waiting for the worker, sent, delivered).
"""

from __future__ import annotations

import datetime as dt
import textwrap
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

import requests
from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.patch_stdout import patch_stdout

from settings import DEFAULT_TIMEZONE
from simulator.phone import (
    Call,
    GatewayRefused,
    UssdSession,
    answer_call_back,
    let_call_back_ring_out,
    ring_missed,
    send_sms,
)
from simulator.sound import Speaker
from simulator.texts import TEXTS
from simulator.voice_markup import VoiceStep
from simulator.webhooks import Webhooks
from simulator.window import (
    Database,
    InvalidPhone,
    Person,
    ReadFailed,
    friendly_phone,
    normalize_phone,
    phone_book,
    received,
    ringing,
)

WIDTH = 78
SCREEN_WIDTH = 40  # a feature phone's USSD screen, wrapped
LOCAL_TIME = ZoneInfo(DEFAULT_TIMEZONE)
POLL_SECONDS = 1.0
HANG_UP = {"t", "tutup", "h", "hangup"}


class Quit(Exception):
    """Ctrl-D or Ctrl-C at a prompt: leave the simulator."""


class Terminal:
    """The simulator's loop: who you are, then USSD, calls and SMS."""

    def __init__(
        self,
        *,
        hooks: Webhooks,
        database: Database,
        speaker: Speaker,
        url: str,
        sms_provider: str,
        voice_provider: str,
        region: str,
        lang: str = "id",
    ) -> None:
        self.hooks, self.database, self.speaker = hooks, database, speaker
        self.url, self.sms_provider, self.voice_provider = url, sms_provider, voice_provider
        self.region = region
        self.words = TEXTS[lang]
        self.session: PromptSession[str] = PromptSession()
        self.me: Person | None = None
        self._seen: set[tuple[dt.datetime, str]] = set()
        self._announced: int | None = None  # the call back last said to be ringing
        self._lock = threading.Lock()

    def t(self, key: str, **params: object) -> str:
        return self.words[key].format(**params)

    def run(self, phone: str | None = None) -> None:
        """Until 0, Ctrl-D or Ctrl-C."""
        self.say(self.t("title"), "bold")
        self.say(self.t("where", url=self.url, sms=self.sms_provider, voice=self.voice_provider))
        self.say(
            self.t("sound_on", player=self._player())
            if self.speaker.can_play
            else self.t("sound_off")
        )
        stop = threading.Event()
        with patch_stdout(raw=True):
            poller = threading.Thread(target=self._poll, args=(stop,), daemon=True)
            poller.start()
            try:
                self._choose_person(phone)
                while self._main_menu():
                    pass
            except Quit:
                pass
            except ReadFailed as exc:
                self.say(self.t("no_database", error=str(exc).splitlines()[0][:120]), "red")
            finally:
                stop.set()
                self.speaker.stop()
        self.say(self.t("bye"))

    # Who am I

    def _choose_person(self, phone: str | None) -> None:
        if phone:
            self._become(self._person_for(phone))
            return
        book = phone_book(self.database)
        self.say("")
        self.say(self.t("who"), "bold")
        for number, person in enumerate(book, start=1):
            self.say(f"  {number:>2}  {self._label(person)}")
        self.say(f"  {len(book) + 1:>2}  {self.t('other_number')}")
        while True:
            choice = self.ask(self.t("pick_person")).strip()
            if choice.isdigit() and 1 <= int(choice) <= len(book):
                self._become(book[int(choice) - 1])
                return
            if choice == str(len(book) + 1):
                choice = self.ask(self.t("type_number")).strip()
            if person := self._parse_person(choice):
                self._become(person)
                return

    def _parse_person(self, typed: str) -> Person | None:
        if not typed:
            return None
        try:
            return self._person_for(typed)
        except InvalidPhone:
            self.say(self.t("bad_number", number=typed[:40]), "red")
            return None

    def _person_for(self, typed: str) -> Person:
        phone = normalize_phone(typed, self.region)
        known = {p.phone: p for p in phone_book(self.database, customers=50)}
        return known.get(phone, Person("customer", "", phone))

    def _become(self, person: Person) -> None:
        with self._lock:
            self.me = person
            old = received(self.database, person.phone)
            self._seen = {(m.at, m.text) for m in old}
        self.say(self.t("you_are", who=self._label(person)), "bold")
        if old:
            self.say(self.t("old_messages", count=len(old)))

    def _label(self, person: Person) -> str:
        role = self.t(f"role.{person.role}") + (f" ({person.detail})" if person.detail else "")
        return f"{role:<16} {person.name[:28]:<28} {friendly_phone(person.phone)}"

    # The main menu

    def _main_menu(self) -> bool:
        self.say("")
        self.say(self.t("menu", code=self.hooks.settings.ussd_code), "bold")
        choice = self.ask(self.t("pick")).strip()
        actions: dict[str, Callable[[], None]] = {
            "1": self._ussd,
            "2": self._call,
            "3": self._sms,
            "4": self._inbox,
            "5": lambda: self._choose_person(None),
            "6": self._missed_call,
            "7": self._pick_up,
            "8": self._let_ring,
        }
        if choice == "0":
            return False
        if choice in actions:
            self._guarded(actions[choice])
        elif choice:
            self.say(self.t("bad_choice", choice=choice[:10]), "red")
        return True

    def _guarded(self, action: Callable[[], None]) -> None:
        """Run one menu action; a gateway that is down or refuses is said, not a traceback."""
        try:
            action()
        except requests.RequestException as exc:
            self.say(self.t("gateway_down", url=self.url, error=type(exc).__name__), "red")
        except GatewayRefused as exc:
            self.say(self.t("gateway_refused", error=exc), "red")

    # USSD

    def _ussd(self) -> None:
        phone = self._phone()
        session = UssdSession.dial(self.hooks, phone)
        while True:
            self._draw_screen(session.screen)
            if session.ended:
                self.say(self.t("ussd_closed"))
                return
            typed = self.ask(self.t("ussd_reply")).strip()
            if not typed:
                self.say(self.t("ussd_closed"))
                return
            session.answer(self.hooks, phone, typed)

    def _draw_screen(self, screen: str) -> None:
        lines = []
        for line in screen.splitlines() or [""]:
            lines += textwrap.wrap(line, SCREEN_WIDTH) or [""]
        title = f" {self.t('ussd_title', code=self.hooks.settings.ussd_code)} "
        self.say("┌─" + title + "─" * (SCREEN_WIDTH - len(title)) + "─┐", "cyan")
        for line in lines:
            self.say(f"│ {line:<{SCREEN_WIDTH}} │", "cyan")
        self.say("└" + "─" * (SCREEN_WIDTH + 2) + "┘", "cyan")

    # Calls

    def _call(self) -> None:
        phone = self._phone()
        self.say(self.t("call_title", provider=self.voice_provider), "bold")
        call, step = Call.dial(self.hooks, phone, self.voice_provider)
        self._talk(call, step)

    def _missed_call(self) -> None:
        """Ring the missed-call number and hang up before anyone answers."""
        step = ring_missed(self.hooks, self._phone(), self.voice_provider)
        self.say(self.t("missed_rejected" if step.rejected else "missed_answered"), "bold")
        self._show_new()

    def _pick_up(self) -> None:
        """Answer the call back ringing at this phone."""
        call_back = ringing(self.database, self._phone())
        if call_back is None:
            self.say(self.t("no_call_back"))
            return
        self._announced = call_back.id
        call, step = answer_call_back(self.hooks, self._phone(), call_back)
        self._talk(call, step)

    def _let_ring(self) -> None:
        """Let the call back ring out: nobody answers."""
        call_back = ringing(self.database, self._phone())
        if call_back is None:
            self.say(self.t("no_call_back"))
            return
        let_call_back_ring_out(self.hooks, self._phone(), call_back)
        self.say(self.t("call_back_missed"))
        self._show_new()

    def _talk(self, call: Call, step: VoiceStep) -> None:
        """A call in progress: prompts, keys, silence, until it ends or is hung up."""
        phone = self._phone()
        while True:
            self._hear(step)
            if call.ended:
                self._call_over(step)
                return
            typed = self.ask(self._listen_prompt(call.listen)).strip()
            self.speaker.stop()
            if typed.lower() in HANG_UP:
                call.hang_up(self.hooks, phone)
                self.say(self.t("call_ended"))
                return
            step = self._answer(call, phone, typed)

    def _answer(self, call: Call, phone: str, typed: str) -> VoiceStep:
        if call.listen == "recording":
            self.say(self.t("recorded"))
            return call.record(self.hooks, phone)
        if not typed:
            self.say(self.t("silence"))
            return call.silence(self.hooks, phone)
        if call.listen == "number":
            return call.press(self.hooks, phone, typed.rstrip("#"))
        step = call.press(self.hooks, phone, typed[0])
        for key in typed[1:]:  # keys typed ahead: one press each, as the phone sends them
            if call.listen != "key":
                break
            self._hear(step)
            step = call.press(self.hooks, phone, key)
        return step

    def _hear(self, step: VoiceStep) -> None:
        for prompt in step.prompts:
            for line in textwrap.wrap(prompt.text, WIDTH - 4) or [""]:
                self.say(f"  » {line}" if line else "", "green")
        self.speaker.play(step.prompts, lang="id")

    def _call_over(self, step: VoiceStep) -> None:
        if step.rejected:
            self.say(self.t("rejected"))
        if step.transfer_to:
            self.say(self.t("transfer", number=friendly_phone(step.transfer_to)))
        self.say(self.t("call_ended"))

    def _listen_prompt(self, listen: str | None) -> str:
        return self.t(LISTEN_PROMPTS.get(listen or "", "press_key"))

    # SMS

    def _sms(self) -> None:
        phone = self._phone()
        self.say(self.t("sms_title"), "bold")
        while True:
            text = self.ask(self.t("sms_prompt"))
            if not text.strip():
                return
            for reply in send_sms(self.hooks, self.sms_provider, phone, text):
                self.say(self.t("sms_reply") + ":", "bold")
                self._show_text(reply)
            self._show_new()

    def _inbox(self) -> None:
        me = self._phone()
        self.say(self.t("inbox_title", phone=friendly_phone(me)), "bold")
        messages = received(self.database, me)
        if not messages:
            self.say(self.t("inbox_empty"))
        for message in messages:
            self._show_message(message.at, message.text, message.state)

    def _poll(self, stop: threading.Event) -> None:
        """Show each new SMS for the number as soon as the outbox has it."""
        while not stop.wait(POLL_SECONDS):
            try:
                self._show_new()
            except Exception:  # a database hiccup: the next poll tries again
                continue

    def _show_new(self) -> None:
        with self._lock:
            if self.me is None:
                return
            for message in received(self.database, self.me.phone):
                if (message.at, message.text) not in self._seen:
                    self._seen.add((message.at, message.text))
                    self._show_message(message.at, message.text, message.state)
            call_back = ringing(self.database, self.me.phone)
            if call_back is not None and call_back.id != self._announced:
                self._announced = call_back.id
                self.say("☎ " + self.t("call_back_ringing"), "yellow")

    def _show_message(self, at: dt.datetime, text: str, state: str) -> None:
        when = at.replace(tzinfo=at.tzinfo or dt.UTC).astimezone(LOCAL_TIME).strftime("%H.%M")
        label = self.words.get(f"state.{state}", state)
        self.say("✉ " + self.t("sms_from", time=when, state=label), "yellow")
        self._show_text(text)

    def _show_text(self, text: str) -> None:
        for line in textwrap.wrap(text, WIDTH - 4) or [""]:
            self.say(f"  {line}")

    # Input and output

    def _phone(self) -> str:
        assert self.me is not None
        return self.me.phone

    def _player(self) -> str:
        player = self.speaker.player[0] if self.speaker.player else None
        return " / ".join(p.rsplit("/", 1)[-1] for p in (player, self.speaker.espeak) if p)

    def ask(self, prompt: str) -> str:
        try:
            return self.session.prompt(prompt)
        except (EOFError, KeyboardInterrupt):
            raise Quit from None

    def say(self, line: str, style: str = "") -> None:
        print_formatted_text(FormattedText([(STYLES.get(style, style), line)]))


STYLES = {colour: f"fg:ansi{colour}" for colour in ("cyan", "green", "yellow", "red")}
LISTEN_PROMPTS = {"number": "press_number", "recording": "record"}
