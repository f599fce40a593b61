"""palisade: a ctypes binding to libpalisade, standard library only.

    from palisade import Guard

    with Guard() as guard:
        with guard.inspect_prompt("Ignore all previous instructions") as verdict:
            print(verdict.action, [f.rule for f in verdict.findings])

The library is found through the PALISADE_LIB environment variable (a path
to libpalisade.so / .dylib), then next to this repository's target/release
and target/debug, then on the system library path.

Every handle is closed by its context manager (or close()); closing twice is
a no-op and using a closed handle raises ValueError, so a handle can never
be freed twice through this binding. Strings are copied into Python objects,
so nothing returned here points into freed memory. A Guard and a Vault may be shared by
threads; a Verdict, a Context and a Stream belong to one.

    with Guard() as guard, guard.stream(MODE_RESPONSE) as stream:
        for chunk in chunks:
            step = stream.push(chunk)
            send(step.text)
            if step.stop:
                break
        last = stream.finish()
        with last.verdict as verdict:
            print(verdict.action)
"""

import ctypes
import ctypes.util
import json as _json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Union

__all__ = [
    "Guard",
    "Verdict",
    "Finding",
    "Context",
    "Stream",
    "Step",
    "Vault",
    "PalisadeError",
    "generate_canary",
    "version",
    "STATUS",
    "CATEGORIES",
]

# Status codes (fixed values, see palisade.h).
STATUS = {
    0: "OK",
    1: "NULL_ARGUMENT",
    2: "INVALID_ARGUMENT",
    3: "INVALID_UTF8",
    4: "POLICY_ERROR",
    5: "INPUT_TOO_LARGE",
    6: "OUT_OF_RANGE",
    7: "PANIC",
    8: "INVALID_CANARY",
    9: "VAULT_ERROR",
    10: "STREAM_FINISHED",
}
OK = 0
MODE_PROMPT = 0
MODE_RESPONSE = 1
CATEGORIES = ["injection", "secret", "pii", "leakage", "exfiltration", "active_content", "command", "limits"]
ACTIONS = ["allow", "flag", "redact", "block"]


class _Str(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("len", ctypes.c_size_t)]

    def text(self) -> str:
        if not self.data or self.len == 0:
            return ""
        return ctypes.string_at(self.data, self.len).decode("utf-8")


class _Finding(ctypes.Structure):
    _fields_ = [
        ("rule", _Str),
        ("category", _Str),
        ("category_id", ctypes.c_uint32),
        ("severity", _Str),
        ("severity_level", ctypes.c_uint32),
        ("family", _Str),
        ("entity", _Str),
        ("owasp", _Str),
        ("atlas", _Str),
        ("view", _Str),
        ("evidence", _Str),
        ("start", ctypes.c_size_t),
        ("end", ctypes.c_size_t),
        ("weight", ctypes.c_double),
        ("obfuscated", ctypes.c_bool),
    ]


class _Guard(ctypes.Structure):
    """Opaque palisade_guard."""


class _Verdict(ctypes.Structure):
    """Opaque palisade_verdict."""


class _Error(ctypes.Structure):
    """Opaque palisade_error."""


class _Context(ctypes.Structure):
    """Opaque palisade_context."""


class _Stream(ctypes.Structure):
    """Opaque palisade_stream."""


class _Step(ctypes.Structure):
    """Opaque palisade_step."""


class _Vault(ctypes.Structure):
    """Opaque palisade_vault."""


class _String(ctypes.Structure):
    """Opaque palisade_string."""


_GuardP = ctypes.POINTER(_Guard)
_VerdictP = ctypes.POINTER(_Verdict)
_ErrorP = ctypes.POINTER(_Error)
_ContextP = ctypes.POINTER(_Context)
_StreamP = ctypes.POINTER(_Stream)
_StepP = ctypes.POINTER(_Step)
_VaultP = ctypes.POINTER(_Vault)
_StringP = ctypes.POINTER(_String)
_u8p = ctypes.POINTER(ctypes.c_uint8)
_status = ctypes.c_uint32


def _find_library() -> str:
    explicit = os.environ.get("PALISADE_LIB")
    if explicit:
        return explicit
    name = {"darwin": "libpalisade.dylib", "win32": "palisade.dll"}.get(sys.platform, "libpalisade.so")
    root = Path(__file__).resolve().parents[2]
    for profile in ("release", "debug"):
        candidate = root / "target" / profile / name
        if candidate.exists():
            return str(candidate)
    found = ctypes.util.find_library("palisade")
    if found:
        return found
    raise OSError("libpalisade not found: build it with `cargo build -p palisade-ffi --release` or set PALISADE_LIB")


def _bind(lib: ctypes.CDLL) -> ctypes.CDLL:
    sig = {
        # name: (restype, argtypes)
        "palisade_version": (ctypes.c_char_p, []),
        "palisade_status_message": (ctypes.c_char_p, [ctypes.c_uint32]),
        "palisade_action_name": (ctypes.c_char_p, [ctypes.c_uint32]),
        "palisade_category_name": (ctypes.c_char_p, [ctypes.c_uint32]),
        "palisade_error_message": (_status, [_ErrorP, ctypes.POINTER(_Str)]),
        "palisade_error_status": (_status, [_ErrorP, ctypes.POINTER(ctypes.c_uint32)]),
        "palisade_error_free": (None, [_ErrorP]),
        "palisade_guard_new_default": (_status, [ctypes.POINTER(_GuardP)]),
        "palisade_guard_new_from_policy": (
            _status,
            [_u8p, ctypes.c_size_t, ctypes.POINTER(_GuardP), ctypes.POINTER(_ErrorP)],
        ),
        "palisade_guard_free": (None, [_GuardP]),
        "palisade_guard_fingerprint": (_status, [_GuardP, ctypes.POINTER(_Str)]),
        "palisade_guard_rule_count": (_status, [_GuardP, ctypes.POINTER(ctypes.c_size_t)]),
        "palisade_guard_inspect": (
            _status,
            [_GuardP, ctypes.c_uint32, _u8p, ctypes.c_size_t, ctypes.POINTER(_VerdictP)],
        ),
        "palisade_guard_inspect_prompt": (_status, [_GuardP, _u8p, ctypes.c_size_t, ctypes.POINTER(_VerdictP)]),
        "palisade_guard_inspect_response": (_status, [_GuardP, _u8p, ctypes.c_size_t, ctypes.POINTER(_VerdictP)]),
        "palisade_verdict_action": (_status, [_VerdictP, ctypes.POINTER(ctypes.c_uint32)]),
        "palisade_verdict_score": (_status, [_VerdictP, ctypes.c_uint32, ctypes.POINTER(ctypes.c_double)]),
        "palisade_verdict_complete": (_status, [_VerdictP, ctypes.POINTER(ctypes.c_bool)]),
        "palisade_verdict_fingerprint": (_status, [_VerdictP, ctypes.POINTER(_Str)]),
        "palisade_verdict_finding_count": (_status, [_VerdictP, ctypes.POINTER(ctypes.c_size_t)]),
        "palisade_verdict_finding": (_status, [_VerdictP, ctypes.c_size_t, ctypes.POINTER(_Finding)]),
        "palisade_verdict_redacted": (_status, [_VerdictP, ctypes.POINTER(_Str)]),
        "palisade_verdict_json": (_status, [_VerdictP, ctypes.POINTER(_Str)]),
        "palisade_verdict_free": (None, [_VerdictP]),
        "palisade_string_get": (_status, [_StringP, ctypes.POINTER(_Str)]),
        "palisade_string_free": (None, [_StringP]),
        "palisade_canary_generate": (_status, [ctypes.POINTER(_StringP)]),
        "palisade_context_new": (_status, [ctypes.POINTER(_ContextP)]),
        "palisade_context_add_system_prompt": (_status, [_ContextP, _u8p, ctypes.c_size_t]),
        "palisade_context_add_confidential": (_status, [_ContextP, _u8p, ctypes.c_size_t]),
        "palisade_context_add_canary": (_status, [_ContextP, _u8p, ctypes.c_size_t]),
        "palisade_context_free": (None, [_ContextP]),
        "palisade_guard_with_context": (_status, [_GuardP, _ContextP, ctypes.POINTER(_GuardP)]),
        "palisade_stream_new": (_status, [_GuardP, ctypes.c_uint32, _ContextP, ctypes.POINTER(_StreamP)]),
        "palisade_stream_push": (_status, [_StreamP, _u8p, ctypes.c_size_t, ctypes.POINTER(_StepP)]),
        "palisade_stream_finish": (_status, [_StreamP, ctypes.POINTER(_StepP)]),
        "palisade_stream_stopped": (_status, [_StreamP, ctypes.POINTER(ctypes.c_bool)]),
        "palisade_stream_held_bytes": (_status, [_StreamP, ctypes.POINTER(ctypes.c_size_t)]),
        "palisade_stream_free": (None, [_StreamP]),
        "palisade_step_text": (_status, [_StepP, ctypes.POINTER(_Str)]),
        "palisade_step_stop": (_status, [_StepP, ctypes.POINTER(ctypes.c_bool)]),
        "palisade_step_finding_count": (_status, [_StepP, ctypes.POINTER(ctypes.c_size_t)]),
        "palisade_step_finding": (_status, [_StepP, ctypes.c_size_t, ctypes.POINTER(_Finding)]),
        "palisade_step_verdict": (_status, [_StepP, ctypes.POINTER(_VerdictP)]),
        "palisade_step_free": (None, [_StepP]),
        "palisade_guard_pseudonymise": (_status, [_GuardP, _u8p, ctypes.c_size_t, ctypes.POINTER(_VaultP)]),
        "palisade_vault_from_json": (_status, [_u8p, ctypes.c_size_t, ctypes.POINTER(_VaultP)]),
        "palisade_vault_text": (_status, [_VaultP, ctypes.POINTER(_Str)]),
        "palisade_vault_entry_count": (_status, [_VaultP, ctypes.POINTER(ctypes.c_size_t)]),
        "palisade_vault_json": (_status, [_VaultP, ctypes.POINTER(_Str)]),
        "palisade_vault_restore": (_status, [_VaultP, _u8p, ctypes.c_size_t, ctypes.POINTER(_StringP)]),
        "palisade_vault_free": (None, [_VaultP]),
    }
    for name, (restype, argtypes) in sig.items():
        fn = getattr(lib, name)
        fn.restype = restype
        fn.argtypes = argtypes
    return lib


_lib = _bind(ctypes.CDLL(_find_library()))


class PalisadeError(Exception):
    """A failed call: `status` is the code name, the message says what is wrong."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.code = status
        self.status = STATUS.get(status, "UNKNOWN")


def _check(status: int, what: str) -> None:
    if status != OK:
        msg = _lib.palisade_status_message(status).decode("utf-8")
        raise PalisadeError(status, f"{what}: {msg}")


def _bytes(data: Union[str, bytes, bytearray, memoryview]) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _buffer(data: bytes):
    """(pointer, length) for a bytes object; (NULL, 0) for empty input."""
    if not data:
        return None, 0
    return ctypes.cast(ctypes.c_char_p(data), _u8p), len(data)


def version() -> str:
    """The version of the loaded library."""
    return _lib.palisade_version().decode("utf-8")


@dataclass(frozen=True)
class Finding:
    """One finding, copied out of the verdict."""

    rule: str
    category: str
    severity: str
    family: str
    entity: str
    owasp: str
    atlas: str
    view: str
    evidence: str
    start: int
    end: int
    weight: float
    obfuscated: bool


def _finding(f: "_Finding") -> Finding:
    return Finding(
        rule=f.rule.text(),
        category=f.category.text(),
        severity=f.severity.text(),
        family=f.family.text(),
        entity=f.entity.text(),
        owasp=f.owasp.text(),
        atlas=f.atlas.text(),
        view=f.view.text(),
        evidence=f.evidence.text(),
        start=f.start,
        end=f.end,
        weight=f.weight,
        obfuscated=bool(f.obfuscated),
    )


def _take_string(ptr) -> str:
    """Copies an owned palisade_string into Python and frees it."""
    try:
        s = _Str()
        _check(_lib.palisade_string_get(ptr, ctypes.byref(s)), "palisade_string_get")
        return s.text()
    finally:
        _lib.palisade_string_free(ptr)


def generate_canary() -> str:
    """A new canary token (`plsd-` and 26 random characters): put it in the
    system prompt and register it with Context.canary."""
    ptr = _StringP()
    _check(_lib.palisade_canary_generate(ctypes.byref(ptr)), "palisade_canary_generate")
    return _take_string(ptr)


class _Handle:
    _free = None

    def __init__(self, ptr):
        self._ptr = ptr

    def _get(self):
        if self._ptr is None:
            raise ValueError(f"{type(self).__name__} is closed")
        return self._ptr

    def close(self) -> None:
        """Frees the handle. Closing twice is a no-op."""
        ptr, self._ptr = self._ptr, None
        if ptr is not None:
            type(self)._free(ptr)

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        # A safety net only; use `with` or close().
        try:
            self.close()
        except Exception:
            pass


class Verdict(_Handle):
    """The answer for one input. Close it (or use `with`) when done."""

    _free = staticmethod(_lib.palisade_verdict_free)

    @property
    def action(self) -> str:
        a = ctypes.c_uint32()
        _check(_lib.palisade_verdict_action(self._get(), ctypes.byref(a)), "palisade_verdict_action")
        return _lib.palisade_action_name(a.value).decode("utf-8")

    def score(self, category: str) -> float:
        s = ctypes.c_double()
        _check(
            _lib.palisade_verdict_score(self._get(), CATEGORIES.index(category), ctypes.byref(s)),
            "palisade_verdict_score",
        )
        return s.value

    @property
    def complete(self) -> bool:
        c = ctypes.c_bool()
        _check(_lib.palisade_verdict_complete(self._get(), ctypes.byref(c)), "palisade_verdict_complete")
        return bool(c.value)

    @property
    def findings(self) -> List[Finding]:
        n = ctypes.c_size_t()
        _check(_lib.palisade_verdict_finding_count(self._get(), ctypes.byref(n)), "palisade_verdict_finding_count")
        out = []
        for i in range(n.value):
            f = _Finding()
            _check(_lib.palisade_verdict_finding(self._get(), i, ctypes.byref(f)), "palisade_verdict_finding")
            out.append(_finding(f))
        return out

    def _str(self, fn, what: str) -> str:
        s = _Str()
        _check(fn(self._get(), ctypes.byref(s)), what)
        return s.text()

    @property
    def fingerprint(self) -> str:
        return self._str(_lib.palisade_verdict_fingerprint, "palisade_verdict_fingerprint")

    @property
    def redacted(self) -> str:
        return self._str(_lib.palisade_verdict_redacted, "palisade_verdict_redacted")

    @property
    def json(self) -> dict:
        return _json.loads(self._str(_lib.palisade_verdict_json, "palisade_verdict_json"))


class Guard(_Handle):
    """A compiled policy. `Guard()` uses the built-in default policy."""

    _free = staticmethod(_lib.palisade_guard_free)

    def __init__(self, _ptr=None):
        if _ptr is None:
            _ptr = _GuardP()
            _check(_lib.palisade_guard_new_default(ctypes.byref(_ptr)), "palisade_guard_new_default")
        super().__init__(_ptr)

    @classmethod
    def from_policy(cls, text: Union[str, bytes]) -> "Guard":
        """A guard for policy text (TOML, or JSON starting with `{`). Raises
        PalisadeError whose message names the field or rule at fault."""
        data = _bytes(text)
        ptr, n = _buffer(data)
        guard = _GuardP()
        err = _ErrorP()
        status = _lib.palisade_guard_new_from_policy(ptr, n, ctypes.byref(guard), ctypes.byref(err))
        if status != OK:
            message = _lib.palisade_status_message(status).decode("utf-8")
            if err:
                s = _Str()
                if _lib.palisade_error_message(err, ctypes.byref(s)) == OK:
                    message = s.text()
                _lib.palisade_error_free(err)
            raise PalisadeError(status, message)
        return cls(guard)

    @property
    def fingerprint(self) -> str:
        s = _Str()
        _check(_lib.palisade_guard_fingerprint(self._get(), ctypes.byref(s)), "palisade_guard_fingerprint")
        return s.text()

    @property
    def rule_count(self) -> int:
        n = ctypes.c_size_t()
        _check(_lib.palisade_guard_rule_count(self._get(), ctypes.byref(n)), "palisade_guard_rule_count")
        return n.value

    def inspect(self, mode: int, data: Union[str, bytes]) -> Verdict:
        buf = _bytes(data)
        ptr, n = _buffer(buf)
        v = _VerdictP()
        _check(_lib.palisade_guard_inspect(self._get(), mode, ptr, n, ctypes.byref(v)), "palisade_guard_inspect")
        return Verdict(v)

    def inspect_prompt(self, data: Union[str, bytes]) -> Verdict:
        """Inspects text on its way into a model."""
        return self.inspect(MODE_PROMPT, data)

    def inspect_response(self, data: Union[str, bytes]) -> Verdict:
        """Inspects text coming out of a model."""
        return self.inspect(MODE_RESPONSE, data)


    def with_context(self, context: "Context") -> "Guard":
        """A new guard that also checks responses against `context`."""
        g = _GuardP()
        _check(
            _lib.palisade_guard_with_context(self._get(), context._get(), ctypes.byref(g)),
            "palisade_guard_with_context",
        )
        return Guard(g)

    def stream(self, mode: int, context: "Context" = None) -> "Stream":
        """Starts inspecting a text that arrives in chunks."""
        s = _StreamP()
        ctx = context._get() if context is not None else None
        _check(_lib.palisade_stream_new(self._get(), mode, ctx, ctypes.byref(s)), "palisade_stream_new")
        return Stream(s)

    def pseudonymise(self, text: Union[str, bytes]) -> "Vault":
        """Replaces secrets and personal data with placeholders; the Vault
        holds the new text (`vault.text`) and restores the originals."""
        buf = _bytes(text)
        ptr, n = _buffer(buf)
        v = _VaultP()
        _check(_lib.palisade_guard_pseudonymise(self._get(), ptr, n, ctypes.byref(v)), "palisade_guard_pseudonymise")
        return Vault(v)


class Context(_Handle):
    """Confidential context a response must not reproduce. Guards and
    streams copy it, so it may be closed right after use."""

    _free = staticmethod(_lib.palisade_context_free)

    def __init__(self):
        ptr = _ContextP()
        _check(_lib.palisade_context_new(ctypes.byref(ptr)), "palisade_context_new")
        super().__init__(ptr)

    def _add(self, fn, what: str, text: Union[str, bytes]) -> "Context":
        buf = _bytes(text)
        ptr, n = _buffer(buf)
        _check(fn(self._get(), ptr, n), what)
        return self

    def system_prompt(self, text: Union[str, bytes]) -> "Context":
        return self._add(_lib.palisade_context_add_system_prompt, "palisade_context_add_system_prompt", text)

    def confidential(self, text: Union[str, bytes]) -> "Context":
        return self._add(_lib.palisade_context_add_confidential, "palisade_context_add_confidential", text)

    def canary(self, token: Union[str, bytes]) -> "Context":
        """Raises PalisadeError (INVALID_CANARY) for fewer than 12 letters and digits."""
        return self._add(_lib.palisade_context_add_canary, "palisade_context_add_canary", token)


@dataclass
class Step:
    """What one Stream.push or Stream.finish gave, copied out. `verdict` is a
    Verdict (close it) for the step from finish, None otherwise."""

    text: str
    findings: List[Finding]
    stop: bool
    verdict: "Verdict" = None


class Stream(_Handle):
    """A text inspected as it arrives. One thread at a time."""

    _free = staticmethod(_lib.palisade_stream_free)

    def _step(self, ptr) -> Step:
        try:
            s = _Str()
            _check(_lib.palisade_step_text(ptr, ctypes.byref(s)), "palisade_step_text")
            text = s.text()
            stop = ctypes.c_bool()
            _check(_lib.palisade_step_stop(ptr, ctypes.byref(stop)), "palisade_step_stop")
            n = ctypes.c_size_t()
            _check(_lib.palisade_step_finding_count(ptr, ctypes.byref(n)), "palisade_step_finding_count")
            findings = []
            for i in range(n.value):
                f = _Finding()
                _check(_lib.palisade_step_finding(ptr, i, ctypes.byref(f)), "palisade_step_finding")
                findings.append(_finding(f))
            v = _VerdictP()
            _check(_lib.palisade_step_verdict(ptr, ctypes.byref(v)), "palisade_step_verdict")
            return Step(text, findings, bool(stop.value), Verdict(v) if v else None)
        finally:
            _lib.palisade_step_free(ptr)

    def push(self, chunk: Union[str, bytes]) -> Step:
        """Feeds the next chunk (any bytes); returns the text now safe to pass on."""
        buf = _bytes(chunk)
        ptr, n = _buffer(buf)
        step = _StepP()
        _check(_lib.palisade_stream_push(self._get(), ptr, n, ctypes.byref(step)), "palisade_stream_push")
        return self._step(step)

    def finish(self) -> Step:
        """Ends the stream; the step carries the final Verdict."""
        step = _StepP()
        _check(_lib.palisade_stream_finish(self._get(), ctypes.byref(step)), "palisade_stream_finish")
        return self._step(step)

    @property
    def stopped(self) -> bool:
        b = ctypes.c_bool()
        _check(_lib.palisade_stream_stopped(self._get(), ctypes.byref(b)), "palisade_stream_stopped")
        return bool(b.value)

    @property
    def held_bytes(self) -> int:
        n = ctypes.c_size_t()
        _check(_lib.palisade_stream_held_bytes(self._get(), ctypes.byref(n)), "palisade_stream_held_bytes")
        return n.value


class Vault(_Handle):
    """The originals behind the placeholders of one pseudonymised text. It
    holds secrets: keep its JSON like one."""

    _free = staticmethod(_lib.palisade_vault_free)

    @classmethod
    def from_json(cls, json: Union[str, bytes]) -> "Vault":
        buf = _bytes(json)
        ptr, n = _buffer(buf)
        v = _VaultP()
        _check(_lib.palisade_vault_from_json(ptr, n, ctypes.byref(v)), "palisade_vault_from_json")
        return cls(v)

    def _str(self, fn, what: str) -> str:
        s = _Str()
        _check(fn(self._get(), ctypes.byref(s)), what)
        return s.text()

    @property
    def text(self) -> str:
        """The pseudonymised text (empty for a vault read from JSON)."""
        return self._str(_lib.palisade_vault_text, "palisade_vault_text")

    @property
    def json(self) -> str:
        return self._str(_lib.palisade_vault_json, "palisade_vault_json")

    def __len__(self) -> int:
        n = ctypes.c_size_t()
        _check(_lib.palisade_vault_entry_count(self._get(), ctypes.byref(n)), "palisade_vault_entry_count")
        return n.value

    def restore(self, text: Union[str, bytes]) -> str:
        """Replaces this vault's placeholders in `text` by the originals."""
        buf = _bytes(text)
        ptr, n = _buffer(buf)
        out = _StringP()
        _check(_lib.palisade_vault_restore(self._get(), ptr, n, ctypes.byref(out)), "palisade_vault_restore")
        return _take_string(out)
