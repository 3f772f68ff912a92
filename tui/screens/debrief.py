"""The debrief after a meeting: the poll first, then the ratings, outcomes and (at the end)
the reveal and the take-home exercise.

The seed's debrief asks each participant "What went well?" and "What could be
improved?" before anything is scored, so the scores don't colour the answers:
the ratings stay hidden until every role at this terminal has answered (both, at
a shared terminal, in turn). The report is built by the engine
(:func:`simulator.debrief.report.build_report`) in a worker thread; only the final
debrief, once every meeting is closed, carries the reveal of the hidden truths.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import (
    Button,
    Footer,
    Input,
    Label,
    LoadingIndicator,
    OptionList,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.option_list import Option

from simulator.formats.routine import PLAYER_ROLES, role_label, short_title
from simulator.formats.rubric import LEVELS
from tui.messages import ContinueToMeeting, GoHome, GoTo, SwitchSpeaker
from tui.screens import unsaved
from tui.screens.session_screen import SessionScreen, host
from tui.widgets.field import Field
from tui.widgets.header import RoomHeader
from tui.widgets.levels import LEVEL_STYLE, level_content

if TYPE_CHECKING:
    from simulator.debrief.models import Report

NAME_WIDTH = 31
NARROW = 100
"""Below this width the ratings list and a rating's evidence stand one above the other
(side by side at 80 columns the evidence would be a strip a word wide)."""


# --------------------------------------------------------------------------- text


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def rating_prompt(code: str, name: str, level: str) -> Content:
    label = Content(f" {code:<3} {_short(name, NAME_WIDTH):<{NAME_WIDTH}} ")
    return Content.assemble(label, level_content(level, gauge_too=False))


def rating_detail(item: dict[str, Any]) -> Content:
    """One rating's evidence and missed opportunities."""
    code = item["id"] if len(item["id"]) == 2 else ""
    parts: list[Content] = [
        Content.from_markup("[b]$code$name[/b]\n", code=f"{code} " if code else "",
                            name=item.get("name", item["id"])),
        level_content(item.get("level", "")),
        Content.from_markup(" [dim]· $element[/]\n\n", element=item.get("element", "")),
        Content.from_markup("[b]Evidence[/b]\n"),
    ]
    evidence = item.get("evidence") or []
    parts += [Content(f"• {x}\n") for x in evidence] or [Content("• Nothing recorded.\n")]
    missed = item.get("missed") or []
    parts.append(Content.from_markup("\n[b]Missed opportunities[/b]\n"))
    parts += [Content(f"• {x}\n") for x in missed] or [Content("• None.\n")]
    return Content.assemble(*parts)


def _signed(x: float) -> str:
    return f"{x:+.1f}".replace("-", "−")


def outcomes_content(out: dict[str, Any] | None) -> Content:
    if out is None:
        return Content("No decisions have taken effect yet: outcomes follow the first meeting.")
    schools = ", ".join(s["name"] for s in out["schools"])
    low, high = out["band"]
    parts = [
        Content.from_markup("[b]Student outcomes at $schools, apart from practice[/b]\n",
                            schools=schools),
        Content(f"From {out['baseline']} to {out['end']}. The same decisions were replayed "
                f"{out['replications']} times with different luck; the band is where the "
                f"middle results fell ({low:g}th to {high:g}th percentile), so a difference "
                "inside it may be luck alone.\n\n"),
    ]
    for plan in out["plans"]:
        names = ", ".join(plan["names"]) or "no new strategies"
        parts.append(Content.from_markup("[b]$label[/b]: $names ($cost, $staff staff)\n",
                                         label=plan["label"], names=names,
                                         cost=f"${plan['cost']:,.0f}",
                                         staff=f"{plan['staff_fte']:g}"))
        for g in plan["growth"]:
            pct = g["pct"]
            parts.append(Content(
                f"  ◦ {g['name']}: {_signed(pct['mean'])} points on benchmark on average "
                f"(band {_signed(pct['low'])} to {_signed(pct['high'])})\n"))
    parts.append(Content("\n"))
    parts += [Content(f"• {line}\n") for line in out["summary"]]
    return Content.assemble(*parts)


def looked_words(looked: dict[str, Any]) -> str:
    """Whether the players opened the view that showed a truth, in plain words."""
    if looked.get("opened"):
        first = looked["first"]
        when = f" at {first['meeting'].split(' —')[0]}" if first.get("meeting") else (
            f" in {first['quarter']}" if first.get("quarter") else "")
        times = f", {looked['times']} times" if looked.get("times", 1) > 1 else ""
        late = "" if looked.get("in_time", True) else " — but only after it mattered"
        return f"You looked: first opened by the {first['role']}{when}{times}{late}."
    related = looked.get("related") or []
    if related:
        views = ", ".join(dict.fromkeys(r["view"] for r in related))
        return f"Not opened. You looked nearby: {views}."
    return "Not opened."


def reveal_content(truths: list[dict[str, Any]]) -> Content:
    parts: list[Content] = [Content.from_markup(
        "[b]What was really going on[/b] — the scenario's hidden truths, where the data "
        "showed them, and whether you looked.\n")]
    for t in truths:
        parts.append(Content.from_markup("\n[b $text-accent]$title[/]\n", title=t["title"]))
        parts.append(Content(t["explanation"] + "\n"))
        for ev in t["evidence"]:
            clarity = ev["clarity"]
            parts.append(Content.from_markup(
                "• [b]$view[/b], $quarter: $note\n", view=ev["view_title"],
                quarter=ev["quarter"], note=ev["note"]))
            parts.append(Content.from_markup(
                "  ◦ How clearly your data showed it: [b]$words[/b] — $detail.\n",
                words=clarity["words"], detail=clarity["detail"]))
            parts.append(Content(f"  ◦ {looked_words(ev['looked'])}\n"))
    return Content.assemble(*parts)


def review_content(solo: dict[str, Any]) -> Content:
    """Solo practice: the after-action review of each meeting, and what a better question
    would have drawn out."""
    parts: list[Content] = [Content.from_markup("[b]Practice with $name[/b]\n",
                                                name=solo["name"])]
    for m in solo["meetings"]:
        parts.append(Content.from_markup("\n[b]$title[/b]\n", title=m["title"]))
        parts += [Content.assemble("• ", sentence, "\n") for sentence in m["review"]]
        if m["missed"][1:]:
            parts.append(Content("\nWhat a better question would have drawn out:\n"))
            for x in m["missed"]:
                need = f", once {' and '.join(x['needs'])}" if x["needs"] else ""
                parts.append(Content.assemble(
                    "  – “", x["text"], "” — ", " or ".join(x["moves"]).lower(), need, "\n"))
    return Content.assemble(*parts)


def poll_content(polls: list[dict[str, Any]], scenario_titles: dict[str, str]) -> Content:
    if not polls:
        return Content("No answers yet.")
    parts: list[Content] = []
    for p in polls:
        who = scenario_titles.get(p["role"], role_label(p["role"]))
        parts.append(Content.from_markup("\n[b]$who[/b]\n", who=who))
        parts.append(Content(f"  Went well: {p['went_well'] or '—'}\n"
                             f"  Could be improved: {p['improve'] or '—'}\n"))
    return Content.assemble(*parts)


# --------------------------------------------------------------------------- the screen


class DebriefScreen(SessionScreen):
    """The debrief of the last meeting closed (the final debrief once the year is over)."""

    SCREEN_NAME = "debrief"
    WATCH = frozenset({"poll.answered", "takehome.answered", "meeting.closed"})
    BINDINGS: ClassVar = [
        Binding("f7", "save_report", "Save report", id="debrief.save",
                tooltip="Write the debrief as Markdown and HTML into the pmsim home"),
        Binding("f9", "self_assess", "Self-assess", id="debrief.selfassess",
                tooltip="After the final debrief: rate your own State on the eleven "
                        "sub-elements, and take home a one-page handout"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: dict[str, Any] | None = None
        self.report_key: tuple[str, bool] | None = None
        self._building: tuple[str, bool] | None = None
        self._items: dict[str, dict[str, Any]] = {}
        self._shown_key: tuple[str, bool] | None = None
        self._takehome_role: str | None = None

    def compose(self) -> ComposeResult:
        yield RoomHeader()
        with Vertical(id="debrief"):
            yield Static(id="debrief-title")
            with Vertical(id="poll"):
                yield Static(id="poll-who")
                yield Label("What went well?")
                yield Field(id="went-well", placeholder="a sentence or two", compact=True)
                yield Label("What could be improved?")
                yield Field(id="improve", placeholder="a sentence or two", compact=True)
                with Horizontal(classes="form-buttons"):
                    yield Button("Save my answers", variant="primary", id="poll-save",
                                 compact=True)
                yield Static("Your answers are saved before any rating is shown, so the "
                             "scores don't colour them.", classes="muted")
            with Vertical(id="report-wait", classes="hidden"):
                yield Static("Scoring the meeting and replaying the year…")
                yield LoadingIndicator()
            with TabbedContent(id="debrief-tabs", classes="hidden"):
                with TabPane("After-action review", id="tab-review"), VerticalScroll():
                    yield Static(id="review")
                with TabPane("Ratings", id="tab-ratings"), Horizontal(id="ratings-pane"):
                    yield OptionList(id="ratings")
                    with VerticalScroll(id="rating-detail"):
                        yield Static(id="rating-text")
                with TabPane("Outcomes", id="tab-outcomes"), VerticalScroll():
                    yield Static(id="outcomes")
                with TabPane("The reveal", id="tab-reveal"), VerticalScroll():
                    yield Static(id="reveal")
                with TabPane("Poll", id="tab-poll"), VerticalScroll():
                    yield Static(id="poll-answers")
                with TabPane("Take-home", id="tab-takehome"), VerticalScroll(id="takehome"):
                    yield Static(id="takehome-intro")
                    yield Static(id="takehome-who", classes="section-title")
                    yield Field(id="takehome-name", placeholder="Your name (optional)",
                                compact=True)
                    for i, hint in enumerate(self.room.scenario.take_home.steps, 1):
                        yield Field(id=f"step-{i}", placeholder=f"Step {i} — {hint}",
                                    compact=True, classes="step-input")
                    with Horizontal(classes="form-buttons"):
                        yield Button("Save my next steps", variant="primary",
                                     id="takehome-save", compact=True)
                        yield Button("Rate your own State…", id="takehome-selfassess",
                                     compact=True, tooltip="The self-assessment: your State "
                                     "on the eleven sub-elements, and a one-page handout")
                    yield Static(id="takehome-saved")
        with Horizontal(classes="bar"):
            yield Button("Continue", variant="primary", id="debrief-continue", compact=True)
            yield Button("Save report", id="save-report", compact=True)
        yield Footer()

    # ------------------------------------------------------------------ what is shown

    @property
    def meeting_id(self) -> str | None:
        closed = self.room.state.closed_meetings
        return closed[-1] if closed else None

    @property
    def final(self) -> bool:
        return self.room.current_meeting is None

    def _roles_here(self) -> tuple[str, ...]:
        role = self.room.role
        return PLAYER_ROLES if role == "both" else (role,)

    def _pending(self, answered: set[str]) -> list[str]:
        return [r for r in self._roles_here() if r not in answered]

    def poll_pending(self) -> list[str]:
        """The roles at this terminal that have not yet answered this meeting's poll."""
        meeting = self.meeting_id
        answered = {p["role"] for p in self.room.state.polls if p["meeting"] == meeting}
        return self._pending(answered)

    def _role_title(self, role: str) -> str:
        return self.room.scenario.roles.title_of(role)

    def _speak_as(self, role: str) -> None:
        """At a shared terminal, hand the keyboard to ``role`` (the header says so)."""
        room = self.room
        if room.role == "both" and room.event_role != role:
            self.app.post_message(SwitchSpeaker())

    def on_mount(self) -> None:
        # Tab from the tabs lands on the form's first field, not on its scrolling pane.
        self.query_one("#takehome", VerticalScroll).can_focus = False
        self.set_class(self.size.width < NARROW, "narrow")

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "narrow")

    def refresh_room(self) -> None:
        if host(self.app).room is None:
            return
        room = self.room
        title = self.query_one("#debrief-title", Static)
        meeting = self.meeting_id
        self._draw_continue()
        if meeting is None:
            title.update("The debrief follows the first meeting.")
            self._show(poll=False, wait=False, tabs=False)
            return
        if room.sim is None or room.needs_simulation():
            title.update("Time passes…")
            self._show(poll=False, wait=True, tabs=False)
            return
        final = self.final
        shown = room.meeting(meeting)
        kind = "Final debrief — the year is over" if final else f"Debrief after {shown.title}"
        title.update(Content.from_markup("[b]$kind[/b]", kind=kind))
        key = (meeting, final)
        if self.report_key != key and self._building != key:
            self._building = key
            self.report = None
            self._build(key, copy.deepcopy(room.state))
        pending = self.poll_pending()
        if pending:
            if room.event_role not in pending:
                self._speak_as(pending[0])
            self._draw_poll_who()
            self._show(poll=True, wait=False, tabs=False)
            return
        if self.report is None or self.report_key != key:
            self._show(poll=False, wait=True, tabs=False)
            return
        self._show(poll=False, wait=False, tabs=True)
        counts = [(lvl, sum(e["level"] == lvl for e in self.report["elements"]))
                  for lvl in reversed(LEVELS)]
        title.update(Content.assemble(
            Content.from_markup("[b]$kind[/b]   ", kind=kind),
            *[Content.from_markup(f"[{LEVEL_STYLE[lvl]}]$n $lvl[/]  ", n=str(n), lvl=lvl)
              for lvl, n in counts if n]))
        self._draw_report()
        self._draw_poll_answers()
        self._draw_takehome()

    def _show(self, *, poll: bool, wait: bool, tabs: bool) -> None:
        self.query_one("#poll").set_class(not poll, "hidden")
        self.query_one("#report-wait").set_class(not wait, "hidden")
        self.query_one("#debrief-tabs").set_class(not tabs, "hidden")
        self.query_one("#save-report", Button).disabled = not tabs
        self.refresh_bindings()
        if poll and not self.query_one("#poll").has_focus_within:
            self.query_one("#went-well", Input).focus()

    def _draw_continue(self) -> None:
        nxt = self.room.current_meeting
        button = self.query_one("#debrief-continue", Button)
        button.label = (f"Continue to {short_title(nxt.title)}" if nxt
                        else "Back to the home screen")
        button.refresh(layout=True)

    def draw_speaker(self) -> None:
        """The speaker changed (F6): the forms are now theirs."""
        if not self.is_mounted:
            return
        if self.meeting_id is not None and self.poll_pending():
            self.refresh_room()  # whoever has answered waits: the form goes to who has not
        else:
            self._draw_takehome()

    def _draw_poll_who(self) -> None:
        room = self.room
        meeting = self.meeting_id
        if meeting is None:
            return
        who = self._role_title(room.event_role)
        turn = ""
        if room.role == "both":
            others = [r for r in self.poll_pending() if r != room.event_role]
            turn = (f" Then the {self._role_title(others[0])} answers." if others else
                    " The other lead has answered.")
        self.query_one("#poll-who", Static).update(Content.from_markup(
            "[b]The poll — $meeting[/b]\n[b $text-accent]$who[/], before you see any "
            "rating.$turn", meeting=short_title(room.meeting(meeting).title), who=who,
            turn=turn))

    def _draw_report(self) -> None:
        report = self.report
        assert report is not None
        key = self.report_key
        tabs = self.query_one("#debrief-tabs", TabbedContent)
        final = bool(report["final"])
        if final:
            tabs.show_tab("tab-reveal")
            tabs.show_tab("tab-takehome")
        else:
            tabs.hide_tab("tab-reveal")
            tabs.hide_tab("tab-takehome")
        solo = report.get("solo")
        if solo:
            tabs.show_tab("tab-review")
        else:
            tabs.hide_tab("tab-review")
        if self._shown_key == key:
            return
        self._shown_key = key
        ratings = self.query_one("#ratings", OptionList)
        ratings.clear_options()
        self._items = {}
        options: list[Option] = []
        group = None
        first_missed = None
        for e in report["elements"]:
            if e["id"][:1] != group:
                group = e["id"][:1]
                options.append(Option(Content.from_markup(
                    "[b $text-secondary]$g. $name[/]", g=group, name=e["element"]),
                    disabled=True))
            self._items[e["id"]] = e
            options.append(Option(rating_prompt(e["id"], e["name"], e["level"]), id=e["id"]))
            if first_missed is None and e.get("missed"):
                first_missed = e["id"]
        if report["routine"]:
            options.append(Option(Content.from_markup("[b $text-secondary]The routine[/]"),
                                  disabled=True))
            for r in report["routine"]:
                rid = f"routine:{r['id']}"
                self._items[rid] = r
                options.append(Option(rating_prompt("", r["name"], r.get("level", "")),
                                      id=rid))
        ratings.add_options(options)
        start = first_missed or next(iter(self._items), None)
        if start is not None:
            ratings.highlighted = ratings.get_option_index(start)
        self.query_one("#outcomes", Static).update(outcomes_content(report["outcomes"]))
        self.query_one("#reveal", Static).update(
            reveal_content(report["reveal"]) if final and "reveal" in report else "")
        self.query_one("#review", Static).update(review_content(solo) if solo else "")
        # Solo practice opens on the review: what was meant, beside what happened.
        tabs.active = "tab-review" if solo else "tab-ratings"
        if not solo:
            ratings.focus()

    @on(OptionList.OptionHighlighted, "#ratings")
    def _rating_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        item = self._items.get(event.option.id or "")
        if item is not None:
            self.query_one("#rating-text", Static).update(rating_detail(item))
            self.query_one("#rating-detail", VerticalScroll).scroll_home(animate=False)

    def _draw_poll_answers(self) -> None:
        room = self.room
        titles = {r: self._role_title(r) for r in PLAYER_ROLES}
        polls = [p for p in room.state.polls if p["meeting"] == self.meeting_id]
        self.query_one("#poll-answers", Static).update(Content.assemble(
            Content.from_markup("[b]The poll — what you said before the ratings[/b]\n"),
            poll_content(polls, titles)))

    def _draw_takehome(self) -> None:
        if not self.final:
            return
        room = self.room
        take_home = room.scenario.take_home
        intro = [Content.from_markup("[b]$title[/b]\n$intro\n", title=take_home.title,
                                     intro=take_home.intro)]
        for prompt in take_home.prompts:
            intro.append(Content.from_markup("• [b]$head:[/b] $text\n", head=prompt.heading,
                                             text=prompt.question))
        self.query_one("#takehome-intro", Static).update(Content.assemble(*intro))
        who = self._role_title(room.event_role)
        mine = next((t for t in room.state.takehome if t["role"] == room.event_role), None)
        self.query_one("#takehome-who", Static).update(
            f"{who}: your next steps" + (" (saved — saving again replaces them)" if mine
                                         else ""))
        name = self.query_one("#takehome-name", Input)
        if self._takehome_role != room.event_role:
            self._takehome_role = room.event_role
            name.value = (mine or {}).get("participant", "") or self._participant(
                room.event_role)
        saved: list[Content] = []
        for t in room.state.takehome:
            who_t = self._role_title(t["role"])
            if t.get("participant"):
                who_t = f"{t['participant']} ({who_t})"
            saved.append(Content.from_markup("\n[b]$who[/b]\n", who=who_t))
            saved += [Content(f"  {i}. {s}\n") for i, s in enumerate(t["steps"], 1)]
        self.query_one("#takehome-saved", Static).update(Content.assemble(*saved))

    def _participant(self, role: str) -> str:
        extra = self.room.state.extra
        names = extra.get("participants")
        if isinstance(names, dict) and isinstance(names.get(role), str):
            return names[role]
        return ""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save_report":  # shown, but disabled until the ratings are
            if host(self.app).room is None:
                return None
            return True if self.report is not None and not self.poll_pending() else None
        if action == "self_assess":  # only once the year is over and the ratings are shown
            if host(self.app).room is None or not self.final:
                return False
            return True if self.report is not None and not self.poll_pending() else None
        return True

    # ------------------------------------------------------------------ the report

    @work(thread=True, exclusive=True, group="report")
    def _build(self, key: tuple[str, bool], state: Any) -> None:
        try:
            report = self._report_of(state, key[1]).model_dump(mode="json")
        except Exception as err:  # shown to the players; the UI carries on
            self.app.call_from_thread(self._report_failed, key, err)
            return
        self.app.call_from_thread(self._report_ready, key, report)

    def _report_of(self, state: Any, final: bool) -> Report:
        from simulator.debrief.report import build_report

        room = self.room
        return build_report(room.scenario, state, final=final,
                            replications=host(self.app).report_replications,
                            cache_dir=self.room.home.cache)

    def _report_ready(self, key: tuple[str, bool], report: dict[str, Any]) -> None:
        if self._building == key:
            self._building = None
        self.report, self.report_key = report, key
        if self.is_current:
            self.refresh_room()

    def _report_failed(self, key: tuple[str, bool], err: Exception) -> None:
        if self._building == key:
            self._building = None
        self.notify(f"The debrief could not be built: {err}", severity="error", timeout=10)

    def action_save_report(self) -> None:
        if self.report is None or self.poll_pending():
            self.notify("The report can be saved once the ratings are shown.", timeout=4)
            return
        key = self.report_key
        assert key is not None
        self.notify("Saving the report…", timeout=2)
        self._save(key, copy.deepcopy(self.room.state))

    @work(thread=True, exclusive=True, group="save")
    def _save(self, key: tuple[str, bool], state: Any) -> None:
        from simulator.render.html import render_html
        from simulator.render.markdown import render_markdown

        def pages() -> tuple[str, str]:
            report = self._report_of(state, key[1])  # with the poll and take-home as now
            return render_markdown(report), render_html(report)

        self.save_pages(f"pmsim-{state.session_id}-{'final' if key[1] else key[0]}",
                        "report", pages)

    # ------------------------------------------------------------------ answers

    @on(Input.Submitted, "#went-well")
    def _next_question(self) -> None:
        self.query_one("#improve", Input).focus()

    @on(Input.Submitted, "#improve")
    @on(Button.Pressed, "#poll-save")
    def _save_poll(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        room = self.room
        meeting = self.meeting_id
        went = self.query_one("#went-well", Input)
        improve = self.query_one("#improve", Input)
        if meeting is None:
            return
        if not (went.value.strip() or improve.value.strip()):
            self.notify("Answer at least one of the two questions (a few words will do).",
                        severity="warning", timeout=4)
            return
        role = room.event_role
        went_value, improve_value = " ".join(went.value.split()), " ".join(
            improve.value.split())

        def saved() -> None:  # the answers stay in the form until they are saved
            went.value = improve.value = ""
            self.notify(f"Saved the {self._role_title(role)}'s answers.", timeout=3)
            self.refresh_room()
            if self.poll_pending():
                went.focus()  # the next lead's turn

        unsaved.save(self.app, f"the {self._role_title(role)}'s poll answers",
                     lambda: room.append("poll.answered", {
                         "meeting": meeting, "role": role, "went_well": went_value,
                         "improve": improve_value}), saved)

    @on(Input.Submitted, "#takehome-name")
    @on(Input.Submitted, ".step-input")
    def _next_step(self, event: Input.Submitted) -> None:
        """Enter moves down the take-home form; on the last step it saves."""
        event.stop()
        if event.input.id == f"step-{len(self.room.scenario.take_home.steps)}":
            self.query_one("#takehome-save", Button).press()
        else:
            self.focus_next(Input)

    @on(Button.Pressed, "#takehome-save")
    def _save_takehome(self, event: Button.Pressed) -> None:
        event.stop()
        room = self.room
        count = len(room.scenario.take_home.steps)
        steps = [" ".join(self.query_one(f"#step-{i}", Input).value.split())
                 for i in range(1, count + 1)]
        steps = [s for s in steps if s]
        if not steps:
            self.notify("Write at least one next step (two or three is the exercise).",
                        severity="warning", timeout=4)
            return
        role = room.event_role
        name = " ".join(self.query_one("#takehome-name", Input).value.split())
        payload: dict[str, Any] = {"role": role, "steps": steps}
        if name:
            payload["participant"] = name
        unsaved.save(self.app, f"the {self._role_title(role)}'s next steps",
                     lambda: room.append("takehome.answered", payload),
                     lambda: self._takehome_saved(role))

    def _takehome_saved(self, role: str) -> None:
        """Only once they are saved: the steps leave the form and the next lead writes."""
        room = self.room
        count = len(room.scenario.take_home.steps)
        for i in range(1, count + 1):
            self.query_one(f"#step-{i}", Input).value = ""
        self._takehome_role = None
        self.notify(f"Saved the {self._role_title(role)}'s next steps.", timeout=3)
        done = {t["role"] for t in room.state.takehome}
        left = self._pending(done)
        if left:
            self._speak_as(left[0])
        self._draw_takehome()
        self.query_one("#step-1" if left else "#takehome-save").focus()

    @on(Button.Pressed, "#takehome-selfassess")
    def _self_assess_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_self_assess()

    def action_self_assess(self) -> None:
        if self.report is not None and self.final and not self.poll_pending():
            self.app.post_message(GoTo("selfassess"))

    @on(Button.Pressed, "#debrief-continue")
    def _continue(self, event: Button.Pressed) -> None:
        event.stop()
        if self.room.current_meeting is None:
            self.app.post_message(GoHome())
        else:
            self.app.post_message(ContinueToMeeting())

    @on(Button.Pressed, "#save-report")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save_report()
