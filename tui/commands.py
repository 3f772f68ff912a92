"""The command palette offers the current screen's actions (its bindings)."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider


class ScreenActions(Provider):
    """Every binding active on the screen the palette was opened from, by its description."""

    def _commands(self) -> list[tuple[str, str, object]]:
        seen: set[str] = set()
        out = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            label = binding.description
            if not label or label in seen or not active.enabled:
                continue
            seen.add(label)
            help_text = binding.tooltip or f"key: {binding.key_display or binding.key}"
            command = partial(self.app.run_action, binding.action, active.node)
            out.append((label, help_text, command))
        return out

    async def discover(self) -> Hits:
        for label, help_text, command in self._commands():
            yield DiscoveryHit(label, command, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, help_text, command in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), command, help=help_text)  # type: ignore[arg-type]
