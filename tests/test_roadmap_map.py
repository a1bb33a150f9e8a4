"""The map's layout (tracker/roadmap_map.py): pure, so no database."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker import roadmap_map
from tracker.roadmap_map import NARROW, WIDE, MapItem, count_crossings, layout, wrap_title

CONTENT = Path(__file__).resolve().parents[1] / "content"
LEVEL_LANES = {"beginner": 1, "intermediate": 2, "advanced": 3}


def _content_items(slug: str) -> list[MapItem]:
    """A content file's items as the map page builds them (lanes: prerequisites, levels)."""
    document = yaml.safe_load((CONTENT / f"{slug}.yaml").read_text(encoding="utf-8"))
    items = []
    for n, section in enumerate(document["sections"]):
        for item in section.get("items") or []:
            level = item.get("level") or section.get("level") or ""
            lane = 0 if section["kind"] == "prerequisites" else LEVEL_LANES.get(level, 10 + n)
            items.append(MapItem(item["slug"], lane, tuple(item.get("prerequisites") or ())))
    return items


def _nodes(result):
    return {node.id: node for node in result.nodes}


def _assert_sound(items, result, metrics):
    nodes = _nodes(result)
    assert set(nodes) == {item.id for item in items}
    # Every arrow points down to a later layer, except an edge that closed a cycle.
    for edge in result.edges:
        if not edge.cyclic:
            assert nodes[edge.target].layer > nodes[edge.source].layer
            assert nodes[edge.target].y > nodes[edge.source].y + nodes[edge.source].height
    # No two boxes overlap, and every box is inside the drawing and inside its lane.
    boxes = sorted(result.nodes, key=lambda node: (node.y, node.x))
    for a in boxes:
        assert a.x >= 0 and a.x + a.width <= result.width
        assert a.y >= 0 and a.y + a.height <= result.height
        lane = next(lane for lane in result.lanes if lane.lane == a.lane)
        assert lane.y <= a.y and a.y + a.height <= lane.y + lane.height
        for b in boxes:
            if a is not b:
                apart_x = a.x + a.width <= b.x or b.x + b.width <= a.x
                apart_y = a.y + a.height <= b.y or b.y + b.height <= a.y
                assert apart_x or apart_y, (a, b)
    # At most `columns` boxes share a row.
    rows: dict[int, int] = {}
    for node in result.nodes:
        rows[node.y] = rows.get(node.y, 0) + 1
    assert max(rows.values()) <= metrics.columns
    # Lanes follow each other down the page without overlapping.
    for upper, lower in zip(result.lanes, result.lanes[1:], strict=False):
        assert upper.lane < lower.lane
        assert upper.y + upper.height <= lower.y


def test_an_item_sits_below_its_prerequisites_in_its_own_lane():
    items = [
        MapItem("algebra", 0),
        MapItem("python", 0),
        MapItem("pytorch", 0, ("algebra", "python")),
        MapItem("attention", 1, ("pytorch",)),
        MapItem("transformer", 1, ("attention",)),
    ]
    result = layout(items)
    nodes = _nodes(result)
    assert nodes["algebra"].layer == nodes["python"].layer == 0
    assert nodes["pytorch"].layer == 1
    assert nodes["attention"].layer == 2  # first layer of the next lane
    assert nodes["transformer"].layer == 3
    assert [lane.lane for lane in result.lanes] == [0, 1]
    _assert_sound(items, result, WIDE)


def test_an_item_needing_a_later_lane_moves_down_to_it():
    # An intermediate project that needs an advanced concept is drawn with the advanced items.
    items = [
        MapItem("advanced-concept", 3),
        MapItem("intermediate-project", 2, ("advanced-concept",)),
        MapItem("intermediate-concept", 2),
    ]
    nodes = _nodes(layout(items))
    assert nodes["intermediate-project"].lane == 3
    assert nodes["intermediate-project"].layer > nodes["advanced-concept"].layer
    assert nodes["intermediate-concept"].lane == 2


def test_the_ordering_sweep_removes_the_crossings_of_the_input_order(monkeypatch):
    # Three prerequisites and their dependents in reverse: input order crosses every pair.
    items = [
        MapItem("a", 0),
        MapItem("b", 0),
        MapItem("c", 0),
        MapItem("needs-c", 1, ("c",)),
        MapItem("needs-b", 1, ("b",)),
        MapItem("needs-a", 1, ("a",)),
    ]
    monkeypatch.setattr(roadmap_map, "SWEEPS", 0)
    assert count_crossings(layout(items)) == 3
    monkeypatch.undo()
    result = layout(items)
    assert count_crossings(result) == 0
    nodes = _nodes(result)
    assert nodes["needs-a"].x < nodes["needs-b"].x < nodes["needs-c"].x


@pytest.mark.parametrize("slug", ["llm", "ml", "data-science", "mlops"])
def test_real_roadmaps_lay_out_soundly_with_fewer_crossings_than_their_input_order(
    slug, monkeypatch
):
    items = _content_items(slug)
    for metrics in (WIDE, NARROW):
        result = layout(items, metrics)
        _assert_sound(items, result, metrics)
        assert not any(edge.cyclic for edge in result.edges)
        with monkeypatch.context() as patched:
            patched.setattr(roadmap_map, "SWEEPS", 0)
            baseline = count_crossings(layout(items, metrics))
        assert count_crossings(result) < baseline


def test_the_narrow_layout_fits_a_phone():
    result = layout(_content_items("llm"), NARROW)
    # 390 px less the page's 16 px padding on each side.
    assert result.width <= 390 - 2 * 16


def test_layout_is_deterministic():
    items = _content_items("llm")
    assert layout(items) == layout(items)
    assert layout(list(items)) == layout(tuple(items))


def test_a_cycle_does_not_hang_and_only_its_closing_edge_points_back():
    items = [
        MapItem("a", 0, ("c",)),
        MapItem("b", 0, ("a",)),
        MapItem("c", 0, ("b",)),
        MapItem("self", 1, ("self",)),
    ]
    result = layout(items)
    cyclic = [(edge.source, edge.target) for edge in result.edges if edge.cyclic]
    assert cyclic == [("c", "a"), ("self", "self")]
    _assert_sound(items, result, WIDE)


def test_unknown_and_repeated_prerequisites_are_ignored():
    result = layout([MapItem("a", 0), MapItem("b", 0, ("a", "a", "elsewhere"))])
    assert [(edge.source, edge.target) for edge in result.edges] == [("a", "b")]


def test_no_items_is_an_empty_map():
    result = layout([])
    assert (result.width, result.height, result.nodes, result.edges) == (0, 0, (), ())


@st.composite
def random_graphs(draw, acyclic=True):
    n = draw(st.integers(min_value=1, max_value=30))
    items = []
    for index in range(n):
        lane = draw(st.sampled_from([0, 1, 2, 3, 15]))
        pool = list(range(index)) if acyclic else list(range(n))
        prereqs = draw(st.lists(st.sampled_from(pool), max_size=4)) if pool else []
        items.append(MapItem(index, lane, tuple(prereqs)))
    # Shuffle so that input order is not a topological order.
    return draw(st.permutations(items))


@settings(max_examples=60, deadline=None)
@given(items=random_graphs(), wide=st.booleans())
def test_random_dags_point_every_arrow_forward_without_overlaps(items, wide):
    metrics = WIDE if wide else NARROW
    result = layout(items, metrics)
    assert not any(edge.cyclic for edge in result.edges)
    _assert_sound(items, result, metrics)
    assert layout(items, metrics) == result
    with_sweeps = count_crossings(result)
    original, roadmap_map.SWEEPS = roadmap_map.SWEEPS, 0
    try:
        assert with_sweeps <= count_crossings(layout(items, metrics))
    finally:
        roadmap_map.SWEEPS = original


@settings(max_examples=60, deadline=None)
@given(items=random_graphs(acyclic=False))
def test_random_graphs_with_cycles_still_lay_out(items):
    result = layout(items)
    _assert_sound(items, result, WIDE)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Python", ["Python"]),
        ("Parameter-Efficient Fine-Tuning (PEFT, LoRA)",
         ["Parameter-Efficient", "Fine-Tuning (PEFT,", "LoRA)"]),
        ("Retrieval-Augmented Generation", ["Retrieval-Augmented", "Generation"]),
        ("Inference-Optimized LLM Deployment", ["Inference-", "Optimized LLM", "Deployment"]),
        ("a" * 25, ["a" * 20, "aaaaa"]),
        ("one two three four five six seven eight nine ten eleven twelve thirteen",
         ["one two three four", "five six seven eight", "nine ten eleven…"]),
    ],
)  # fmt: skip
def test_titles_wrap_at_spaces_and_end_in_an_ellipsis_when_cut(title, expected):
    assert wrap_title(title, 20 if "Inference" not in title else 17, 3) == expected
