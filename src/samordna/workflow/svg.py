"""A workflow's state diagram as server-side SVG: a small layered layout in pure Python, no JavaScript.

The drawing follows the Sugiyama recipe in miniature:

1. layers: the longest path from the initial state, back-edges (those that close a cycle) reversed;
   final states without a way out go to the bottom layer;
2. ranks: layer L is drawn on rank 2L and the gaps between layers are ranks of their own, where edge
   labels sit; an edge gets a point on every rank it passes, so long edges and back-edges run in
   lanes of their own beside the boxes instead of through them;
3. order within each rank: barycentre sweeps, keeping the order with the fewest crossings;
4. x: alternating sweeps that pull every item towards its neighbours (least squares under the
   minimum spacing, solved exactly by pool-adjacent-violators);
5. drawing: boxes, paths with vertical tangents at every point (gentle S-curves), labels on white,
   self-loops as small loops on the right with the label beside them.

Same workflow and language in, same bytes out. Every text is escaped; nothing uses `style=`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from samordna.workflow.definition import Workflow

START = "[*]"  # the start dot; no state can have this name (names are identifiers)

FONT = 14  # px, state labels
EDGE_FONT = 13  # px, edge labels
CHAR_WIDTH = 7.2  # px per character at 14 px: a deliberately generous estimate for Arial-like fonts
STATE_WRAP = 20  # characters before a state label is wrapped over two lines
EDGE_WRAP = 18  # characters before an edge label is wrapped over two lines
STATE_LINE = 18
EDGE_LINE = 16
STATE_PAD_X, STATE_PAD_Y, STATE_MIN_WIDTH = 16, 10, 120
LABEL_PAD_X, LABEL_PAD_Y = 6, 3
LABEL_MARGIN = 14  # free space above and below the labels of a gap
GAP_MIN = 28  # height of a gap without labels
GAP_MAX = 110  # a gap grows up to this height ...
BEND = 0.4  # ... to be at least this times the widest sideways step of an edge through it
START_RADIUS = 7
LOOP_OUT = 30  # how far a self-loop reaches right of its box
LOOP_LABEL_GAP = 4  # between the stacked labels of one box's self-loops
MARGIN = 16
RESTARTS = 24  # orderings tried when the first one has crossings ...
ORDER_BUDGET = 2400  # ... fewer for big diagrams: about this many items placed in all attempts together
SPACING = {  # horizontal space between neighbours in a rank, by their kinds
    ("state", "state"): 36,
    ("label", "label"): 24,
    ("via", "via"): 14,
}
SPACING_OTHER = 22

COLOURS = {
    "background": "#ffffff",
    "ink": "#1c2430",  # 15.6:1 on white, 14:1 on the state fill
    "edge": "#4a5565",  # 7.4:1 on white
    "state_fill": "#e6eff8",
    "state_stroke": "#0b4f8a",
    "final_fill": "#f3f5f8",
}
FONT_FAMILY = "Arial, 'Liberation Sans', 'Helvetica Neue', Helvetica, sans-serif"

PHRASES = {
    "nb": {
        "title": "Tilstandsdiagram: {name}",
        "start": "Starttilstand",
        "finals": "Sluttilstander",
        "transitions": "Overganger",
        "from": "fra",
        "to": "til",
        "quote": "«{}»",
    },
    "nn": {
        "title": "Tilstandsdiagram: {name}",
        "start": "Starttilstand",
        "finals": "Sluttilstandar",
        "transitions": "Overgangar",
        "from": "frå",
        "to": "til",
        "quote": "«{}»",
    },
    "en": {
        "title": "State diagram: {name}",
        "start": "Initial state",
        "finals": "Final states",
        "transitions": "Transitions",
        "from": "from",
        "to": "to",
        "quote": "“{}”",
    },
}


# ------------------------------------------------------------------------------------- text


def clean(text: str) -> str:
    """One line of text XML can hold: whitespace runs become one space, control characters go."""
    text = " ".join(text.split())
    return "".join(ch for ch in text if ch >= " " and ch not in "\x7f\ufffe\uffff")


def wrap(text: str, limit: int) -> tuple[str, ...]:
    """`text` on one line, or on two split at the space nearest the middle (rather after a dash or a
    colon) when it is longer than `limit`."""
    text = clean(text)
    if len(text) <= limit:
        return (text,)
    spaces = [i for i, ch in enumerate(text) if ch == " " and text[i + 1] not in "–—-"]
    if not spaces:
        return (text,)
    cut = min(spaces, key=lambda i: (abs(2 * i - len(text)) - (6 if text[i - 1] in "–—-:" else 0), i))
    return (text[:cut], text[cut + 1 :])


def text_width(lines: tuple[str, ...], size: float) -> float:
    return max((len(line) for line in lines), default=0) * CHAR_WIDTH * size / FONT


def num(value: float) -> str:
    """A coordinate, rounded to a tenth and without a needless '.0'."""
    text = f"{value:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def attr(value: str) -> str:
    return escape(value, quote=True)


# ------------------------------------------------------------------------------------- layout


@dataclass(eq=False)
class Item:
    """Something that takes a place in a rank: a state's box, the start dot or a point of an edge."""

    kind: str  # "state" | "start" | "via" | "label"
    rank: int
    left: float  # extent left of x
    right: float  # extent right of x (a box with a self-loop reaches further right)
    height: float
    name: str = ""  # the state's name
    lines: tuple[str, ...] = ()
    tall: float = 0.0  # the height it needs in its rank: more than its box when self-loop labels stack up
    x: float = 0.0
    up: list[Item] = field(default_factory=list)  # neighbours on the rank above
    down: list[Item] = field(default_factory=list)  # neighbours on the rank below

    @property
    def dummy(self) -> bool:
        return self.kind in ("via", "label")

    @property
    def half_width(self) -> float:
        """Half the drawn box (or dot) width; the self-loop's reach is not part of it."""
        return self.left


@dataclass(eq=False)
class Edge:
    """One arrow: `chain` runs from the upper item to the lower one; `upward` when it points up."""

    chain: list[Item]
    upward: bool
    lines: tuple[str, ...]
    ports: tuple[float, float] = (0.0, 0.0)  # x where it leaves the upper box and meets the lower one
    points: list[tuple[float, float]] = field(default_factory=list)


@dataclass
class Layout:
    width: float
    height: float
    ranks: list[list[Item]]
    tops: list[float]  # y of each rank's top
    heights: list[float]
    states: dict[str, Item]
    edges: list[Edge]
    loops: dict[str, list[tuple[str, ...]]]  # state -> the label lines of its self-loops


def _layers(workflow: Workflow, lang: str) -> tuple[dict[str, int], list[tuple[str, str, tuple[str, ...]]]]:
    """Layer of every node (START included) and the edges as (source, dest, label lines)."""
    edges: list[tuple[str, str, tuple[str, ...]]] = [(START, workflow.initial, ())]
    for t in workflow.transitions:
        for source in t.sources:
            edges.append((source, t.dest, wrap(t.label.get(lang), EDGE_WRAP)))
    nodes = [START, *workflow.states]
    leaving: dict[str, list[str]] = {n: [] for n in nodes}
    for source, dest, _lines in edges:
        if source != dest and dest not in leaving[source]:
            leaving[source].append(dest)

    # Depth-first from the start: an edge to a node still on the stack closes a cycle (a back-edge).
    status: dict[str, int] = {}
    back: set[tuple[str, str]] = set()

    def visit(node: str) -> None:
        status[node] = 1
        for nxt in leaving[node]:
            if status.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in status:
                visit(nxt)
        status[node] = 2

    for node in nodes:
        if node not in status:
            visit(node)

    # Longest path over the graph with back-edges reversed, in topological order.
    before: dict[str, list[str]] = {n: [] for n in nodes}
    for source, dests in leaving.items():
        for dest in dests:
            if (source, dest) in back:
                before[source].append(dest)
            else:
                before[dest].append(source)
    layer: dict[str, int] = {}
    for node in _topological(nodes, before):
        layer[node] = max((layer[p] + 1 for p in before[node]), default=0)

    ends = [n for n in workflow.states if workflow.states[n].final and not leaving[n]]
    others = [layer[n] for n in nodes if n not in ends]
    bottom = max(others, default=0) + 1
    for name in ends:
        layer[name] = bottom
    return layer, edges


def _topological(nodes: list[str], before: dict[str, list[str]]) -> list[str]:
    """Kahn's algorithm; ties in the order of `nodes`, so the result is deterministic."""
    waiting = {n: len(set(before[n])) for n in nodes}
    after: dict[str, list[str]] = {n: [] for n in nodes}
    for node in nodes:
        for prev in dict.fromkeys(before[node]):
            after[prev].append(node)
    ready = [n for n in nodes if waiting[n] == 0]
    out: list[str] = []
    while ready:
        node = ready.pop(0)
        out.append(node)
        for nxt in after[node]:
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    return out


def layout(workflow: Workflow, lang: str = "nb") -> Layout:
    """Positions for every box, label and edge point of the diagram."""
    layer, edges = _layers(workflow, lang)
    nranks = 2 * max(layer.values()) + 1
    ranks: list[list[Item]] = [[] for _ in range(nranks)]

    loops: dict[str, list[tuple[str, ...]]] = {}
    for source, dest, lines in edges:
        if source == dest:
            loops.setdefault(source, []).append(lines)

    states: dict[str, Item] = {}
    start = Item("start", 2 * layer[START], START_RADIUS, START_RADIUS, 2 * START_RADIUS, name=START)
    ranks[start.rank].append(start)
    states[START] = start
    for name in _discovery_order(workflow, edges):
        state = workflow.states[name]
        lines = wrap(state.label.get(lang), STATE_WRAP)
        half = max(STATE_MIN_WIDTH, text_width(lines, FONT) + 2 * STATE_PAD_X) / 2
        height = len(lines) * STATE_LINE + 2 * STATE_PAD_Y
        item = Item("state", 2 * layer[name], half, half, height, name, lines, tall=height)
        if name in loops:  # the loop and its stacked labels take room right of the box
            labels = loops[name]
            item.right += LOOP_OUT + 8 + max(text_width(ls, EDGE_FONT) for ls in labels) + 2 * LABEL_PAD_X
            item.tall = max(height, _stack_height(labels))
        ranks[item.rank].append(item)
        states[name] = item

    chains: list[Edge] = []
    for source, dest, lines in edges:
        if source == dest:
            continue
        upward = layer[dest] < layer[source]
        top, bottom = (states[dest], states[source]) if upward else (states[source], states[dest])
        label_rank = bottom.rank - 1 if upward else top.rank + 1
        chain = [top]
        for rank in range(top.rank + 1, bottom.rank):
            if rank == label_rank and lines:
                half = (text_width(lines, EDGE_FONT) + 2 * LABEL_PAD_X) / 2
                height = len(lines) * EDGE_LINE + 2 * LABEL_PAD_Y
                item = Item("label", rank, half, half, height, lines=lines)
            else:
                item = Item("via", rank, 3, 3, 0)
            ranks[rank].append(item)
            chain.append(item)
        chain.append(bottom)
        for upper, lower in zip(chain, chain[1:], strict=False):
            upper.down.append(lower)
            lower.up.append(upper)
        chains.append(Edge(chain, upward, lines))

    _order(ranks)
    _place(ranks)
    _straighten(ranks, chains)

    lowest = min(i.x - i.left for items in ranks for i in items)
    for items in ranks:
        for i in items:
            i.x += MARGIN - lowest
    width = max(i.x + i.right for items in ranks for i in items) + MARGIN

    for edge in chains:
        edge.ports = (_port(edge.chain[0], edge, chains, below=True), _port(edge.chain[-1], edge, chains, below=False))
    heights = _heights(ranks, chains)
    tops: list[float] = []
    y = MARGIN
    for h in heights:
        tops.append(y)
        y += h
    height = y + MARGIN

    for edge in chains:
        edge.points = _points(edge, tops, heights)
    return Layout(width, height, ranks, tops, heights, states, chains, loops)


def _discovery_order(workflow: Workflow, edges: list[tuple[str, str, tuple[str, ...]]]) -> list[str]:
    """States depth-first from the initial one (then any left over): a good first order in each rank."""
    seen: dict[str, None] = {}
    todo = [workflow.initial]
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen[node] = None
        todo.extend(reversed([d for s, d, _ in edges if s == node and d not in seen]))
    for name in workflow.states:
        seen.setdefault(name, None)
    return list(seen)


def _crossings(ranks: list[list[Item]]) -> int:
    total = 0
    for upper, lower in zip(ranks, ranks[1:], strict=False):
        pos = {id(i): n for n, i in enumerate(lower)}
        segs = [(a, pos[id(b)]) for a, item in enumerate(upper) for b in item.down]
        for n, (a1, b1) in enumerate(segs):
            for a2, b2 in segs[n + 1 :]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def _order(ranks: list[list[Item]]) -> None:
    """The fewest crossings found from the first order and a few shuffled ones (seeded: deterministic)."""
    shuffler = random.Random(1)
    start = [list(items) for items in ranks]
    best, best_crossings = start, _crossings(start)
    size = sum(len(items) for items in ranks)
    for attempt in range(max(4, min(RESTARTS, ORDER_BUDGET // max(size, 1)))):
        if best_crossings == 0:
            break
        trial = [list(items) for items in start]
        if attempt:
            for items in trial:
                shuffler.shuffle(items)
        crossings = _sweep(trial)
        if crossings < best_crossings:
            best, best_crossings = trial, crossings
    ranks[:] = best


def _sweep(ranks: list[list[Item]]) -> int:
    """Barycentre sweeps down and up with transposition; leaves the best order seen, returns its crossings."""
    best = [list(items) for items in ranks]
    best_crossings = _crossings(ranks)
    for sweep in range(16):
        down = sweep % 2 == 0
        order = range(1, len(ranks)) if down else range(len(ranks) - 2, -1, -1)
        for rank in order:
            ref = {id(i): n for n, i in enumerate(ranks[rank - 1 if down else rank + 1])}

            def key(pair: tuple[int, Item], ref: dict[int, int] = ref, down: bool = down) -> tuple[float, int]:
                n, item = pair
                nbrs = item.up if down else item.down
                if not nbrs:
                    return (float(n), n)
                return (sum(ref[id(x)] for x in nbrs) / len(nbrs), n)

            ranks[rank] = [item for _, item in sorted(enumerate(ranks[rank]), key=key)]
        _transpose(ranks)
        crossings = _crossings(ranks)
        if crossings < best_crossings:
            best, best_crossings = [list(items) for items in ranks], crossings
    ranks[:] = best
    return best_crossings


def _transpose(ranks: list[list[Item]]) -> None:
    """Swap neighbours in a rank while that removes crossings with the ranks above and below."""
    pos = {id(item): n for items in ranks for n, item in enumerate(items)}

    def crossings(left: Item, right: Item) -> int:
        """Crossings between the edges of `left` and `right` when `left` stands left of `right`."""
        count = 0
        for mine, theirs in ((left.up, right.up), (left.down, right.down)):
            for a in mine:
                count += sum(1 for b in theirs if pos[id(b)] < pos[id(a)])
        return count

    improved = True
    while improved:
        improved = False
        for items in ranks:
            for n in range(len(items) - 1):
                u, v = items[n], items[n + 1]
                if crossings(v, u) < crossings(u, v):
                    items[n], items[n + 1] = v, u
                    pos[id(u)], pos[id(v)] = n + 1, n
                    improved = True


def _spacing(a: Item, b: Item) -> float:
    return SPACING.get((a.kind, b.kind), SPACING_OTHER)


def _fit(items: list[Item], wanted: list[float], weights: list[float]) -> None:
    """Least-squares x for `items` in their order, at least their spacing apart (pool-adjacent-violators)."""
    offsets = [0.0]
    for a, b in zip(items, items[1:], strict=False):
        offsets.append(offsets[-1] + a.right + _spacing(a, b) + b.left)
    blocks: list[list[float]] = []  # [value, weight, count]
    for target, weight in zip((w - o for w, o in zip(wanted, offsets, strict=True)), weights, strict=True):
        blocks.append([target, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, c2 = blocks.pop()
            v1, w1, c1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    values = [value for value, _w, count in blocks for _ in range(int(count))]
    for item, value, offset in zip(items, values, offsets, strict=True):
        item.x = value + offset


def _place(ranks: list[list[Item]]) -> None:
    """x of every item: packed, then pulled towards its neighbours, sweeping down, up and both ways."""
    for items in ranks:
        _fit(items, [0.0] * len(items), [1.0] * len(items))
    for sweep in range(24):
        direction = ("down", "up", "both")[sweep % 3]
        order = range(len(ranks)) if direction != "up" else range(len(ranks) - 1, -1, -1)
        for rank in order:
            items = ranks[rank]
            wanted, weights = [], []
            for item in items:
                nbrs = {"down": item.up, "up": item.down, "both": item.up + item.down}[direction]
                if nbrs:
                    wanted.append(sum(n.x for n in nbrs) / len(nbrs))
                    weights.append(len(nbrs) * (4.0 if item.dummy else 1.0))
                else:
                    wanted.append(item.x)
                    weights.append(0.05)
            _fit(items, wanted, weights)


def _straighten(ranks: list[list[Item]], chains: list[Edge]) -> None:
    """Put the inner points of each edge on one vertical line where their neighbours leave room."""
    where = {id(item): (rank, n) for rank, items in enumerate(ranks) for n, item in enumerate(items)}

    def room(item: Item) -> tuple[float, float]:
        rank, n = where[id(item)]
        items = ranks[rank]
        low, high = float("-inf"), float("inf")
        if n > 0:
            a = items[n - 1]
            low = a.x + a.right + _spacing(a, item) + item.left
        if n + 1 < len(items):
            b = items[n + 1]
            high = b.x - b.left - _spacing(item, b) - item.right
        return low, high

    def align(run: list[Item], low: float, high: float) -> None:
        xs = sorted(item.x for item in run)
        x = min(max(xs[len(xs) // 2], low), high)
        for item in run:
            item.x = x

    for _ in range(3):
        for edge in chains:
            run: list[Item] = []
            low, high = float("-inf"), float("inf")
            for item in edge.chain[1:-1]:  # the longest stretches that fit on one line, top down
                lo, hi = room(item)
                if max(low, lo) > min(high, hi):
                    if len(run) > 1:
                        align(run, low, high)
                    run, low, high = [], float("-inf"), float("inf")
                run.append(item)
                low, high = max(low, lo), min(high, hi)
            if len(run) > 1:
                align(run, low, high)


def _heights(ranks: list[list[Item]], chains: list[Edge]) -> list[float]:
    """Each rank's height: its tallest box, or for a gap its tallest label, and enough room that the
    edges crossing it sideways bend gently."""
    sideways = [0.0] * len(ranks)
    for edge in chains:
        xs = [edge.ports[0], *(item.x for item in edge.chain[1:-1]), edge.ports[1]]
        for n, item in enumerate(edge.chain[1:-1], start=1):
            if item.rank % 2:
                dx = max(abs(xs[n] - xs[n - 1]), abs(xs[n + 1] - xs[n]))
                sideways[item.rank] = max(sideways[item.rank], dx)
    heights: list[float] = []
    for rank, items in enumerate(ranks):
        if rank % 2 == 0:
            heights.append(max((max(i.height, i.tall) for i in items), default=0))
        else:
            labels = [i.height for i in items if i.kind == "label"]
            needed = max(labels) + 2 * LABEL_MARGIN if labels else GAP_MIN
            heights.append(max(needed, min(GAP_MAX, sideways[rank] * BEND)))
    return heights


def _points(edge: Edge, tops: list[float], heights: list[float]) -> list[tuple[float, float]]:
    """The points the edge's path runs through, from its source to its destination."""
    top, bottom = edge.chain[0], edge.chain[-1]
    points = [(edge.ports[0], _edge_y(top, tops, heights, below=True))]
    for item in edge.chain[1:-1]:
        y0, h = tops[item.rank], heights[item.rank]
        if item.rank % 2 == 0:  # passing a rank of boxes: straight down its lane
            points += [(item.x, y0), (item.x, y0 + h)]
        else:
            points.append((item.x, y0 + h / 2))
    points.append((edge.ports[1], _edge_y(bottom, tops, heights, below=False)))
    return list(reversed(points)) if edge.upward else points


def _edge_y(item: Item, tops: list[float], heights: list[float], *, below: bool) -> float:
    middle = tops[item.rank] + heights[item.rank] / 2
    return middle + item.height / 2 if below else middle - item.height / 2


def _port(node: Item, edge: Edge, chains: list[Edge], *, below: bool) -> float:
    """Where on the box's bottom (or top) edge this edge attaches: spread out, in the order they go."""
    mine = [e for e in chains if (e.chain[0] if below else e.chain[-1]) is node]
    mine.sort(key=lambda e: ((e.chain[1] if below else e.chain[-2]).x, chains.index(e)))
    if len(mine) == 1:
        return node.x
    step = min(26.0, (2 * node.half_width - 28) / (len(mine) - 1))
    return node.x + (mine.index(edge) - (len(mine) - 1) / 2) * step


# ------------------------------------------------------------------------------------- drawing


def _path(points: list[tuple[float, float]]) -> str:
    """Through every point with a vertical tangent: straight where x stays, an S-curve where it moves."""
    (x0, y0), rest = points[0], points[1:]
    parts = [f"M{num(x0)},{num(y0)}"]
    for x1, y1 in rest:
        if abs(x1 - x0) < 0.5:
            parts.append(f"L{num(x1)},{num(y1)}")
        else:
            ym = (y0 + y1) / 2
            parts.append(f"C{num(x0)},{num(ym)} {num(x1)},{num(ym)} {num(x1)},{num(y1)}")
        x0, y0 = x1, y1
    return " ".join(parts)


def _text(x: float, cy: float, lines: tuple[str, ...], size: int, line: int, fill: str = COLOURS["ink"]) -> str:
    """A <text> with one <tspan> per line, vertically centred on `cy`."""
    first = cy - (len(lines) - 1) * line / 2 + size * 0.35
    spans = "".join(
        f'<tspan x="{num(x)}" y="{num(first + n * line)}">{escape(text, quote=False)}</tspan>'
        for n, text in enumerate(lines)
    )
    return f'<text text-anchor="middle" font-size="{size}" fill="{fill}">{spans}</text>'


def _description(workflow: Workflow, lang: str) -> str:
    p = PHRASES.get(lang, PHRASES["nb"])
    states = workflow.states

    def name(state: str) -> str:
        return clean(states[state].label.get(lang))

    finals = [name(s) for s in states if states[s].final]
    parts = [f"{p['start']}: {name(workflow.initial)}."]
    if finals:
        parts.append(f"{p['finals']}: {', '.join(finals)}.")
    moves = []
    for t in workflow.transitions:
        sources = ", ".join(name(s) for s in t.sources)
        label = p["quote"].format(clean(t.label.get(lang)))
        moves.append(f"{label} {p['from']} {sources} {p['to']} {name(t.dest)}")
    parts.append(f"{p['transitions']}: {'; '.join(moves)}.")
    return " ".join(parts)


def svg(workflow: Workflow, lang: str = "nb") -> str:
    """The workflow's state diagram as an accessible, self-contained <svg> element, labels in `lang`."""
    return _svg(workflow, lang if lang in PHRASES else "nb")


@lru_cache(maxsize=32)
def _svg(workflow: Workflow, lang: str) -> str:
    lay = layout(workflow, lang)
    p = PHRASES[lang]
    title = p["title"].format(name=clean(workflow.label.get(lang)))
    w, h = num(lay.width), num(lay.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="workflow-diagram" role="img" '
        f'aria-labelledby="wf-title wf-desc" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        f'font-family="{attr(FONT_FAMILY)}">',
        f'<title id="wf-title">{escape(title, quote=False)}</title>',
        f'<desc id="wf-desc">{escape(_description(workflow, lang), quote=False)}</desc>',
        "<defs>"
        '<marker id="wf-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" '
        f'markerWidth="10" markerHeight="10" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{COLOURS["edge"]}"/>'
        "</marker></defs>",
        f'<rect width="{w}" height="{h}" fill="{COLOURS["background"]}"/>',
    ]

    out.append('<g class="edges" fill="none" stroke="{}" stroke-width="1.5">'.format(COLOURS["edge"]))
    for edge in lay.edges:
        out.append(f'<path d="{_path(edge.points)}" marker-end="url(#wf-arrow)"/>')
    out.append("</g>")

    out.append('<g class="states">')
    for name, item in lay.states.items():
        cy = lay.tops[item.rank] + lay.heights[item.rank] / 2
        if name == START:
            out.append(
                f'<circle class="start" cx="{num(item.x)}" cy="{num(cy)}" r="{START_RADIUS}" fill="{COLOURS["ink"]}"/>'
            )
            continue
        state = workflow.states[name]
        x0, y0, bw, bh = item.x - item.half_width, cy - item.height / 2, 2 * item.half_width, item.height
        fill = COLOURS["final_fill"] if state.final else COLOURS["state_fill"]
        stroke = COLOURS["ink"] if state.final else COLOURS["state_stroke"]
        width = "2.5" if name == workflow.initial else "1.5"
        out.append(f'<g class="state" data-state="{attr(name)}">')
        out.append(
            f'<rect x="{num(x0)}" y="{num(y0)}" width="{num(bw)}" height="{num(bh)}" rx="8" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>'
        )
        if state.final:
            out.append(
                f'<rect x="{num(x0 + 4)}" y="{num(y0 + 4)}" width="{num(bw - 8)}" height="{num(bh - 8)}" rx="5" '
                f'fill="none" stroke="{stroke}" stroke-width="1.5"/>'
            )
        out.append(_text(item.x, cy, item.lines, FONT, STATE_LINE))
        out.append("</g>")
        if name in lay.loops:
            out.extend(_loop(item, cy, lay.loops[name]))
    out.append("</g>")

    out.append('<g class="edge-labels">')
    for edge in lay.edges:
        for item in edge.chain:
            if item.kind == "label":
                cy = lay.tops[item.rank] + lay.heights[item.rank] / 2
                out.append(_label(item.x, cy, item.lines, item.left))
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _label(cx: float, cy: float, lines: tuple[str, ...], half: float) -> str:
    """An edge label: its text on a white patch that hides the line beneath."""
    height = len(lines) * EDGE_LINE + 2 * LABEL_PAD_Y
    return (
        f'<g class="edge-label"><rect x="{num(cx - half)}" y="{num(cy - height / 2)}" width="{num(2 * half)}" '
        f'height="{num(height)}" rx="3" fill="{COLOURS["background"]}"/>'
        + _text(cx, cy, lines, EDGE_FONT, EDGE_LINE, COLOURS["edge"])
        + "</g>"
    )


def _loop(item: Item, cy: float, labels: list[tuple[str, ...]]) -> list[str]:
    """A self-loop on the box's right side, its labels stacked beside it."""
    x = item.x + item.half_width
    d = (
        f"M{num(x)},{num(cy - 8)} C{num(x + LOOP_OUT * 1.3)},{num(cy - 30)} "
        f"{num(x + LOOP_OUT * 1.3)},{num(cy + 30)} {num(x)},{num(cy + 8)}"
    )
    out = [
        f'<path class="loop" d="{d}" fill="none" stroke="{COLOURS["edge"]}" stroke-width="1.5" '
        'marker-end="url(#wf-arrow)"/>'
    ]
    y = cy - _stack_height(labels) / 2
    for lines in labels:
        height = len(lines) * EDGE_LINE + 2 * LABEL_PAD_Y
        half = (text_width(lines, EDGE_FONT) + 2 * LABEL_PAD_X) / 2
        out.append(_label(x + LOOP_OUT + 8 + half, y + height / 2, lines, half))
        y += height + LOOP_LABEL_GAP
    return out


def _stack_height(labels: list[tuple[str, ...]]) -> float:
    """Height of a self-loop's labels stacked one above the other."""
    heights = [len(lines) * EDGE_LINE + 2 * LABEL_PAD_Y for lines in labels]
    return sum(heights) + LOOP_LABEL_GAP * (len(labels) - 1)
