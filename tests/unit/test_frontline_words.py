"""The front line's words: every review reason of the register has a Vietnamese sentence and a next
step; enrolment codes are read back however they are typed."""

from __future__ import annotations

from processors.register.reasons import REASONS
from producers.frontline.devices import ALPHABET, normalise_code
from producers.frontline.reasons_vi import WORDS, reason_words


def test_every_reason_code_of_the_register_has_words_and_what_to_do():
    assert set(WORDS) == set(REASONS)
    for code in REASONS:
        words, todo = reason_words(code)
        assert words.endswith(".") and todo.endswith(".") and code not in words


def test_a_reason_added_later_still_gets_a_sentence():
    words, todo = reason_words("some_new_rule")
    assert "some_new_rule" in words and todo


def test_codes_ignore_case_spaces_and_dashes_and_avoid_look_alike_characters():
    assert normalise_code(" pq4q-q69u ") == normalise_code("PQ4QQ69U") == "PQ4QQ69U"
    assert not set("01OIL") & set(ALPHABET)
