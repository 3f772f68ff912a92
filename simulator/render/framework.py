"""The primer on the Performance Management Framework, as Markdown.

One text for two readers: the primer screen of the TUI shows this Markdown, and
``facilitator_guide/framework.md`` is this Markdown committed (``tests/test_primer.py``
fails when it drifts; regenerate it with ``python -m simulator.render.framework >
facilitator_guide/framework.md``). The words come from
:mod:`simulator.formats.framework`, the names from the rubric, the agenda from the
routine and what the debrief looks for from the default look-fors.
"""

from __future__ import annotations

import sys

from simulator.formats.framework import Framework, framework, lookfors_by_element
from simulator.formats.routine import STEPS
from simulator.formats.rubric import ELEMENTS, LEVELS, ROUTINES, SUB_ELEMENTS

REGENERATE = "python -m simulator.render.framework > facilitator_guide/framework.md"
TITLE = "The Performance Management Framework: a primer"


def _flow(text: str) -> str:
    return " ".join(text.split())


def primer_markdown(fw: Framework | None = None) -> str:
    """The whole primer as Markdown; the same bytes on every run."""
    fw = fw or framework()
    looked_for = lookfors_by_element()
    out = [
        f"# {TITLE}",
        "",
        "",
        "What a participant meets before the first meeting: what performance management "
        "is, the framework the debrief rates, how a process is designed and what a strong "
        "routine looks like. In pmsim the same text opens with **Ctrl+G** on any screen "
        "(or **g** on the home screen).",
        "",
        "## What performance management is",
        "",
        _flow(fw.definition),
        "",
        f"## The four elements and their {_count_word(len(SUB_ELEMENTS))} sub-elements",
        "",
        "The debrief rates each sub-element " + ", ".join(LEVELS[:-1]) + f" or {LEVELS[-1]}, "
        "from what the meeting recorded and which data it opened. Under each sub-element, "
        "what the debrief looks for.",
    ]
    for letter, name in ELEMENTS.items():
        out += ["", f"### {letter}. {name}", "", _flow(fw.elements[letter])]
        for sub, sub_name in SUB_ELEMENTS.items():
            if sub[:1] != letter:
                continue
            out += ["", f"**{sub} · {sub_name}.** {_flow(fw.sub_elements[sub])}", ""]
            out += [f"- {_flow(lf.description)}" for lf in looked_for[sub]]
    out += ["", "## Designing a performance-management process", ""]
    out += [f"{i}. **{s.title}.** {_flow(s.text)}" for i, s in enumerate(fw.design_steps, 1)]
    out += ["", "## What a strong routine looks like", "", _flow(fw.strong_routine), "",
            f"The debrief rates the meeting itself on {_count_word(len(ROUTINES))} qualities, "
            f"as well as the {_count_word(len(SUB_ELEMENTS))} sub-elements:", ""]
    for rid, name in ROUTINES.items():
        out.append(f"- **{name}**")
        out += [f"  - {_flow(lf.description)}" for lf in looked_for[rid]]
    out += ["", "pmsim's meeting room follows this agenda, one step at a time; **Ctrl+L** "
            "there shows what the debrief looks for at the step that is open.", ""]
    out += [f"{i}. **{s.title}.** {_flow(s.intro)}" for i, s in enumerate(STEPS, 1)]
    return "\n".join(out) + "\n"


def _count_word(n: int) -> str:
    words = {3: "three", 4: "four", 10: "ten", 11: "eleven", 12: "twelve"}
    return words.get(n, str(n))


def main() -> int:
    sys.stdout.write(primer_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
