"""The quick-find's ranking as a pure rule: the objection's own words above its tags, its tags above the rest."""
from pathlib import Path

import pytest

from console.guides.rules import (FIND_ANYWHERE, FIND_TAG, FIND_TITLE_PREFIX, FIND_TITLE_WORD, find_battlecards,
                                  find_objections, find_rank, parse)
from console.scoring.rules import SHIPPED_MODEL

DEMO_GUIDE = Path(__file__).resolve().parents[2] / "call_guides" / "default-b2b.yaml"


def objection(id_, said, tags=(), response="", competitor=""):
    return {"id": id_, "objection": said, "response": response, "tags": list(tags), "competitor": competitor}


def ids(items):
    return [item["id"] for item in items]


def test_each_word_scores_by_where_it_is_found():
    item = ("It's too expensive.", ["price", "budget"], "Compared with the cost per seat")
    assert find_rank("expensive", *item).words == FIND_TITLE_WORD
    assert find_rank("expens", *item).words == FIND_TITLE_PREFIX
    assert find_rank("price", *item).words == FIND_TAG
    assert find_rank("pri", *item).words == FIND_TAG  # the start of a tag
    assert find_rank("seat", *item).words == FIND_ANYWHERE  # the response
    assert find_rank("pensive", *item).words == FIND_ANYWHERE  # inside a word of the title
    assert find_rank("expensive seat", *item).words == FIND_TITLE_WORD + FIND_ANYWHERE
    assert find_rank("zebra", *item) is None
    assert find_rank("expensive zebra", *item) is None  # every word must be found
    assert find_rank("   ", *item) is None


def test_an_exact_title_comes_first_and_a_title_that_starts_with_the_query_wins_ties():
    exact = find_rank("It's too expensive", "It's too expensive.")
    assert exact.exact and exact.prefix  # exact, punctuation aside
    assert find_rank("its TOO expensive", "It’s too expensive.").exact  # case, apostrophes
    assert find_rank("it's too exp", "It's too expensive.").prefix  # prefix, the last word unfinished
    assert not find_rank("it's too exp", "It's too expensive.").exact
    words = find_rank("too expensive", "It's too expensive.")  # words, not the start
    assert not words.exact and not words.prefix
    objections = [objection("longer", "Call me next quarter, not now"), objection("prefix", "Call me next week"),
                  objection("exact", "Call me next"), objection("words", "Next time, call me")]
    assert ids(find_objections(objections, "call me next")) == ["exact", "longer", "prefix", "words"]


def test_price_ranks_its_too_expensive_above_we_dont_have_budget():
    """The issue's case, on the demo guide itself: both carry the tag price; too-expensive lists it first."""
    guide = parse(DEMO_GUIDE.read_text(), DEMO_GUIDE.name, model=SHIPPED_MODEL)
    found = ids(find_objections(guide["objections"], "price"))
    assert found[:2] == ["too-expensive", "no-budget"]
    assert ids(find_objections(guide["objections"], "budget"))[:3] == ["no-budget", "too-expensive", "next-quarter"]
    assert ids(find_objections(guide["objections"], "expensive"))[0] == "too-expensive"


def test_the_objections_own_words_rank_above_tags_and_tags_above_the_response():
    objections = [
        objection("body", "Send me something", response="Our price is per seat"),
        objection("tag", "We don't have budget", tags=["budget", "price"]),
        objection("title-prefix", "Prices went up last year"),
        objection("title", "The price is too high"),
    ]
    assert ids(find_objections(objections, "price")) == ["title", "title-prefix", "tag", "body"]


def test_word_prefix_matches_rank_above_tags_and_below_whole_words():
    objections = [objection("tag", "Not now", tags=["expensive"]), objection("prefix", "Too expensive"),
                  objection("word", "Expens is what finance calls it")]
    assert ids(find_objections(objections, "expens")) == ["word", "prefix", "tag"]


def test_ties_go_to_the_earlier_tag_then_to_the_guides_order():
    objections = [objection("second-tag", "We don't have budget", tags=["budget", "price"]),
                  objection("first-tag", "It's too expensive", tags=["price", "budget"]),
                  objection("also-first", "Costs went up", tags=["price"])]
    assert ids(find_objections(objections, "price")) == ["first-tag", "also-first", "second-tag"]
    same = [objection("a", "Budget is tight"), objection("b", "Budget is gone")]
    assert ids(find_objections(same, "budget")) == ["a", "b"]
    assert ids(find_objections(list(reversed(same)), "budget")) == ["b", "a"]


def test_the_competitor_counts_as_a_tag():
    objections = [objection("mentions", "We built our own", response="Unlike Acme, we connect the CRM"),
                  objection("competitor", "We already have a dialer", competitor="Acme Dialer")]
    assert ids(find_objections(objections, "acme")) == ["competitor", "mentions"]


def test_an_empty_query_lists_everything_in_guide_order():
    objections = [objection("b", "Budget"), objection("a", "Price")]
    assert ids(find_objections(objections, "")) == ["b", "a"]
    assert ids(find_objections(objections, "  ")) == ["b", "a"]


@pytest.mark.parametrize("query", ["PIPESTAR", "pipe", "pipestar setup"])
def test_battlecards_rank_the_competitors_name_above_their_text(query):
    cards = [{"competitor": "Acme Dialer", "positioning": "Unlike PipeStar, setup takes a day", "landmines": [],
              "proof_points": []},
             {"competitor": "PipeStar", "positioning": "Long setup", "landmines": ["How long?"], "proof_points": []}]
    assert [card["competitor"] for card in find_battlecards(cards, query)] == ["PipeStar", "Acme Dialer"]
