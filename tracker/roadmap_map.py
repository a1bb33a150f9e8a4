"""The roadmap drawn as a map: a layered layout of items in lanes, with prerequisite arrows.

Pure: plain items in, coordinates out; no Django, so it is tested with hypothesis.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

# Ordering sweeps (down then up); a few suffice on graphs of this size, and the best one wins.
SWEEPS = 4


@dataclass(frozen=True)
class MapItem:
    """An item as the layout sees it: its lane (sorted ascending: prerequisites, levels,
    other sections) and the ids of its prerequisites (unknown ids are ignored)."""

    id: Hashable
    lane: int
    prerequisites: tuple[Hashable, ...] = ()


@dataclass(frozen=True)
class Metrics:
    columns: int = 5
    node_width: int = 200
    node_height: int = 76
    gap_x: int = 16
    gap_y: int = 30
    lane_header: int = 30
    lane_pad: int = 10
    margin: int = 16


WIDE = Metrics()
# Two columns of 160 px plus margins fit a 390 px phone inside the page's padding.
NARROW = Metrics(columns=2, node_width=156, node_height=84, gap_x=10, gap_y=30, margin=8)


@dataclass(frozen=True)
class Node:
    id: Hashable
    lane: int
    layer: int
    x: int
    y: int
    width: int
    height: int

    @property
    def center_x(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Lane:
    lane: int
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Edge:
    source: Hashable  # the prerequisite
    target: Hashable  # the item that needs it
    path: str  # SVG path data, from the source's bottom to the target's top
    # True for an edge dropped to break a cycle (content validation forbids them): the
    # only kind that may point backwards.
    cyclic: bool = False


@dataclass(frozen=True)
class MapLayout:
    width: int
    height: int
    nodes: tuple[Node, ...]
    lanes: tuple[Lane, ...]
    edges: tuple[Edge, ...]


def _edges(items: Sequence[MapItem]) -> list[tuple[Hashable, Hashable]]:
    known = {item.id for item in items}
    edges = []
    for item in items:
        for prereq in dict.fromkeys(item.prerequisites):
            if prereq in known:
                edges.append((prereq, item.id))
    return edges


def _cycle_edges(
    ids: Sequence[Hashable], edges: Iterable[tuple[Hashable, Hashable]]
) -> set[tuple[Hashable, Hashable]]:
    """Edges that close a cycle, found by a depth-first walk in input order (iterative, so a
    long chain cannot overflow the stack). Dropping them leaves a DAG."""
    out: dict[Hashable, list[Hashable]] = {node: [] for node in ids}
    for source, target in edges:
        out[source].append(target)
    state: dict[Hashable, int] = {}  # 1: on the stack, 2: done
    dropped: set[tuple[Hashable, Hashable]] = set()
    for root in ids:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(out[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                dropped.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(out[child])))
    return dropped


def _topological(
    ids: Sequence[Hashable], edges: Iterable[tuple[Hashable, Hashable]]
) -> list[Hashable]:
    """Kahn's algorithm, taking the earliest ready item in input order: stable."""
    index = {node: n for n, node in enumerate(ids)}
    out: dict[Hashable, list[Hashable]] = {node: [] for node in ids}
    indegree = dict.fromkeys(ids, 0)
    for source, target in edges:
        out[source].append(target)
        indegree[target] += 1
    ready = sorted((node for node in ids if indegree[node] == 0), key=index.__getitem__)
    order = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for target in out[node]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
                ready.sort(key=index.__getitem__)
    return order


def assign_layers(items: Sequence[MapItem]) -> tuple[dict, dict, set]:
    """(lane of each item, global layer of each item, cyclic edges).

    An item moves down to the lane of its latest prerequisite (an intermediate project
    that needs an advanced concept is drawn among the advanced items), so every arrow
    points forward: into a later lane, or a later layer of the same lane.
    """
    ids = [item.id for item in items]
    edges = _edges(items)
    cyclic = _cycle_edges(ids, edges)
    kept = [edge for edge in edges if edge not in cyclic]
    prereqs: dict[Hashable, list[Hashable]] = {node: [] for node in ids}
    for source, target in kept:
        prereqs[target].append(source)
    own_lane = {item.id: item.lane for item in items}
    order = _topological(ids, kept)
    lane: dict[Hashable, int] = {}
    depth: dict[Hashable, int] = {}
    for node in order:
        lane[node] = max([own_lane[node], *(lane[p] for p in prereqs[node])])
        same = [depth[p] + 1 for p in prereqs[node] if lane[p] == lane[node]]
        depth[node] = max(same, default=0)
    start, layer = 0, {}
    for lane_key in sorted(set(lane.values())):
        members = [node for node in order if lane[node] == lane_key]
        for node in members:
            layer[node] = start + depth[node]
        start += 1 + max(depth[node] for node in members)
    return lane, layer, cyclic


def _rows(layers: list[list[Hashable]], columns: int) -> list[list[Hashable]]:
    return [layer[n : n + columns] for layer in layers for n in range(0, len(layer), columns)]


def _place(
    layers: list[list[Hashable]], lane: dict, metrics: Metrics
) -> tuple[dict[Hashable, Node], list[Lane], int, int]:
    m = metrics
    slot = m.node_width + m.gap_x
    width = 2 * m.margin + m.columns * slot - m.gap_x
    nodes: dict[Hashable, Node] = {}
    lanes: list[Lane] = []
    y = m.margin
    current_lane = None
    lane_top = y
    for layer_no, layer in enumerate(layers):
        layer_lane = lane[layer[0]]
        if layer_lane != current_lane:
            if current_lane is not None:
                lanes.append(_lane(current_lane, lane_top, y, width, m))
                y += m.lane_pad
            current_lane, lane_top = layer_lane, y
            y += m.lane_header
        for row in _rows([layer], m.columns):
            left = (width - (len(row) * slot - m.gap_x)) // 2
            for n, node in enumerate(row):
                nodes[node] = Node(
                    id=node,
                    lane=layer_lane,
                    layer=layer_no,
                    x=left + n * slot,
                    y=y,
                    width=m.node_width,
                    height=m.node_height,
                )
            y += m.node_height + m.gap_y
    if current_lane is not None:
        lanes.append(_lane(current_lane, lane_top, y, width, m))
    height = y + m.margin
    return nodes, lanes, width, height


def _lane(key: int, top: int, bottom: int, width: int, m: Metrics) -> Lane:
    # The last row's gap stays inside the lane, as room for arrows leaving it.
    return Lane(
        lane=key,
        x=m.margin // 2,
        y=top - m.lane_pad // 2,
        width=width - m.margin,
        height=bottom - top - m.gap_y + m.lane_pad,
    )


def _segment(nodes: dict[Hashable, Node], source, target) -> tuple[float, float, float, float]:
    a, b = nodes[source], nodes[target]
    return a.center_x, a.y + a.height, b.center_x, b.y


def _cross(p, q) -> bool:
    """Do two segments cross at a point inside both (touching ends do not count)?"""
    (x1, y1, x2, y2), (x3, y3, x4, y4) = p, q
    denominator = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if denominator == 0:
        return False
    t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / denominator
    u = ((x1 - x3) * (y1 - y2) - (y1 - y3) * (x1 - x2)) / denominator
    eps = 1e-9
    return eps < t < 1 - eps and eps < u < 1 - eps


def count_crossings(layout: MapLayout) -> int:
    """Pairs of arrows that cross, each drawn as a straight line from bottom to top."""
    nodes = {node.id: node for node in layout.nodes}
    return _crossings(nodes, [(edge.source, edge.target) for edge in layout.edges])


def _crossings(nodes: dict[Hashable, Node], edges: list[tuple[Hashable, Hashable]]) -> int:
    segments = [_segment(nodes, source, target) for source, target in edges]
    return sum(1 for p, q in combinations(segments, 2) if _cross(p, q))


def _sweep(
    layers: list[list[Hashable]],
    neighbours: dict[Hashable, list[Hashable]],
    nodes: dict[Hashable, Node],
    downwards: bool,
) -> list[list[Hashable]]:
    """Reorder each layer by the mean x of its placed neighbours (the barycentre), the
    layers taken top to bottom (neighbours: prerequisites) or bottom to top (dependents)."""
    x = {node: nodes[node].center_x for node in nodes}
    result = [list(layer) for layer in layers]
    indices = range(len(result)) if downwards else range(len(result) - 1, -1, -1)
    for k in indices:
        keyed = []
        for position, node in enumerate(result[k]):
            near = neighbours[node]
            centre = sum(x[n] for n in near) / len(near) if near else x[node]
            keyed.append((centre, x[node], position, node))
        keyed.sort(key=lambda entry: entry[:3])
        result[k] = [entry[3] for entry in keyed]
        # Later layers see this layer's new order: spread it over the same x slots.
        slots = sorted(x[node] for node in result[k])
        for node, slot in zip(result[k], slots, strict=True):
            x[node] = slot
    return result


def _path(a: Node, b: Node) -> str:
    x1, y1, x2, y2 = a.center_x, a.y + a.height, b.center_x, b.y
    bend = max(12.0, min(60.0, abs(y2 - y1) / 2))
    return f"M{x1:g} {y1:g} C{x1:g} {y1 + bend:g} {x2:g} {y2 - bend:g} {x2:g} {y2:g}"


def layout(items: Sequence[MapItem], metrics: Metrics = WIDE) -> MapLayout:
    """Lay items out in lanes and layers, ordered within each layer to cross few arrows."""
    if not items:
        return MapLayout(width=0, height=0, nodes=(), lanes=(), edges=())
    lane, layer, cyclic = assign_layers(items)
    ids = [item.id for item in items]
    edges = _edges(items)
    kept = [edge for edge in edges if edge not in cyclic]
    prerequisites: dict[Hashable, list[Hashable]] = {node: [] for node in ids}
    dependents: dict[Hashable, list[Hashable]] = {node: [] for node in ids}
    for source, target in kept:
        prerequisites[target].append(source)
        dependents[source].append(target)

    layers: list[list[Hashable]] = [[] for _ in range(max(layer.values()) + 1)]
    for node in ids:  # input order first: the baseline the sweeps must beat
        layers[layer[node]].append(node)

    def placed(layers: list[list[Hashable]]) -> dict[Hashable, Node]:
        return _place(layers, lane, metrics)[0]

    best = current = layers
    best_crossings = _crossings(placed(best), kept)
    for n in range(2 * SWEEPS):
        if best_crossings == 0:
            break
        downwards = n % 2 == 0
        neighbours = prerequisites if downwards else dependents
        current = _sweep(current, neighbours, placed(current), downwards)
        crossings = _crossings(placed(current), kept)
        if crossings < best_crossings:
            best, best_crossings = current, crossings

    nodes, lanes, width, height = _place(best, lane, metrics)
    drawn = [
        Edge(source=s, target=t, path=_path(nodes[s], nodes[t]), cyclic=(s, t) in cyclic)
        for s, t in edges
    ]
    return MapLayout(
        width=width,
        height=height,
        nodes=tuple(nodes[node] for layer_nodes in best for node in layer_nodes),
        lanes=tuple(lanes),
        edges=tuple(drawn),
    )


def wrap_title(title: str, max_chars: int, max_lines: int) -> list[str]:
    """A title in lines of at most `max_chars`, broken at spaces or after a hyphen (a long
    word is cut), the last line ending in "…" when the title does not fit. SVG text does not
    wrap by itself."""
    # (text, joiner): a hyphenated word's later parts join the line without a space.
    tokens: list[tuple[str, str]] = []
    for word in title.split():
        parts = re.findall(r"[^-]+-*|-+", word)
        tokens.extend((part, " " if n == 0 else "") for n, part in enumerate(parts))
    lines: list[str] = []
    line = ""
    for token, joiner in tokens:
        while len(token) > max_chars:
            if line:
                lines.append(line)
                line = ""
            lines.append(token[:max_chars])
            token = token[max_chars:]
        if not line:
            line = token
        elif len(line) + len(joiner) + len(token) <= max_chars:
            line = f"{line}{joiner}{token}"
        else:
            lines.append(line)
            line = token
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        if len(last) >= max_chars:
            last = last[: max_chars - 1].rstrip()
        lines = [*lines[: max_lines - 1], f"{last}…"]
    return lines
