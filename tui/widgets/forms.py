"""Record forms of the meeting: a self-contained widget built from a routine form."""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from simulator.formats.routine import Form
from tui.widgets.field import Field


class TickBox(Checkbox):
    """A checkbox whose state shows in its shape, "[X]" or "[ ]", not only in its colour
    (a monochrome terminal, a colour-blind player, a screen reader reading the text)."""

    @property
    def _button(self) -> Content:
        style = self.get_visual_style("toggle--button")
        return Content.assemble("[", ("X" if self.value else " ", style), "] ")


class RecordForm(Vertical):
    """A titled form; posts :class:`RecordForm.Submitted` with the values when complete."""

    DEFAULT_CSS = """
    RecordForm { height: auto; padding: 0 1; margin-bottom: 1; border-left: thick $accent; }
    RecordForm .form-title { text-style: bold; }
    RecordForm .form-row { height: 1; margin-bottom: 0; }
    RecordForm .field-help { padding-left: 18; color: $text-muted; text-style: italic; }
    RecordForm .field-label { width: 18; color: $text-muted; }
    RecordForm .form-row Input, RecordForm .form-row Select { width: 1fr; }
    RecordForm .form-row .checks { width: 1fr; height: 1; }
    RecordForm .checks Checkbox { margin-right: 2; }
    RecordForm .form-footer { height: auto; margin-top: 1; }
    RecordForm .form-footer Static { width: 1fr; color: $text-muted; }
    RecordForm .form-footer Button { min-width: 16; }
    """

    class Submitted(Message):
        def __init__(self, form: RecordForm, values: dict[str, Any]) -> None:
            super().__init__()
            self.form = form
            self.values = values

    def __init__(self, spec: Form) -> None:
        super().__init__(id=spec.id)
        self.spec = spec
        self.defaults: dict[str, str] = {}
        """What a text field holds when the form is new or cleared (e.g. a due date)."""
        self._warned_of_list = False

    def compose(self) -> ComposeResult:
        yield Label(self.spec.title, classes="form-title")
        for f in self.spec.fields:
            with Horizontal(classes="form-row"):
                yield Label(f.label + ("" if f.required else " (optional)"),
                            classes="field-label")
                wid = self._wid(f.name)
                if f.type == "choice":
                    yield Select([], id=wid, compact=True, prompt=f.placeholder or "Choose…")
                elif f.type == "choices":
                    yield Horizontal(id=wid, classes="checks")
                else:
                    kind = "text" if f.type == "date" else f.type
                    yield Field(placeholder=f.placeholder, id=wid, compact=True, type=kind)
            if f.help:
                yield Static(f.help, id=self._wid(f"{f.name}-help"), classes="field-help",
                             markup=False)
        with Horizontal(classes="form-footer"):
            yield Static("", id=self._wid("hint"))
            yield Button(self.spec.button, id=self._wid("save"), compact=True,
                         variant="primary")

    def _wid(self, name: str) -> str:
        return f"{self.spec.id}-{name}"

    def widget(self, name: str) -> Input | Select:
        widget = self.query_one(f"#{self._wid(name)}")
        assert isinstance(widget, Input | Select), f"{name} is a field of checkboxes"
        return widget

    def checkboxes(self, name: str) -> list[Checkbox]:
        """The boxes of a "choices" field; each box's ``name`` is its option's value."""
        return list(self.query_one(f"#{self._wid(name)}", Horizontal).query(Checkbox))

    def set_checked(self, name: str, values: list[str]) -> None:
        for box in self.checkboxes(name):
            box.value = box.name in values

    def set_options(self, name: str, options: list[tuple[str, str]]) -> None:
        spec = next(f for f in self.spec.fields if f.name == name)
        if spec.type == "choices":
            row = self.query_one(f"#{self._wid(name)}", Horizontal)
            if [(str(b.label), b.name) for b in self.checkboxes(name)] != options:
                row.remove_children()
                row.mount_all(TickBox(label, compact=True, name=value,
                                      id=f"{self._wid(name)}-{value}")
                              for label, value in options)
            return
        sel = self.widget(name)
        if isinstance(sel, Select):
            current = sel.value
            sel.set_options(options)
            if current in [v for _, v in options]:
                sel.value = current

    def set_value(self, name: str, value: str) -> None:
        self.widget(name).value = value

    def hint(self, text: str) -> None:
        self.query_one(f"#{self._wid('hint')}", Static).update(text)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.spec.fields:
            if f.type == "choices":
                out[f.name] = [b.name for b in self.checkboxes(f.name) if b.value]
                continue
            w = self.widget(f.name)
            v = w.value
            if isinstance(w, Select):
                out[f.name] = None if v is Select.NULL else v
            else:
                out[f.name] = str(v).strip()
        return out

    def set_defaults(self, defaults: dict[str, str]) -> None:
        """Text fields' starting values; empty fields take theirs at once."""
        self.defaults = dict(defaults)
        for name, value in self.defaults.items():
            widget = self.widget(name)
            if isinstance(widget, Input) and not widget.value:
                widget.value = value

    def clear(self) -> None:
        """After a save: text fields back to their defaults, every box unticked; choices
        stay (the next record is often about the same strategy or metric)."""
        for f in self.spec.fields:
            if f.type == "choices":
                self.set_checked(f.name, [])
                continue
            w = self.widget(f.name)
            if isinstance(w, Input):
                w.value = self.defaults.get(f.name, "")
        self.hint("")

    def reset(self) -> None:
        """A new meeting: nothing of an earlier one stays, not even a choice."""
        for f in self.spec.fields:
            if f.type == "choice":
                self.widget(f.name).clear()
        self.clear()

    def submit(self) -> None:
        values = self.values()
        missing = [f.label for f in self.spec.fields if f.required and not values[f.name]]
        if missing:
            self.hint(f"[b]Missing:[/b] {', '.join(missing)}")
            self.app.bell()
            return
        self.post_message(self.Submitted(self, values))

    def on_key(self, event: events.Key) -> None:
        """Letters typed on a closed choice list would vanish (only Enter, space and the
        arrows open it): say so, so nothing typed is lost unnoticed."""
        focused = self.screen.focused
        if not (event.is_printable and isinstance(focused, Select) and not focused.expanded):
            return
        field = next((f for f in self.spec.fields if self._wid(f.name) == focused.id), None)
        if field is not None:
            event.stop()
            self.hint(f"[b]⚠[/b] {field.label} is a list to choose from: Enter or ↓ opens it, "
                      "Tab goes on to the next field")
            self._warned_of_list = True
            self.app.bell()

    @on(Select.Changed)
    def _chosen(self) -> None:
        if self._warned_of_list:  # the warning has done its work
            self._warned_of_list = False
            self.hint("")

    @on(Button.Pressed)
    def _save(self, event: Button.Pressed) -> None:
        event.stop()
        self.submit()

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()
