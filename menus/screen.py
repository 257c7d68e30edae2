"""Screens, channel limits and pagination: how a menu step is laid out for one channel.

A `Screen` is made of prompt `Text`s and numbered `Option`s; the channel decides how to show
it (text for USSD and SMS, speech for voice). A list is shown a page at a time, each page
filled from where the last one ended as far as the channel's limits allow, so no screen is
ever longer than the channel allows and no entry is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from voice_prompts import PromptCatalog, Text

ELLIPSIS = ".."  # plain GSM-7 characters: a screen copied into an SMS stays GSM-7


@dataclass(frozen=True)
class ChannelProfile:
    """The limits of one channel: characters on a screen, choices on a screen, the nav keys."""

    name: str
    max_chars: int | None
    max_choices: int
    next_key: str = "98"
    back_key: str = "0"
    home_key: str = "00"  # empty: the channel has no main-menu key
    text_input: bool = True  # False: callers cannot type a name or address (voice)


# Africa's Talking shows about 182 characters; we keep the whole reply, "CON " included,
# within one 160-character SMS-sized screen.
USSD_REPLY_PREFIX_CHARS = len("CON ")
USSD = ChannelProfile("ussd", max_chars=160 - USSD_REPLY_PREFIX_CHARS, max_choices=9)

# The numbered menus over SMS: a reply is one 160-character SMS, the keys are USSD's.
SMS_MENU = ChannelProfile("sms", max_chars=160, max_choices=9)

# Voice (docs/RULES.md): at most 5 options a prompt, the 5th being "more" (9) when there are more;
# * goes back. The voice channel itself keeps 0 for a person and # to hear the menu again.
VOICE = ChannelProfile(
    "voice",
    max_chars=None,
    max_choices=5,
    next_key="9",
    back_key="*",
    home_key="",
    text_input=False,
)


@dataclass(frozen=True)
class Option:
    key: str
    label: Text


@dataclass(frozen=True)
class Screen:
    """What the caller is shown: lines of text, then options; `end` closes the session."""

    lines: tuple[Text, ...]
    options: tuple[Option, ...] = ()
    end: bool = False
    expects: str = "choice"  # "choice", "number", "text" or "recording"

    def render_text(self, prompts: PromptCatalog, lang: str, max_chars: int | None) -> str:
        """The screen as plain text, cut to `max_chars` if a caller-supplied text is too long."""
        lines = [prompts.render(text, lang) for text in self.lines]
        lines += [f"{option.key}. {prompts.render(option.label, lang)}" for option in self.options]
        return fit_lines(lines, max_chars)


def fit_lines(lines: Sequence[str], max_chars: int | None) -> str:
    """Join lines; if too long, shorten the longest line until the whole fits."""
    lines = list(lines)
    if max_chars is None:
        return "\n".join(lines)
    while (excess := len("\n".join(lines)) - max_chars) > 0:
        longest = max(range(len(lines)), key=lambda i: len(lines[i]))
        line = lines[longest]
        if len(line) <= len(ELLIPSIS) + 1:
            break  # only a flood of tiny lines is left: nothing worth cutting
        keep = max(len(line) - excess - len(ELLIPSIS), 1)
        lines[longest] = line[:keep].rstrip() + ELLIPSIS
    return "\n".join(lines)


@dataclass(frozen=True)
class ListLayout:
    """A list step before pagination: fixed head, the list, fixed actions."""

    head: tuple[Text, ...]
    entries: Sequence[Text]  # made when a page needs them (menus.step_kinds.Lazy)
    numbered: bool
    actions: tuple[Option, ...]
    can_go_back: bool


def page_end(
    layout: ListLayout,
    start: int,
    *,
    has_previous: bool,
    profile: ChannelProfile,
    prompts: PromptCatalog,
    lang: str,
) -> int:
    """Where the page that begins at entry `start` ends, filled as far as the channel allows."""
    sizes = _PageSizer(layout, profile, prompts, lang)
    total = len(layout.entries)
    end = start
    while end < total and sizes.fits(start, end + 1, has_previous=has_previous):
        end += 1
    if end == start and start < total:
        end = start + 1  # one entry per page at least; render_text shortens it if needed
    return end


def page_screen(
    layout: ListLayout, start: int, end: int, *, has_previous: bool, profile: ChannelProfile
) -> Screen:
    """The screen for the entries [start, end) of a list, with its navigation options."""
    lines = list(layout.head)
    options = list(layout.actions)
    if layout.numbered:
        options = [
            Option(str(number), label)
            for number, label in enumerate(layout.entries[start:end], start=1)
        ] + options
    else:
        lines += layout.entries[start:end]
    if end < len(layout.entries):
        options.append(Option(profile.next_key, Text.of("nav.next")))
    if has_previous or layout.can_go_back:
        options.append(Option(profile.back_key, Text.of("nav.back")))
    return Screen(tuple(lines), tuple(options))


class _PageSizer:
    """Measures candidate pages from lines rendered once (a page is laid out like page_screen).

    Entries are rendered when a page first measures them: a page is a few entries, so a hop
    costs the same with 6 traders in a market as with 200.
    """

    def __init__(
        self, layout: ListLayout, profile: ChannelProfile, prompts: PromptCatalog, lang: str
    ) -> None:
        self.layout = layout
        self.profile = profile
        self.head = [prompts.render(text, lang) for text in layout.head]
        self.prompts, self.lang = prompts, lang
        self.rendered: dict[int, str] = {}
        self.actions = [f"{o.key}. {prompts.render(o.label, lang)}" for o in layout.actions]
        self.next = f"{profile.next_key}. {prompts.render(Text.of('nav.next'), lang)}"
        self.back = f"{profile.back_key}. {prompts.render(Text.of('nav.back'), lang)}"

    def entry(self, index: int) -> str:
        """Entry `index`, rendered the first time it is asked for."""
        if index not in self.rendered:
            self.rendered[index] = self.prompts.render(self.layout.entries[index], self.lang)
        return self.rendered[index]

    def fits(self, start: int, end: int, *, has_previous: bool) -> bool:
        entries = [self.entry(index) for index in range(start, end)]
        if self.layout.numbered:
            entries = [f"{number}. {line}" for number, line in enumerate(entries, start=1)]
        nav = [self.next] if end < len(self.layout.entries) else []
        if has_previous or self.layout.can_go_back:
            nav.append(self.back)
        choices = len(nav) + len(self.actions) + (len(entries) if self.layout.numbered else 0)
        if choices > self.profile.max_choices:
            return False
        if self.profile.max_chars is None:
            return True
        lines = self.head + entries + self.actions + nav
        return sum(map(len, lines)) + len(lines) - 1 <= self.profile.max_chars
