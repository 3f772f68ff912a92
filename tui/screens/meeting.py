"""The meeting room: the agenda as a guided sequence, a record form per step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import (
    Button,
    Checkbox,
    ContentSwitcher,
    DataTable,
    Footer,
    Input,
    Label,
    ListItem,
    ListView,
    Select,
    Static,
)

from simulator.engine import dashboard as figures
from simulator.formats.routine import (
    ACTION_BY_ID,
    FIXED_OPTIONS,
    FOLLOWUP_FIELDS,
    STEPS,
    TARGETING,
    action_step_detail,
    default_due,
    due_problem,
    minutes_line,
    record_noun,
    retargeting_hint,
    role_label,
    short_title,
    step_of,
)
from simulator.session.summary import resources
from tui.messages import CloseMeeting, SwitchSpeaker
from tui.plain import plain
from tui.screens import unsaved
from tui.screens.closing import ClosingScreen
from tui.screens.dialogs import ConfirmScreen
from tui.screens.session_screen import SessionScreen
from tui.widgets.field import Field
from tui.widgets.forms import RecordForm
from tui.widgets.header import RoomHeader
from tui.widgets.lookfors import LookForsPanel
from tui.widgets.minutes import MinutesTable

if TYPE_CHECKING:
    from simulator.formats.framework import ShownLookFor
    from simulator.formats.scenario import Meeting, Scenario
    from tui.widgets.conversation import ConversationPane

FOLLOWUP_STEP = next(s.id for s in STEPS if "followup" in s.kinds)
OPENS_LATER = next((s.id for s in STEPS if s.from_second_meeting), None)
"""The step a meeting after the first opens on (going through earlier commitments)."""


BOTH_PANELS_WIDTH = 200
"""Columns from which the talk pane and the look-fors panel show side by side."""


class MeetingScreen(SessionScreen):
    SCREEN_NAME = "meeting"
    WATCH = frozenset({"record.added", "record.removed", "record.updated", "decision.made",
                       "meeting.closed", "meeting.reopened", "view.opened", "solo.turn",
                       "solo.intent"})
    BINDINGS: ClassVar = [
        Binding("f10", "close_meeting", "Close meeting", id="meeting.close"),
        Binding("f7", "toggle_talk", "Talk", id="meeting.talk"),
        Binding("f9", "toggle_hints", "Hints", id="meeting.hints"),
        Binding("ctrl+l", "toggle_lookfors", "Look-fors", id="meeting.lookfors",
                tooltip="What the debrief looks for at the step that is open"),
        Binding("ctrl+n", "next_step", "Next step", show=False, id="meeting.next"),
        Binding("delete", "remove_record", "Remove record", show=False, id="meeting.remove"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.meeting_id: str | None = None
        self.followups_for: str | None = None
        self._followup_shown: dict[str, str | None] = {}
        """Per earlier action step: the stored status last put into its row."""
        self._followup_selects: dict[str, Select] = {}
        """Per earlier action step: its row's status choice."""
        self._strategy_ticked_for: str | None = None
        """The strategy the decision form's boxes were ticked for."""
        self._asked_intent = False
        """Solo practice: the intent dialog was shown for this visit to the meeting."""
        self._lookfors: tuple[Scenario, dict[str, list[ShownLookFor]]] | None = None
        """Per step, the look-fors the panel shows, for the scenario they were worked
        out for (when first shown)."""

    def compose(self) -> ComposeResult:
        yield RoomHeader()
        with Horizontal(id="meeting"):
            with Vertical(id="agenda-pane"):
                yield Static(id="meeting-title")
                yield Button("", id="speaker", compact=True,
                             tooltip="Who is speaking: what you record is saved as theirs "
                                     "(F6 switches)")
                yield ListView(
                    *(ListItem(Label(f"{i}. {s.title}", id=f"agenda-label-{s.id}"),
                               id=f"agenda-{s.id}") for i, s in enumerate(STEPS, start=1)),
                    id="agenda",
                )
                yield Static(id="resources")
                yield Button("Close meeting", id="close-meeting", variant="warning")
            with VerticalScroll(id="step-pane"), ContentSwitcher(initial="step-targets",
                                                                 id="steps"):
                for step in STEPS:
                    with Vertical(id=f"step-{step.id}", classes="step"):
                        yield Static(f"[b]{step.title}[/b] — {step.intro}",
                                     classes="step-intro")
                        if step.id == FOLLOWUP_STEP:
                            yield Vertical(id="followups")
                        for form in step.forms:
                            yield RecordForm(form)
                        yield Label("Recorded", classes="minutes-title")
                        yield MinutesTable(id=f"minutes-{step.id}")
            yield LookForsPanel(id="lookfors")
            solo = getattr(self.app, "solo", None)
            if solo is not None:
                from tui.widgets.conversation import ConversationPane

                yield ConversationPane(solo, id="talk")
        yield Footer()

    @property
    def focus_chain(self) -> list[Widget]:
        """Tab from the agenda goes to the step's work; "Close meeting" comes last, so a
        Tab too many never lands on it (F10 and a click still reach it)."""
        chain = super().focus_chain
        last = [w for w in chain if w.id == "close-meeting"]
        return [w for w in chain if w.id != "close-meeting"] + last

    def on_mount(self) -> None:
        self._fill_options()

    # ------------------------------------------------------------------ options

    def _fill_options(self) -> None:
        room = self.room
        sc = room.scenario
        strategies = [(s.name, s.id) for s in sc.strategies]
        meeting = room.current_meeting
        quarters = sc.calendar.quarters
        start = (sc.quarter_index(meeting.after_quarter) + 1) if meeting else len(quarters)
        dates = [(f"End of {q.label}", f"end of {q.label}") for q in quarters[start:]]
        dates = dates or [("End of year", "end of year")]
        options = {
            **{name: list(fixed) for name, fixed in FIXED_OPTIONS.items()},
            "metrics": figures.metric_options(sc),
            "strategies": strategies,
            "dates": dates,
            "views": self._view_options(),
            "grades": [(f"{g}", f"{g}") for g in sc.grades],
            "subgroups": [(g.short, g.id) for g in sc.subgroups],
        }
        for form in self.query(RecordForm):
            for f in form.spec.fields:
                if f.options:
                    form.set_options(f.name, options[f.options])

    def _reset_forms(self, meeting: Meeting | None) -> None:
        """Every form as new for this meeting: no metric, baseline or tick of an earlier
        one; a date field starts at this meeting's own default."""
        for form in self.query(RecordForm):
            dates = [f.name for f in form.spec.fields if f.type == "date"]
            if meeting is not None and dates:
                due = default_due(self.room.scenario.calendar, meeting.id)
                form.set_defaults(dict.fromkeys(dates, due))
            form.reset()

    def _view_options(self) -> list[tuple[str, str]]:
        room = self.room
        views = room.views_opened()
        sc = room.scenario
        school = sc.priority_schools[0].id
        for default in (f"{s.id}/{school}/all" for s in sc.subjects):
            if default not in views:
                views.append(default)
        return [(v, v) for v in views]

    # ------------------------------------------------------------------ drawing

    def refresh_room(self) -> None:
        room = self.room
        meeting = room.current_meeting
        if meeting is None:
            self.query_one("#meeting-title", Static).update(
                "[b]Every meeting is closed[/b]\nThe minutes stay readable here.")
            self.query_one("#close-meeting", Button).disabled = True
            meeting_id = room.scenario.calendar.meetings[-1].id
        else:
            title = meeting.title.replace(" — ", "\n")
            self.query_one("#meeting-title", Static).update(f"[b]{plain(title)}[/b]")
            self.query_one("#close-meeting", Button).disabled = False
            meeting_id = meeting.id
        if meeting_id != self.meeting_id:
            self.meeting_id = meeting_id
            self._fill_options()
            self._reset_forms(meeting)
            self._build_followups()
            if (OPENS_LATER and room.previous_meeting(meeting_id) is not None
                    and meeting is not None):
                self.show_step(OPENS_LATER)
        else:
            views = self._view_options()
            for form in self.query(RecordForm):
                for f in form.spec.fields:
                    if f.options == "views":
                        form.set_options(f.name, views)
        self._draw_minutes()
        self._draw_resources()
        self.draw_speaker()
        self._draw_talk(meeting)

    # ------------------------------------------------------------------ solo practice

    def _talk(self) -> ConversationPane | None:
        from tui.widgets.conversation import ConversationPane

        found = self.query(ConversationPane)
        return found.first() if found else None

    def _draw_talk(self, meeting: Meeting | None) -> None:
        pane = self._talk()
        if pane is None:
            return
        if meeting is None:
            pane.display = False
            return
        pane.show(meeting.id, self._view_options())
        if meeting.id not in self.room.state.intents and not self._asked_intent:
            self._asked_intent = True
            self.call_after_refresh(self._ask_intent, meeting)

    def _ask_intent(self, meeting: Meeting) -> None:
        from tui.screens.intent import IntentScreen

        solo = getattr(self.app, "solo", None)
        if solo is None:
            return

        def written(text: str | None) -> None:
            if text:
                unsaved.save(self.app, "what you mean to achieve",
                             lambda: solo.write_intent(meeting.id, text))
            # "Later": asked again when the player comes back to the meeting room.

        self.app.push_screen(IntentScreen(short_title(meeting.title), solo.persona.name),
                             written)

    def on_screen_suspend(self) -> None:
        from textual.screen import ModalScreen

        if isinstance(self.app.screen, ModalScreen):
            return  # a dialog over the meeting room: the player has not left it
        if self.meeting_id not in self.room.state.intents:
            self._asked_intent = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Talk (F7) and hints (F9) are for solo practice: a pair's meeting room does not
        offer them."""
        if action in ("toggle_talk", "toggle_hints"):
            return getattr(self.app, "solo", None) is not None
        return True

    def action_toggle_talk(self) -> None:
        pane = self._talk()
        if pane is None:
            self.notify("Talking with a counterpart is for solo practice: start one with "
                        "pmsim play SCENARIO --solo state (or district), or “Practise alone” "
                        "on the home screen.", title="Talk")
            return
        pane.display = not pane.display
        if pane.display:
            self._one_side_panel(keep=pane)
            pane.query_one("#talk-input").focus()

    def action_toggle_hints(self) -> None:
        solo = getattr(self.app, "solo", None)
        pane = self._talk()
        if solo is None or pane is None:
            self.notify("Hints are for solo practice.", title="Hints")
            return
        solo.hints = not solo.hints
        pane.show(self.meeting_id or "", self._view_options())
        self.notify("Hints on: what a skilled lead would look at or ask next." if solo.hints
                    else "Hints off.", title="Hints")

    def action_toggle_lookfors(self) -> None:
        panel = self.query_one(LookForsPanel)
        panel.display = not panel.display
        if panel.display:
            self._one_side_panel(keep=panel)
        self._draw_lookfors()

    def _one_side_panel(self, keep: Widget) -> None:
        """On a screen too narrow for both, the talk pane and the look-fors panel take
        turns beside the step, so the step's form keeps its width."""
        if self.size.width >= BOTH_PANELS_WIDTH:
            return
        for other in (self._talk(), self.query_one(LookForsPanel)):
            if other is not None and other is not keep:
                other.display = False

    def _draw_lookfors(self) -> None:
        """The open step's look-fors, as this role may see them before the reveal."""
        panel = self.query_one(LookForsPanel)
        if not panel.display:
            return
        scenario = self.room.scenario
        if self._lookfors is None or self._lookfors[0] is not scenario:
            from simulator.formats.framework import shown_lookfors

            self._lookfors = (scenario, shown_lookfors(scenario))
        current = self.query_one("#steps", ContentSwitcher).current or ""
        step = next((s for s in STEPS if f"step-{s.id}" == current), STEPS[0])
        panel.show(step.title, self._lookfors[1][step.id])

    def draw_speaker(self) -> None:
        """Whose records this terminal writes: switchable at a shared terminal only."""
        room = self.room
        button = self.query_one("#speaker", Button)
        shared = room.role == "both"
        who = role_label(room.event_role)
        button.label = f"Speaking as: {who}" + ("  ⇄" if shared else "")
        button.disabled = not shared
        button.set_class(room.event_role == "state", "state")
        button.set_class(room.event_role == "district", "district")

    def _draw_minutes(self) -> None:
        room = self.room
        names = {s.id: s.name for s in room.scenario.strategies}
        by_step: dict[str, list] = {s.id: [] for s in STEPS}
        for rid, rec in room.records(self.meeting_id):
            by_step[step_of(rec.kind, rec.fields)].append((rid, rec))
        for step in STEPS:
            table = self.query_one(f"#minutes-{step.id}", MinutesTable)
            table.show([(rid, role_label(rec.role), minutes_line(rec.kind, rec.fields, names))
                        for rid, rec in by_step[step.id]])
            table.display = bool(by_step[step.id])
            count = len(by_step[step.id])
            i = STEPS.index(step) + 1
            mark = f"  [b]{count}[/b]" if count else ""
            self.query_one(f"#agenda-label-{step.id}", Label).update(f"{i}. {step.title}{mark}")
        self._draw_followups()

    def _draw_followups(self) -> None:
        """Each earlier action step's latest follow-up status, whichever terminal recorded
        it. A status is put into the row's choice only when the store's changes, so a
        choice being made here is not undone by someone else's unrelated record."""
        latest = {str(rec.fields.get("record_id")): str(rec.fields.get("status"))
                  for _, rec in self.room.records(self.meeting_id, ("followup",))}
        for row in self.query(".followup-row"):
            rid = row.id.removeprefix("fu-") if row.id else ""
            row.set_class(rid in latest, "followed-up")
            status = latest.get(rid)
            select = self._followup_selects.get(rid)
            if select is None or not select.is_mounted:
                continue  # just built: drawn once it is mounted
            if self._followup_shown.get(rid) != status:
                self._followup_shown[rid] = status
                if status is None:
                    select.clear()
                elif status in [v for _, v in FIXED_OPTIONS[FOLLOWUP_FIELDS[0].options]]:
                    select.value = status

    def _draw_resources(self) -> None:
        text, over = self.resources_text()
        panel = self.query_one("#resources", Static)
        panel.update(text)
        panel.set_class(over, "over")

    def resources_text(self) -> tuple[str, bool]:
        """Budget and staff in play after this meeting's decisions, against what there is."""
        room = self.room
        sim = room.sim
        if sim is None:
            return "", False
        money = resources(sim, room.state.decisions.get(self.meeting_id or "", []))
        warn = "\n[b]⚠ over what is available[/b]" if money.over else ""
        return money.text() + warn, money.over

    def _build_followups(self) -> None:
        box = self.query_one("#followups", Vertical)
        box.remove_children()
        self._followup_shown = {}
        self._followup_selects = {}
        room = self.room
        prev = room.previous_meeting(self.meeting_id or "")
        if prev is None:
            box.mount(Static("This is the first meeting: there are no earlier commitments.",
                             classes="muted"))
            return
        actions = room.records(prev.id, ("action",))
        if not actions:
            box.mount(Static(f"{short_title(plain(prev.title))} recorded no action steps.",
                             classes="muted"))
            return
        status, note = FOLLOWUP_FIELDS
        for rid, rec in actions:
            select: Select = Select(list(FIXED_OPTIONS[status.options]), id=f"fu-status-{rid}",
                                    compact=True, prompt=status.label)
            self._followup_selects[rid] = select
            row = Vertical(
                Static(Content.from_markup("[b]$step[/b] — $rest", step=str(
                    rec.fields.get("step", "?")), rest=action_step_detail(rec.fields))),
                Horizontal(
                    select,
                    Field(placeholder=note.placeholder, id=f"fu-note-{rid}", compact=True),
                    Button("Record", id=f"fu-save-{rid}", compact=True, variant="primary"),
                    classes="followup-form",
                ),
                id=f"fu-{rid}", classes="followup-row",
            )
            box.mount(row)
        self.call_after_refresh(self._draw_followups)

    # ------------------------------------------------------------------ steps

    def show_step(self, step_id: str) -> None:
        self.query_one("#steps", ContentSwitcher).current = f"step-{step_id}"
        agenda = self.query_one("#agenda", ListView)
        agenda.index = [s.id for s in STEPS].index(step_id)

    @on(ListView.Highlighted, "#agenda")
    def _step_highlighted(self, event: ListView.Highlighted) -> None:
        if event.item is not None and event.item.id:
            self.query_one("#steps", ContentSwitcher).current = \
                "step-" + event.item.id.removeprefix("agenda-")
            self._draw_lookfors()

    @on(ListView.Selected, "#agenda")
    def _step_selected(self, event: ListView.Selected) -> None:
        if not event.item.id:
            return
        step = self.query_one(f"#step-{event.item.id.removeprefix('agenda-')}")
        focusable = [w for w in step.query("Input, Select, Button") if w.focusable]
        if focusable:
            focusable[0].focus()

    def action_next_step(self) -> None:
        agenda = self.query_one("#agenda", ListView)
        index = ((agenda.index or 0) + 1) % len(STEPS)
        self.show_step(STEPS[index].id)

    # ------------------------------------------------------------------ saving

    @on(Select.Changed)
    def _select_changed(self, event: Select.Changed) -> None:
        sid = event.select.id or ""
        # The select's value now, not the event's: a change queued before the form was
        # reset for a new meeting must not bring the old metric's baseline back.
        now = event.select.value
        if sid == "target-metric" and now is not Select.NULL and self.room.sim:
            value = figures.metric_value(self.room.sim, str(now))
            if value is not None:
                self.query_one("#target", RecordForm).set_value("baseline", f"{value:g}")
        if sid == "decision-strategy":
            # Whom one strategy serves says nothing of the next: boxes ticked for one are
            # unticked when another is chosen (ticks made before any is chosen stay).
            chosen = None if now is Select.NULL else str(now)
            if self._strategy_ticked_for not in (None, chosen):
                form = self.query_one("#decision", RecordForm)
                for f in form.spec.fields:
                    if f.name in TARGETING and f.type == "choices":
                        form.set_checked(f.name, [])
            self._strategy_ticked_for = chosen
        if sid in ("decision-strategy", "decision-action"):
            self._decision_hint()

    @on(Checkbox.Changed, "#decision Checkbox")
    @on(Input.Changed, "#decision-capacity")
    def _targeting_changed(self) -> None:
        self._decision_hint()

    def targeting(self, values: dict[str, Any]) -> figures.Targeting | str:
        """The decision form's targeting, or what is wrong with it."""
        capacity = str(values.get("capacity") or "").strip()
        if capacity and (not capacity.isdigit() or int(capacity) < 1):
            return "At most: a whole number of students, 1 or more"
        return figures.Targeting(
            tuple(int(g) for g in values.get("grades") or ()) or None,
            tuple(values.get("subgroups") or ()) or None,
            int(capacity) if capacity else None,
        )

    def _decision_hint(self) -> None:
        form = self.query_one("#decision", RecordForm)
        values = form.values()
        sim = self.room.sim
        if not values["strategy"] or sim is None:
            return
        from simulator.engine.playthrough import decision_problem

        problem = decision_problem(sim, values["strategy"], values["action"]) if values[
            "action"] else None
        targeting = self.targeting(values)
        if problem:
            form.hint(f"[b]⚠[/b] {problem}")
        elif isinstance(targeting, str):
            form.hint(f"[b]⚠[/b] {targeting}")
        elif values["action"] and not ACTION_BY_ID[values["action"]].retargets:
            form.hint(retargeting_hint())
        else:
            cost, staff, served = figures.estimated_cost(sim, values["strategy"], targeting)
            whom = figures.describe_targeting(self.room.scenario, values["strategy"], targeting)
            form.hint(f"≈ ${cost:,.0f} for the year · {staff:g} FTE · {served} students\n"
                      f"Serves {whom}")

    @on(RecordForm.Submitted)
    def _record_submitted(self, event: RecordForm.Submitted) -> None:
        event.stop()
        self.save(event.form, event.values)

    def save(self, form: RecordForm, values: dict[str, Any]) -> bool:
        """Save the form's record; the form keeps its values unless it was saved (a store
        that refuses it offers Retry, which clears the form once it succeeds)."""
        room = self.room
        meeting = room.current_meeting
        if meeting is None:
            self.notify("Every meeting is closed.", severity="warning")
            return False
        spec = form.spec
        fields = {k: v for k, v in values.items() if v not in (None, "", [])}
        fields |= spec.fixed
        for f in spec.fields:
            problem = (due_problem(room.scenario.calendar, meeting.id, str(fields[f.name]))
                       if f.type == "date" and f.name in fields else None)
            if problem:
                form.hint(f"[b]⚠[/b] {plain(problem)}")
                self.app.bell()
                return False
        try:
            if spec.kind == "decision":
                from simulator.engine.playthrough import decision_problem

                sim = room.sim
                problem = decision_problem(sim, fields["strategy"], fields["action"]) if sim \
                    else None
                targeting = self.targeting(values)
                if isinstance(targeting, str):
                    problem = targeting
                if problem:
                    form.hint(f"[b]⚠[/b] {problem}")
                    self.app.bell()
                    return False
                assert not isinstance(targeting, str)
                for key in TARGETING:
                    fields.pop(key, None)
                if not ACTION_BY_ID[fields["action"]].retargets:
                    targeting = figures.Targeting()
                options = targeting.options()
                cost, staff, served = figures.estimated_cost(
                    sim, fields["strategy"], targeting) if sim else (0.0, 0.0, 0)
                strategy, action = fields.pop("strategy"), fields.pop("action")
                if options:
                    fields["serves"] = figures.describe_targeting(room.scenario, strategy,
                                                                  targeting, short=True)
                minute = {**fields, "cost": cost, "staff_fte": staff, "students": served,
                          **options}

                def write() -> object:
                    return room.make_decision(meeting.id, strategy, action, minute, options)
            else:
                if spec.kind == "target":
                    labels = dict((v, k) for k, v in figures.metric_options(room.scenario))
                    fields["metric_label"] = labels.get(fields["metric"], fields["metric"])

                def write() -> object:
                    return room.add_record(meeting.id, spec.kind, fields)

            return unsaved.save(self.app, spec.title.lower(), write,
                                lambda: self._saved(form))
        except ValueError as err:
            self.notify(f"Not saved: {err}", severity="error")
            return False

    def _saved(self, form: RecordForm) -> None:
        form.clear()
        self.notify(f"Saved: {form.spec.title.lower()}", timeout=2)
        self._draw_resources()
        _, over = self.resources_text()
        if form.spec.kind == "decision" and over:
            self.notify("The strategies in play now need more budget or staff than the "
                        "district has.", severity="warning")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        bid = event.button.id or ""
        if bid == "speaker":
            event.stop()
            self.app.post_message(SwitchSpeaker())
        elif bid == "close-meeting":
            event.stop()
            self.action_close_meeting()
        elif bid.startswith("fu-save-"):
            event.stop()
            self._save_followup(bid.removeprefix("fu-save-"))

    @on(Input.Submitted, ".followup-form Input")
    def _followup_entered(self, event: Input.Submitted) -> None:
        """Enter in a follow-up's note records it, as Enter does in every record form."""
        event.stop()
        self._save_followup((event.input.id or "").removeprefix("fu-note-"))

    def _save_followup(self, rid: str) -> None:
        room = self.room
        meeting = room.current_meeting
        status = self.query_one(f"#fu-status-{rid}", Select).value
        if meeting is None:
            return
        if status is Select.NULL:
            self.notify("Choose a status first", severity="warning")
            return
        note = self.query_one(f"#fu-note-{rid}", Input).value.strip()
        action = room.state.records.get(rid)
        step = action.fields.get("step", "") if action else ""

        def saved() -> None:
            self.query_one(f"#fu-note-{rid}", Input).value = ""
            self.notify("Saved: follow-up", timeout=2)

        unsaved.save(self.app, "the follow-up", lambda: room.add_record(
            meeting.id, "followup", {"record_id": rid, "step": step, "status": status,
                                     "note": note}), saved)

    def action_remove_record(self) -> None:
        focused = self.focused
        if not isinstance(focused, DataTable) or not focused.row_count:
            return
        row_key, _ = focused.coordinate_to_cell_key(focused.cursor_coordinate)
        rid = row_key.value
        if rid is None:
            return

        problem = self.room.removal_problem(rid)
        if problem:
            self.notify(f"Not removed: {problem}", severity="warning")
            return

        def done(yes: bool | None) -> None:
            if yes:
                room = self.room
                record = room.state.records.get(rid)
                kind = f"{record.kind} " if record else ""
                unsaved.save(self.app, f"the removal of the {kind}record",
                             lambda: room.remove_record(rid))

        self.app.push_screen(ConfirmScreen(self.removal_question(rid), yes="Remove"), done)

    def removal_question(self, rid: str) -> str:
        """The remove dialog names the record (kind, what it says, who recorded it), so a
        partner's record is not taken for one's own."""
        rec = self.room.state.records.get(rid)
        if rec is None:
            return "Remove this record from the minutes?"
        names = {s.id: s.name for s in self.room.scenario.strategies}
        summary = minutes_line(rec.kind, rec.fields, names)  # as the list shows it
        ask = (f"Withdraw this {plain(record_noun(rec.kind))}? It comes out of the minutes and "
               "of the plan: the strategy's cost and staff leave the budget."
               if rec.kind == "decision"
               else f"Remove this {plain(record_noun(rec.kind))} from the minutes?")
        return f"{ask}\n\n{plain(summary)}\n\nRecorded by the {role_label(rec.role)} Lead."

    def action_close_meeting(self) -> None:
        meeting = self.room.current_meeting
        if meeting is None:
            return
        from simulator.formats.routine import stage_after_closing
        from tui.screens.workshop_state import held, tell_held

        if why := held(self.app, stage_after_closing(self.room.scenario.calendar,
                                                     meeting.id).text):
            tell_held(self.app, why)  # a workshop's room: the facilitator sets the pace
            return

        summary = self.room.closing_summary(meeting.id)

        def done(yes: bool | None) -> None:
            if yes:
                self.app.post_message(CloseMeeting(summary))

        self.app.push_screen(ClosingScreen(summary), done)
