"""Load the trained line labeller once per process and label an issue's lines with it.

The model is a linear-chain CRF trained with crfsuite (`flows.labeller.train`) and shipped as
its weights in JSON (`data/split_model.json`): a weight per (feature, label) and per pair of
neighbouring labels. Labelling is decoding under constraints, in NumPy: a line's label must fit
what the rules already know of it (a credit line is a credit, a page header furniture, a line
that is no dateline never the dateline), the best sequence is found by Viterbi, and each
line's marginal probabilities (forward-backward) give the splitter's confidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from flows.labeller import roles
from flows.labeller.features import OFFSETS, IssueTokens, issue_tokens
from flows.settings import DATA_DIR
from flows.text.layout import Kind, Layout, LineInfo
from flows.text.patterns import CJK_CHAR

MODEL_PATH = DATA_DIR / "split_model.json"
_ROW_CACHE_SIZE = 1 << 16  # distinct feature rows whose weights are kept summed
_CLAUSE_ENDS = "。；;，,、"
SURE = 0.999  # a line labelled with at least this probability is fixed before Viterbi runs

_HEADING_AND_TEXT = frozenset({*roles.HEADING, roles.PARAGRAPH, roles.SUBHEAD})
# The labels a line may take, by what the rules read in it (flows.text.layout.Kind).
ALLOWED: dict[Kind, frozenset[str]] = {
    Kind.TEXT: _HEADING_AND_TEXT | {roles.FURNITURE},
    Kind.BYLINE: _HEADING_AND_TEXT | {roles.BYLINE, roles.CREDIT},  # `记者 唐克 摄` is a photo credit
    Kind.DATELINE: frozenset({roles.DATELINE, roles.PARAGRAPH}),
    Kind.END_BRACKET: frozenset({roles.CLOSING}),
    Kind.CREDIT: frozenset({roles.CREDIT}),
    Kind.FURNITURE: frozenset({roles.FURNITURE}),
}


@dataclass(frozen=True)
class Labelled:
    """Every line's label, and how sure the model is of it.

    `begins` is each line's probability of beginning an article; `sure` its label's probability.
    """

    labels: list[str]
    begins: list[float]
    sure: list[float]


@dataclass(frozen=True)
class Weights:
    """A CRF's weights as arrays, by feature token and by the offset of the line that has it.

    `state[0]` weighs a line's own features; `state[d]` (d in OFFSETS) weighs the shared
    features of the line d away (the attribute `d:token`); a last row of zeros stands for a
    token the model does not know. `edge[d]` weighs a line with no line d away.
    """

    labels: tuple[str, ...]
    tokens: dict[str, int]
    state: dict[int, np.ndarray]  # offset → (tokens + 1, labels)
    edge: dict[int, np.ndarray]  # offset → (labels,)
    transitions: np.ndarray  # (labels, labels): from row to column
    card: dict[str, Any]
    row_cache: dict[tuple[tuple[int, ...], tuple[str, ...]], np.ndarray] = field(default_factory=dict)


def weights_from_crfsuite(crfsuite_model: Path) -> dict[str, Any]:
    """Read a crfsuite model's weights into the JSON document the labeller ships."""
    import pycrfsuite  # the trainer's format: only training reads it

    tagger = pycrfsuite.Tagger()
    tagger.open(str(crfsuite_model))
    info = tagger.info()
    labels = [label for label in roles.LABELS if label in info.labels]
    state: dict[str, dict[str, float]] = {}
    for (feature, label), weight in sorted(info.state_features.items()):
        state.setdefault(feature, {})[label] = round(weight, 5)
    transitions = {f"{a} {b}": round(w, 5) for (a, b), w in sorted(info.transitions.items())}
    return {"labels": labels, "transitions": transitions, "state": state}


def write_weights(document: dict[str, Any], path: Path) -> None:
    """Write the labeller's weights and card as compact, stable JSON."""
    path.write_text(json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")), "utf-8")


@cache
def load_weights(path: Path = MODEL_PATH) -> Weights:
    """Load a shipped model (once per process and path)."""
    if not path.exists():
        raise FileNotFoundError(f"the splitter's model {path} is missing: rebuild it with `make model`")
    document = json.loads(path.read_text(encoding="utf-8"))
    labels = tuple(document["labels"])
    column = {label: k for k, label in enumerate(labels)}
    placed = [_offset_and_token(attribute) for attribute in document["state"]]
    tokens = {token: k for k, token in enumerate(dict.fromkeys(token for _, token in placed))}
    state = {offset: np.zeros((len(tokens) + 1, len(labels))) for offset in (0, *OFFSETS)}
    edge = {offset: np.zeros(len(labels)) for offset in OFFSETS}
    for (offset, token), row in zip(placed, document["state"].values(), strict=True):
        for label, weight in row.items():
            if offset and token == "none":
                edge[offset][column[label]] += weight
            else:
                state[offset][tokens[token], column[label]] = weight
    transitions = np.zeros((len(labels), len(labels)))
    for pair, weight in document["transitions"].items():
        a, b = pair.split(" ")
        transitions[column[a], column[b]] = weight
    return Weights(labels, tokens, state, edge, transitions, document.get("card", {}))


def _offset_and_token(attribute: str) -> tuple[int, str]:
    """Split `-1:k=byline` into (-1, `k=byline`); a line's own attribute has offset 0."""
    head, sep, tail = attribute.partition(":")
    if sep and head.lstrip("-").isdigit() and int(head) in OFFSETS:
        return int(head), tail
    return 0, attribute


def model_card(path: Path = MODEL_PATH) -> dict[str, Any]:
    """Return what the model was trained on (source, months, renderer settings, seed)."""
    return load_weights(path).card


def _row_weights(weights: Weights, rows: list[tuple[str, ...]], offsets: tuple[int, ...]) -> np.ndarray:
    """Sum each row's token weights, for each offset: (offsets, rows, labels).

    Each distinct row is summed once per process: issues repeat the same few dozen shapes.
    """
    unknown = len(weights.tokens)
    cache = weights.row_cache
    lookup = weights.tokens.get
    out = np.empty((len(offsets), len(rows), len(weights.labels)))
    for r, row in enumerate(rows):
        key = (offsets, row)
        vectors = cache.get(key)
        if vectors is None:
            ids = [lookup(token, unknown) for token in row]
            vectors = np.stack([weights.state[offset][ids].sum(axis=0) for offset in offsets])
            if len(cache) < _ROW_CACHE_SIZE:
                cache[key] = vectors
        out[:, r] = vectors
    return out


def _emissions(weights: Weights, tokens: IssueTokens) -> np.ndarray:
    """Sum the weights of every line's features and of its neighbours' shapes: label scores a line."""
    n = len(tokens.shared)
    unique_shared, shared_index = _distinct(tokens.shared)
    shared = _row_weights(weights, unique_shared, (0, *OFFSETS))[:, shared_index]
    scores: np.ndarray = shared[0]
    for rows in (tokens.text, tokens.context):
        unique, index = _distinct(rows)
        scores += _row_weights(weights, unique, (0,))[0, index]
    for k, offset in enumerate(OFFSETS, start=1):
        if offset > 0:  # line i sees line i + offset
            scores[: n - offset] += shared[k, offset:]
            scores[max(0, n - offset) :] += weights.edge[offset]
        else:
            scores[-offset:] += shared[k, : n + offset]
            scores[: min(n, -offset)] += weights.edge[offset]
    return scores


def _distinct(rows: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], np.ndarray]:
    """Return the distinct rows and, for every row, the index of its distinct one."""
    index: dict[tuple[str, ...], int] = {}
    found = (index.setdefault(row, len(index)) for row in rows)
    positions = np.fromiter(found, dtype=np.intp, count=len(rows))
    return list(index), positions


def _allowed(weights: Weights, infos: list[LineInfo]) -> np.ndarray:
    """Return which labels each line may take: by its kind; a section name under a page header is
    furniture, a line with no Chinese character no heading, a finished sentence no title."""
    kinds = list(ALLOWED)
    by_kind = np.array([[label in ALLOWED[kind] for label in weights.labels] for kind in kinds])
    column = {kind: k for k, kind in enumerate(kinds)}
    allowed: np.ndarray = by_kind[np.fromiter((column[f.kind] for f in infos), np.intp, len(infos))]
    furniture = np.array([label == roles.FURNITURE for label in weights.labels])
    not_heading = np.array([label not in roles.HEADING for label in weights.labels])
    # A title never ends a sentence or a clause; a kicker may end with a colon (`国台办：`).
    not_title = np.array([roles.field_of(label) not in ("kicker", "headline") for label in weights.labels])
    not_headline = np.array([roles.field_of(label) != "headline" for label in weights.labels])
    rule = np.fromiter((_rule(infos, i) for i in range(len(infos))), np.intp, len(infos))
    allowed[rule == _UNDER_HEADER] = furniture
    allowed[rule == _NO_CJK] &= not_heading
    allowed[rule == _CLAUSE_END] &= not_title
    allowed[rule == _COLON_END] &= not_headline
    # A model that never saw a kind's label (a small one trained on few issues) lets the line
    # take any label rather than none.
    allowed[~allowed.any(axis=1)] = True
    return allowed


_UNDER_HEADER, _NO_CJK, _CLAUSE_END, _COLON_END = 1, 2, 3, 4


def _rule(infos: list[LineInfo], i: int) -> int:
    """Name the one rule of `_allowed` that narrows line i's labels (0: none)."""
    f = infos[i]
    if i and f.section and infos[i - 1].kind == Kind.FURNITURE:  # `要闻` under `第1版`
        return _UNDER_HEADER
    if not CJK_CHAR.search(f.text):  # a heading has a Chinese character
        return _NO_CJK
    if f.text[-1] in _CLAUSE_ENDS:
        return _CLAUSE_END
    return _COLON_END if f.text[-1] in "：:" else 0


def _marginals(scores: np.ndarray, transitions: np.ndarray, chunk: int = 32) -> np.ndarray:
    """Return each line's label probabilities by forward-backward, a chunk of lines at a time.

    Each step multiplies by the matrix of moving into a line (transition times emission). The
    steps are cut into chunks whose products are taken side by side (NumPy over chunks), the
    chunk products carry the forward and backward vectors from chunk to chunk, and the
    vectors inside every chunk are then filled in side by side: about 3 × 32 vectorised
    steps for an issue of a thousand lines instead of two thousand small ones. Every vector
    and product is rescaled as it goes; a line's marginals are normalised at the end.
    """
    n, size = scores.shape
    emit = np.exp(scores - scores.max(axis=1, keepdims=True))  # exp(-inf) = 0: not allowed
    if n == 1:
        marginal: np.ndarray = emit / emit.sum(axis=1, keepdims=True)
        return marginal
    steps = n - 1
    chunks = -(-steps // chunk)
    mats = np.empty((chunks * chunk, size, size))
    mats[:steps] = np.exp(transitions)[None] * emit[1:, None, :]  # into line t + 1
    mats[steps:] = np.eye(size)  # padding that changes nothing
    mats /= mats.max(axis=(1, 2), keepdims=True)
    mats = mats.reshape(chunks, chunk, size, size)
    product = mats[:, 0].copy()
    for i in range(1, chunk):
        product = product @ mats[:, i]
        product /= product.max(axis=(1, 2), keepdims=True)
    start_alpha = np.empty((chunks + 1, size))  # forward vector at each chunk's first line
    start_alpha[0] = emit[0] / emit[0].sum()
    for k in range(chunks):
        vector = start_alpha[k] @ product[k]
        start_alpha[k + 1] = vector / vector.sum()
    start_beta = np.empty((chunks + 1, size))  # backward vector at each chunk's first line
    start_beta[chunks] = 1.0 / size
    for k in range(chunks - 1, -1, -1):
        vector = product[k] @ start_beta[k + 1]
        start_beta[k] = vector / vector.sum()
    alpha = np.empty((chunks * chunk + 1, size))
    beta = np.empty((chunks * chunk + 1, size))
    alpha[0], beta[chunks * chunk] = start_alpha[0], start_beta[chunks]
    forward, backward = start_alpha[:chunks], start_beta[1:]
    for i in range(chunk):
        forward = np.einsum("kl,klm->km", forward, mats[:, i])
        forward /= forward.sum(axis=1, keepdims=True)
        alpha[1 + i :: chunk][:chunks] = forward  # line k * chunk + i + 1
    for i in range(chunk - 1, -1, -1):
        backward = np.einsum("klm,km->kl", mats[:, i], backward)
        backward /= backward.sum(axis=1, keepdims=True)
        beta[i::chunk][:chunks] = backward  # line k * chunk + i
    joint = alpha[:n] * beta[:n]
    marginals: np.ndarray = joint / joint.sum(axis=1, keepdims=True)
    return marginals


def _viterbi(scores: np.ndarray, transitions: np.ndarray, marginals: np.ndarray) -> list[int]:
    """Return the best label sequence (scores are -inf where a label is not allowed).

    Lines whose best label has a marginal probability of at least SURE (most of an issue's
    paragraphs) are taken as fixed; Viterbi runs over the stretches of lines between them,
    from the fixed label before a stretch to the one after it.
    """
    n = len(scores)
    path = marginals.argmax(axis=1)
    doubtful = marginals.max(axis=1) < SURE
    t = 0
    while t < n:
        if not doubtful[t]:
            t += 1
            continue
        first = t
        while t < n and doubtful[t]:
            t += 1
        best = scores[first] + (transitions[path[first - 1]] if first else 0.0)
        back = np.empty((t - first, scores.shape[1]), dtype=np.intp)
        for u in range(first + 1, t):
            candidates = best[:, None] + transitions
            back[u - first] = candidates.argmax(axis=0)
            best = candidates.max(axis=0) + scores[u]
        if t < n:
            best = best + transitions[:, path[t]]
        label = int(best.argmax())
        for u in range(t - 1, first - 1, -1):
            path[u] = label
            label = int(back[u - first, label])
    labels: list[int] = path.tolist()
    return labels


def label_issue(infos: list[LineInfo], layout: Layout, path: Path = MODEL_PATH) -> Labelled:
    """Label every line of an issue with the shipped model, within what the rules allow."""
    if not infos:
        return Labelled([], [], [])
    weights = load_weights(path)
    scores = _emissions(weights, issue_tokens(infos, layout))
    scores[~_allowed(weights, infos)] = -np.inf
    marginals = _marginals(scores, weights.transitions)
    path_ids = _viterbi(scores, weights.transitions, marginals)
    begin_columns = [k for k, label in enumerate(weights.labels) if label in roles.BEGINS]
    begins = marginals[:, begin_columns].sum(axis=1)
    sure = marginals[np.arange(len(path_ids)), path_ids]
    return Labelled(
        labels=[weights.labels[k] for k in path_ids],
        begins=begins.tolist(),
        sure=sure.tolist(),
    )
