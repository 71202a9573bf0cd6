"""SCIM-style filter / search expressions as Okta accepts them.

One parser serves three dialects that differ only in what they allow:

* ``filter=`` on users/groups/apps: a short attribute allow-list, ``eq`` and
  the ordering operators, ``and``/``or``/parentheses, **no** ``not``/``ne``;
* ``search=`` on users/groups: any attribute, also ``sw``/``co``/``pr``;
* System Log ``filter=``: any event path (arrays such as ``target`` match when
  any element matches), ``eq,co,sw,pr,gt,ge,lt,le``.

Timestamp attributes are compared as instants, so ``gt`` and ``ge`` differ on
same-second values exactly like Okta.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .clock import parse_to_micros

ALL_OPS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "ew", "pr"})

# Attributes whose values are ISO instants.  Matched on the last path segment.
TIMESTAMP_ATTRS = frozenset(
    {
        "created",
        "activated",
        "statusChanged",
        "lastLogin",
        "lastUpdated",
        "passwordChanged",
        "lastMembershipUpdated",
        "published",
    }
)


class FilterError(ValueError):
    """Invalid expression; ``position`` is the 0-based offset of the offending token."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


@dataclass(frozen=True)
class Compare:
    attr: str
    op: str
    value: Any
    instant: int | None = None  # parsed micros when attr is a timestamp


@dataclass(frozen=True)
class Logical:
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


Node = Compare | Logical | Not


@dataclass(frozen=True)
class Dialect:
    """What a given endpoint's expression language permits."""

    name: str
    ops: frozenset[str]
    allow_not: bool = False
    # attr -> allowed ops for that attr; None means "any attribute, any op in ops"
    attrs: dict[str, frozenset[str]] | None = None
    forbidden_attrs: frozenset[str] = field(default_factory=frozenset)
    expected_ops_text: str = "eq,co,sw,pr,gt,ge,lt,le"


_CMP = frozenset({"eq", "gt", "ge", "lt", "le"})
_STR = _CMP | {"sw"}

USER_FILTER = Dialect(
    "user filter",
    ops=_STR,
    attrs={
        "status": _CMP,
        "lastUpdated": _CMP,
        "created": _CMP,
        "id": _CMP,
        "profile.login": _STR,
        "profile.email": _STR,
        "profile.firstName": _STR,
        "profile.lastName": _STR,
    },
)
GROUP_FILTER = Dialect(
    "group filter",
    ops=_CMP,
    attrs={
        "lastUpdated": _CMP,
        "lastMembershipUpdated": _CMP,
        "type": frozenset({"eq"}),
        "id": _CMP,
    },
)
APP_FILTER = Dialect(
    "app filter",
    ops=frozenset({"eq"}),
    attrs={"status": frozenset({"eq"}), "name": frozenset({"eq"}), "id": frozenset({"eq"})},
)
SEARCH = Dialect("search", ops=frozenset({"eq", "gt", "ge", "lt", "le", "sw", "co", "pr"}))
# /api/v1/devices?search=: every profile property plus id, status and lastUpdated;
# ``co`` only on the identifiers Okta names (displayName, serialNumber, imei, meid,
# udid, sid).  Profile strings compare case-insensitively.
_DEVICE_PROFILE = (
    "diskEncryptionType",
    "displayName",
    "imei",
    "integrityJailbreak",
    "managed",
    "manufacturer",
    "meid",
    "model",
    "osVersion",
    "platform",
    "registered",
    "secureHardwarePresent",
    "serialNumber",
    "sid",
    "tpmPublicKeyHash",
    "udid",
)
_DEVICE_CO = frozenset({"displayName", "serialNumber", "imei", "meid", "udid", "sid"})
DEVICE_SEARCH = Dialect(
    "device search",
    ops=_CMP | {"co", "sw"},
    attrs={
        "id": frozenset({"eq"}),
        "status": frozenset({"eq"}),
        "lastUpdated": _CMP,
        **{
            f"profile.{name}": (_CMP | {"co"}) if name in _DEVICE_CO else _CMP
            for name in _DEVICE_PROFILE
        },
    },
)
# /api/v1/zones?filter=: id, usage and system with eq.
ZONE_FILTER = Dialect(
    "zone filter",
    ops=frozenset({"eq"}),
    attrs={a: frozenset({"eq"}) for a in ("id", "usage", "system")},
)
# /api/v1/trustedOrigins?filter=: name, origin, status and type (of a scope).
TRUSTED_ORIGIN_FILTER = Dialect(
    "trusted origin filter",
    ops=frozenset({"eq", "sw"}),
    attrs={
        "name": frozenset({"eq", "sw"}),
        "origin": frozenset({"eq", "sw"}),
        "status": frozenset({"eq"}),
        "type": frozenset({"eq"}),
    },
)
LOG_FILTER = Dialect(
    "log filter",
    ops=frozenset({"eq", "co", "sw", "pr", "gt", "ge", "lt", "le"}),
    # published is a time bound, set with since/until, never a filter attribute.
    forbidden_attrs=frozenset({"published"}),
)


@dataclass
class _Tok:
    kind: str  # word | string | number | lparen | rparen
    text: str
    value: Any
    pos: int


def _tokenize(expr: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c.isspace():
            i += 1
        elif c == "(":
            toks.append(_Tok("lparen", c, None, i))
            i += 1
        elif c == ")":
            toks.append(_Tok("rparen", c, None, i))
            i += 1
        elif c == '"':
            start, i = i, i + 1
            buf: list[str] = []
            while True:
                if i >= n:
                    raise FilterError(f"Unterminated string at position {start}", start)
                ch = expr[i]
                if ch == "\\" and i + 1 < n:
                    buf.append(expr[i + 1])
                    i += 2
                elif ch == '"':
                    i += 1
                    break
                else:
                    buf.append(ch)
                    i += 1
            toks.append(_Tok("string", expr[start:i], "".join(buf), start))
        elif c == "-" or c.isdigit():
            start = i
            i += 1
            while i < n and (expr[i].isdigit() or expr[i] == "."):
                i += 1
            text = expr[start:i]
            try:
                num: int | float = float(text) if "." in text else int(text)
            except ValueError:
                raise FilterError(f"Invalid number '{text}' at position {start}", start) from None
            toks.append(_Tok("number", text, num, start))
        elif c.isalpha() or c in "_$":
            start = i
            while i < n and (expr[i].isalnum() or expr[i] in "_.$:-"):
                i += 1
            toks.append(_Tok("word", expr[start:i], None, start))
        else:
            raise FilterError(f"Unexpected character '{c}' at position {i}", i)
    return toks


class _Parser:
    def __init__(self, expr: str, dialect: Dialect) -> None:
        self.expr = expr
        self.d = dialect
        self.toks = _tokenize(expr)
        self.i = 0

    def _peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def _is_kw(self, tok: _Tok | None, kw: str) -> bool:
        return tok is not None and tok.kind == "word" and tok.text.lower() == kw

    def parse(self) -> Node:
        if not self.toks:
            raise FilterError("Empty expression", 0)
        node = self._or()
        tok = self._peek()
        if tok is not None:
            raise FilterError(f"Unexpected token '{tok.text}' at position {tok.pos}", tok.pos)
        return node

    def _or(self) -> Node:
        node = self._and()
        while self._is_kw(self._peek(), "or"):
            self.i += 1
            node = Logical("or", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._factor()
        while self._is_kw(self._peek(), "and"):
            self.i += 1
            node = Logical("and", node, self._factor())
        return node

    def _factor(self) -> Node:
        tok = self._peek()
        if tok is None:
            raise FilterError(
                f"Unexpected end of expression at position {len(self.expr)}", len(self.expr)
            )
        if tok.kind == "lparen":
            self.i += 1
            node = self._or()
            close = self._peek()
            if close is None or close.kind != "rparen":
                pos = close.pos if close else len(self.expr)
                raise FilterError(f"Expected ')' at position {pos}", pos)
            self.i += 1
            return node
        if self._is_kw(tok, "not"):
            if not self.d.allow_not:
                raise FilterError(
                    f"Unsupported logical operator 'not' at position {tok.pos}", tok.pos
                )
            self.i += 1
            return Not(self._factor())
        return self._comparison()

    def _comparison(self) -> Node:
        attr_tok = self._peek()
        assert attr_tok is not None
        if attr_tok.kind != "word" or attr_tok.text.lower() in ("and", "or"):
            raise FilterError(f"Expected an attribute at position {attr_tok.pos}", attr_tok.pos)
        self.i += 1
        attr = attr_tok.text
        op_tok = self._peek()
        if op_tok is None or op_tok.kind != "word":
            pos = op_tok.pos if op_tok else len(self.expr)
            raise FilterError(f"Expected an operator at position {pos}", pos)
        op = op_tok.text.lower()
        if op not in ALL_OPS:
            raise FilterError(
                f"Unrecognized attribute operator '{op_tok.text}' at position {op_tok.pos}. "
                f"Expected: {self.d.expected_ops_text}",
                op_tok.pos,
            )
        if op not in self.d.ops:
            raise FilterError(
                f"Unsupported operator '{op_tok.text}' at position {op_tok.pos} in {self.d.name}",
                op_tok.pos,
            )
        self.i += 1
        if attr in self.d.forbidden_attrs:
            raise FilterError(f"Attribute '{attr}' can not be filtered on", attr_tok.pos)
        if self.d.attrs is not None:
            allowed = self.d.attrs.get(attr)
            if allowed is None:
                raise FilterError(
                    f"Unsupported attribute '{attr}' at position {attr_tok.pos} in {self.d.name}",
                    attr_tok.pos,
                )
            if op not in allowed:
                raise FilterError(
                    f"Operator '{op}' is not supported for '{attr}' at position {op_tok.pos}",
                    op_tok.pos,
                )
        if op == "pr":
            return Compare(attr, op, None)
        val_tok = self._peek()
        if val_tok is None:
            raise FilterError(f"Expected a value at position {len(self.expr)}", len(self.expr))
        self.i += 1
        value: Any
        if val_tok.kind in ("string", "number"):
            value = val_tok.value
        elif val_tok.kind == "word" and val_tok.text.lower() in ("true", "false", "null"):
            value = {"true": True, "false": False, "null": None}[val_tok.text.lower()]
        else:
            raise FilterError(
                f"Invalid value '{val_tok.text}' at position {val_tok.pos}", val_tok.pos
            )
        instant = None
        if attr.rsplit(".", 1)[-1] in TIMESTAMP_ATTRS and isinstance(value, str):
            try:
                instant = parse_to_micros(value)
            except ValueError:
                raise FilterError(
                    f"Invalid date-time '{value}' at position {val_tok.pos}", val_tok.pos
                ) from None
        if op in ("sw", "co", "ew") and not isinstance(value, str):
            raise FilterError(
                f"Operator '{op}' needs a string at position {val_tok.pos}", val_tok.pos
            )
        return Compare(attr, op, value, instant)


def parse(expr: str, dialect: Dialect) -> Node:
    return _Parser(expr, dialect).parse()


def resolve(obj: Any, path: str) -> list[Any]:
    """Values at a dotted path; lists fan out (``target.id`` -> every target's id)."""
    current: list[Any] = [obj]
    for part in path.split("."):
        nxt: list[Any] = []
        for item in current:
            if isinstance(item, dict):
                if part in item:
                    v = item[part]
                    if isinstance(v, list):
                        nxt.extend(v)
                    else:
                        nxt.append(v)
            elif isinstance(item, list):
                for el in item:
                    if isinstance(el, dict) and part in el:
                        nxt.append(el[part])
        current = nxt
    return current


def _case_insensitive(attr: str) -> bool:
    # Profile strings (logins, names, e-mail) compare case-insensitively in Okta;
    # enum-like top-level values (status, type, id) compare exactly.
    return attr.startswith("profile.")


def _cmp_one(node: Compare, v: Any) -> bool:
    op, value = node.op, node.value
    if op == "pr":
        return v is not None and v != []
    if value is None:
        return op == "eq" and v is None
    if v is None:
        return False
    if node.instant is not None:
        if not isinstance(v, str):
            return False
        try:
            left: Any = parse_to_micros(v)
        except ValueError:
            return False
        right: Any = node.instant
    elif isinstance(value, bool):
        if not isinstance(v, bool):
            return False
        return op == "eq" and v is value
    elif isinstance(value, (int, float)):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
        left, right = v, value
    else:
        if not isinstance(v, str):
            return False
        if op in ("sw", "co", "ew") or _case_insensitive(node.attr):
            left, right = v.lower(), value.lower()
        else:
            left, right = v, value
        if op == "sw":
            return bool(left.startswith(right))
        if op == "co":
            return right in left
        if op == "ew":
            return bool(left.endswith(right))
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if op == "gt":
        return bool(left > right)
    if op == "ge":
        return bool(left >= right)
    if op == "lt":
        return bool(left < right)
    if op == "le":
        return bool(left <= right)
    return False


def evaluate(node: Node, obj: Any, resolver: Callable[[Any, str], list[Any]] = resolve) -> bool:
    if isinstance(node, Logical):
        if node.op == "and":
            return evaluate(node.left, obj, resolver) and evaluate(node.right, obj, resolver)
        return evaluate(node.left, obj, resolver) or evaluate(node.right, obj, resolver)
    if isinstance(node, Not):
        return not evaluate(node.inner, obj, resolver)
    values = resolver(obj, node.attr)
    if not values:
        return node.op == "eq" and node.value is None
    return any(_cmp_one(node, v) for v in values)


def compile_filter(expr: str, dialect: Dialect) -> Callable[[Any], bool]:
    node = parse(expr, dialect)
    return lambda obj: evaluate(node, obj)


def attrs_of(node: Node) -> Iterable[str]:
    if isinstance(node, Compare):
        yield node.attr
    elif isinstance(node, Logical):
        yield from attrs_of(node.left)
        yield from attrs_of(node.right)
    else:
        yield from attrs_of(node.inner)
