"""One table, for the whole product, from a gRPC status to plain words.

Each entry has a sentence for the operator at the panel and a detail line for
the technician. The CLI, the console and the audit trail all use it, and the
CLI's exit codes come from the same place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hmi.core.i18n import N_, _

# CLI exit codes (documented in `ipc-hmi approve --help` and the README).
EXIT_OK = 0
EXIT_OTHER = 1
EXIT_USAGE = 2
EXIT_REFUSED = 3
EXIT_UNREACHABLE = 4
EXIT_AUTH = 5
EXIT_UNKNOWN = 6  # approve: sent, but the outcome is unknown (4 always means nothing was sent)
EXIT_TAMPERED = 7  # history --verify: the audit trail fails verification
EXIT_NO_CHAIN = 8  # history --verify: a trail from before the chain, not yet migrated

# What each exit code means, for every command. The README's table (between the
# `<!-- exit-codes:begin -->` markers, `make exit-codes`) and `--help` are generated from it.
EXIT_CODES: dict[int, str] = {
    EXIT_OK: N_("done: the IPC answered, or accepted the approval (still 0 when the output could not be written)"),
    EXIT_OTHER: N_(
        "anything else: answered 'no' at the prompt, the audit trail cannot be written (nothing sent), "
        "an unexpected error from the IPC"
    ),
    EXIT_USAGE: N_(
        "usage or config error: a bad flag, config, scenario, state, certificate or key file; "
        "a token refused without TLS; no terminal and no --yes"
    ),
    EXIT_REFUSED: N_(
        "refused by the IPC or not offered: the version changed, there is nothing to approve, the "
        "state changed between the question and the answer, the confirmation was older than 60 s, or it is outside the "
        "maintenance windows; nothing took effect"
    ),
    EXIT_UNREACHABLE: N_("the IPC cannot be reached or did not answer in time; nothing was sent"),
    EXIT_AUTH: N_("not authenticated or not permitted (token, client certificate, operator PIN, viewer)"),
    EXIT_UNKNOWN: N_(
        "approve: sent, but the outcome is unknown (the answer was lost and a re-read proved nothing); "
        "do not simply retry: check with 'ipc-hmi report', whose next read settles the audit record"
    ),
    EXIT_TAMPERED: N_(
        "history --verify: the audit trail fails verification (an event or a record was changed, "
        "removed, added or moved); the first broken event is named"
    ),
    EXIT_NO_CHAIN: N_(
        "history --verify: the audit trail was written by an older version and has no hash chain yet; "
        "it gets one the next time the console or 'ipc-hmi approve' opens it for writing"
    ),
}


def exit_codes_help() -> str:
    """The `exit codes:` section of `--help`."""
    import textwrap

    lines = [_("exit codes:")]
    for code, text in sorted(EXIT_CODES.items()):
        lines += textwrap.wrap(_(text), 100, initial_indent=f"  {code}  ", subsequent_indent="     ")
    return "\n".join(lines) + "\n"


def exit_codes_markdown() -> str:
    """The README table: the block between `<!-- exit-codes:begin -->` and `<!-- exit-codes:end -->`."""
    rows = [f"| {code}    | {text} |" for code, text in sorted(EXIT_CODES.items())]
    return "\n".join(["| Code | Meaning |", "|------|---------|", *rows])


@dataclass(frozen=True, slots=True)
class ErrorText:
    code: str  # grpc StatusCode name, e.g. "UNAVAILABLE"
    operator_source: str  # one plain sentence for the panel (English source; `operator` is translated)
    technician_source: str  # what it means and what to check (English source; `technician` is translated)
    exit_code: int

    @property
    def operator(self) -> str:
        return _(self.operator_source)

    @property
    def technician(self) -> str:
        return _(self.technician_source)

    def with_detail(self, detail: str | None) -> str:
        """Technician line with the server's own message appended."""
        return f"{self.technician} ({self.code}: {detail})" if detail else f"{self.technician} ({self.code})"


NOT_ACCEPTED = N_("The IPC did not accept the request.")
CANNOT_BE_REACHED = N_("The IPC cannot be reached.")

_TABLE: dict[str, tuple[str, str, int]] = {
    "OK": (N_("Done."), N_("The call succeeded."), EXIT_OK),
    "CANCELLED": (
        N_("The request was cancelled."),
        N_("The call was cancelled before it finished, usually because the console or CLI was closing."),
        EXIT_OTHER,
    ),
    "UNKNOWN": (
        N_("The IPC reported an unexpected error."),
        N_("The server raised an error without a status code; check the IPC's logs."),
        EXIT_OTHER,
    ),
    "INVALID_ARGUMENT": (
        NOT_ACCEPTED,
        N_("The request was malformed, for example an empty version id."),
        EXIT_OTHER,
    ),
    "DEADLINE_EXCEEDED": (
        N_("The IPC did not answer in time."),
        N_("No answer within the call deadline; the network or the IPC is slow or busy."),
        EXIT_UNREACHABLE,
    ),
    "NOT_FOUND": (
        N_("The IPC does not know this request."),
        N_("The service or method was not found; is this an IpcUpdater endpoint?"),
        EXIT_OTHER,
    ),
    "ALREADY_EXISTS": (
        N_("The IPC says this was already done."),
        N_("The server reports the resource already exists."),
        EXIT_REFUSED,
    ),
    "PERMISSION_DENIED": (
        N_("You are not allowed to do this on this IPC."),
        N_("The credentials were accepted but lack permission for this call."),
        EXIT_AUTH,
    ),
    "RESOURCE_EXHAUSTED": (
        N_("The IPC is overloaded. Try again in a moment."),
        N_("The server is out of a resource or rate-limited this client."),
        EXIT_UNREACHABLE,
    ),
    "FAILED_PRECONDITION": (
        N_("The offered update changed. Review the new version before approving."),
        N_("The IPC refused: the version named is not the one it offers now, or nothing is offered."),
        EXIT_REFUSED,
    ),
    "ABORTED": (
        N_("The IPC stopped the request. Try again."),
        N_("The operation was aborted by a concurrent change on the IPC."),
        EXIT_REFUSED,
    ),
    "OUT_OF_RANGE": (
        NOT_ACCEPTED,
        N_("A value in the request was out of range."),
        EXIT_OTHER,
    ),
    "UNIMPLEMENTED": (
        N_("This IPC does not support this request."),
        N_("The method is not implemented by the server; the IPC software may be too old."),
        EXIT_OTHER,
    ),
    "INTERNAL": (
        N_("The IPC reported an internal error."),
        N_("An internal error on the server or in the transport; check the IPC's logs."),
        EXIT_OTHER,
    ),
    "UNAVAILABLE": (
        CANNOT_BE_REACHED,
        N_("No connection: the IPC is off, restarting, or the network or address is wrong."),
        EXIT_UNREACHABLE,
    ),
    "DATA_LOSS": (
        N_("The IPC reported lost or corrupt data."),
        N_("Unrecoverable data loss or corruption reported by the server."),
        EXIT_OTHER,
    ),
    "UNAUTHENTICATED": (
        N_("The console is not signed in to this IPC."),
        N_("The IPC rejected the credentials: check the token file or client certificate."),
        EXIT_AUTH,
    ),
}


def describe(code: Any) -> ErrorText:
    """Plain words for a grpc.StatusCode, or its name. Unknown codes fall back to UNKNOWN."""
    name = getattr(code, "name", None) or str(code)
    name = name.upper()
    operator, technician, exit_code = _TABLE.get(name, _TABLE["UNKNOWN"])
    return ErrorText(name if name in _TABLE else "UNKNOWN", operator, technician, exit_code)


# What grpc's transport says when something other than an HTTP/2 (gRPC) server answers.
_NOT_GRPC_MARKS = ("failed parsing http/2", "http1.x server", "expected settings frame", "trying to connect an http1")
NOT_GRPC = ErrorText(
    "UNAVAILABLE",
    N_("This address does not speak gRPC."),
    N_("Something answered at this address, but not a gRPC server (an HTTP or other server?); check the port."),
    EXIT_UNREACHABLE,
)


def explain(code: Any, detail: str | None) -> ErrorText:
    """Like `describe`, but names the real cause where the detail shows it (an HTTP server at the target)."""
    if detail and any(mark in detail.lower() for mark in _NOT_GRPC_MARKS):
        return NOT_GRPC
    return describe(code)


def all_codes() -> list[str]:
    return list(_TABLE)
