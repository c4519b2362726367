"""markdown-it's blockquote rule, made to look only as far ahead as the quote can reach.

Why: the rule first takes every following line that opens with ``>`` or could continue a paragraph
lazily, to the end of the text, then reads the quote's content, and the quote ends where that content
stops: at the first lazy line no paragraph takes. ``x`` and ``> <div>`` repeated (an HTML block, which
never takes a lazy line) made every quote walk the rest of the text to keep one line: 25 KB read in
2.5 s, quadratic. Here the rule is first given a window of the next lines; where the quote ends inside
it, no line past the window could have changed it (every block stops at an outdented line); where it
reaches the window's end, it is read again with the window doubled, so the work stays linear.
"""

from __future__ import annotations

from typing import Any

FIRST_WINDOW = 8  # lines


def bounded_blockquote(state: Any, start: int, end: int, silent: bool) -> bool:
    """markdown-it's ``blockquote`` rule, given ``end`` no further than it needs (same tokens, same lines)."""
    from markdown_it.rules_block.blockquote import blockquote

    window = FIRST_WINDOW
    while not silent and start + window < end:
        tokens, line = len(state.tokens), state.line
        if not blockquote(state, start, start + window, silent):
            return False  # not a quote, whatever follows
        if state.line < start + window:  # it ended inside the window: the lines past it played no part
            return True
        del state.tokens[tokens:]  # it may go on past the window: read it again with a larger one
        state.line = line
        window *= 2
    return bool(blockquote(state, start, end, silent))
