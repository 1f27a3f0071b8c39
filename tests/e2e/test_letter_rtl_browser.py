"""The Arabic letter in Chromium: the phone number inside right-to-left text is shown left to
right (0226 before 00 on the screen), because it is wrapped in a left-to-right isolate."""

from __future__ import annotations

import pytest

from avestavard.services.letter_render import render_letter_html
from avestavard.services.letter_rules import load_letter_config
from tests.unit.letters.test_letter_render import _letter

pytestmark = pytest.mark.browser


def test_phone_number_reads_left_to_right_in_the_arabic_letter(page):
    html = render_letter_html(_letter(load_letter_config(), "ar", stage=3, group="senior"))
    page.set_content(html)
    positions = page.evaluate(
        """() => {
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          const found = [];
          while (walker.nextNode()) {
            const node = walker.currentNode;
            const at = node.data.indexOf("0226-64 50 00");
            if (at < 0 || !node.parentElement.closest("[lang=ar], [dir=rtl]")) continue;
            const range = document.createRange();
            range.setStart(node, at); range.setEnd(node, at + 4);
            const first = range.getBoundingClientRect();
            range.setStart(node, at + 11); range.setEnd(node, at + 13);
            const last = range.getBoundingClientRect();
            found.push([first.left, last.left, first.top, last.top]);
          }
          return found;
        }"""
    )
    assert positions, "no phone number found in right-to-left text"
    for first_left, last_left, first_top, last_top in positions:
        assert first_top == last_top  # on one line
        assert first_left < last_left  # "0226" is left of "00": not reordered
