"""Command line: ``python -m matching propose|evaluate|learn``.

    python -m matching propose --hosts H.jsonl --newcomers N.jsonl [--history R.jsonl]
                               [--weights W.json] [--top K] [--json] [--lang sv|en]
    python -m matching evaluate --hosts H.jsonl --newcomers N.jsonl [--history R.jsonl]
                                [--weights W.json] --truth truth.json [--json] [--lang sv|en]
    python -m matching learn --hosts H.jsonl --newcomers N.jsonl --decisions D.jsonl
                             --out W.json [--seen W0.json] [--min-decisions N]

``learn`` reads decisions one JSON a line (``{"newcomer", "host", "decision": approved |
rejected | picked | accepted | declined, "rating": 1-5 optional}``) and writes the weights
file ``W.json`` (see ``matching.learning``); ``--seen`` names the weights the proposals were
ranked with when the decisions were made (defaults otherwise). ``--weights`` makes
``propose`` and ``evaluate`` score with such a file; the hard rules hold whatever it says,
and ``--decisions`` adds the rejected and declined pairs of a decisions file to the history.

``propose --json`` prints one JSON object a line per newcomer (``newcomer``, ``assigned``,
``candidates`` with ``host``, ``score``, ``fit`` (0-100), ``fit_band``, ``components``,
``reasons`` and ``reason_codes`` (the same reasons as ``{"code", "params"}``), and
``why_not_best`` / ``why_not_best_code`` when the newcomer's best host went to someone
else); without ``--json`` it prints the same as readable text. Reasons are in Swedish unless
``--lang en``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from matching import (
    MIN_DECISIONS,
    HistoryEntry,
    HostProfile,
    LearnedWeights,
    NewcomerProfile,
    ProfileError,
    Proposal,
    WeightsError,
    evaluate,
    hard_rule_violations,
    learn_weights,
    propose,
    read_decisions,
    read_history,
    read_hosts,
    read_newcomers,
)

__all__ = ["main"]


class _InputError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m matching",
        description="Propose host-newcomer pairs with reasons, or evaluate the proposals.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--hosts", required=True, type=Path, help="hosts, one JSON a line")
        sub.add_argument("--newcomers", required=True, type=Path, help="newcomers, one JSON a line")
        sub.add_argument(
            "--history",
            type=Path,
            help='earlier decisions: {"newcomer", "host", "decision"} a line',
        )
        sub.add_argument(
            "--weights", type=Path, help="weights file written by learn (defaults otherwise)"
        )
        sub.add_argument(
            "--decisions",
            type=Path,
            help="decisions as for learn: rejected and declined pairs are never proposed",
        )
        sub.add_argument("--top", type=int, default=3, metavar="K", help="candidates shown")
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.add_argument(
            "--lang", choices=("sv", "en"), default="sv", help="language of the reasons"
        )

    propose_cmd = commands.add_parser("propose", help="propose hosts for every newcomer")
    common(propose_cmd)
    evaluate_cmd = commands.add_parser("evaluate", help="measure proposals against truth")
    common(evaluate_cmd)
    evaluate_cmd.add_argument(
        "--truth", required=True, type=Path, help="JSON object: newcomer id -> planted host id"
    )
    learn_cmd = commands.add_parser("learn", help="learn weights from coordinators' decisions")
    learn_cmd.add_argument("--hosts", required=True, type=Path, help="hosts, one JSON a line")
    learn_cmd.add_argument(
        "--newcomers", required=True, type=Path, help="newcomers, one JSON a line"
    )
    learn_cmd.add_argument(
        "--decisions",
        required=True,
        type=Path,
        help='{"newcomer", "host", "decision", "rating"?} a line',
    )
    learn_cmd.add_argument("--out", required=True, type=Path, help="weights file to write")
    learn_cmd.add_argument(
        "--seen", type=Path, help="weights the decided proposals were ranked with"
    )
    learn_cmd.add_argument(
        "--min-decisions",
        type=int,
        default=MIN_DECISIONS,
        metavar="N",
        help=f"fewer decisions give the defaults (default {MIN_DECISIONS})",
    )
    return parser


def _load(
    args: argparse.Namespace,
) -> tuple[list[HostProfile], list[NewcomerProfile], list[HistoryEntry]]:
    try:
        hosts = read_hosts(args.hosts)
        newcomers = read_newcomers(args.newcomers)
        history = read_history(args.history) if args.history else []
        if args.decisions:
            history += [
                HistoryEntry(
                    d.newcomer, d.host, "rejected" if d.decision == "rejected" else "declined"
                )
                for d in read_decisions(args.decisions)
                if d.is_hard_no
            ]
    except OSError as exc:
        raise _InputError(f"{exc.filename}: {exc.strerror}") from exc
    except ProfileError as exc:
        raise _InputError(str(exc)) from exc
    return hosts, newcomers, history


def _truth(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise _InputError(f"{path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise _InputError(f"{path}: not JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise _InputError(f"{path}: expected an object of newcomer id -> host id")
    return {str(k): str(v) for k, v in data.items()}


def _print_text(proposals: Sequence[Proposal], lang: str, out: TextIO) -> None:
    sv = lang == "sv"
    for proposal in proposals:
        if proposal.assigned is not None:
            head = f"{proposal.newcomer} → {proposal.assigned}"
        else:
            head = f"{proposal.newcomer} → " + ("ingen värd" if sv else "no host")
        out.write(head + "\n")
        if not proposal.candidates:
            out.write("   " + ("(inga möjliga värdar)" if sv else "(no possible hosts)") + "\n")
        for rank, candidate in enumerate(proposal.candidates, start=1):
            score = f"{candidate.score:.2f}"
            if sv:
                score = score.replace(".", ",")
            reasons = " · ".join(r.text(lang) for r in candidate.reasons)
            out.write(f"  {rank}. {candidate.host}  {score}  {reasons}\n")


def _weights(path: Path | None) -> LearnedWeights | None:
    if path is None:
        return None
    try:
        return LearnedWeights.read(path)
    except OSError as exc:
        raise _InputError(f"{path}: {exc.strerror}") from exc
    except WeightsError as exc:
        raise _InputError(str(exc)) from exc


def _learn(args: argparse.Namespace, out: TextIO) -> int:
    if args.min_decisions < 1:
        raise _InputError("--min-decisions must be 1 or more")
    seen = _weights(args.seen)
    try:
        hosts = read_hosts(args.hosts)
        newcomers = read_newcomers(args.newcomers)
        decisions = read_decisions(args.decisions)
        result = learn_weights(
            hosts,
            newcomers,
            decisions,
            seen=seen.weights if seen is not None else None,
            min_decisions=args.min_decisions,
        )
    except OSError as exc:
        raise _InputError(f"{exc.filename}: {exc.strerror}") from exc
    except ProfileError as exc:
        raise _InputError(str(exc)) from exc
    try:
        result.write(args.out)
    except OSError as exc:
        raise _InputError(f"{args.out}: {exc.strerror}") from exc
    state = "learned" if result.learned else f"defaults (fewer than {args.min_decisions})"
    weights = ", ".join(f"{k} {v:.3f}" for k, v in result.as_mapping().items())
    out.write(f"{result.n_decisions} decisions, {state}: {weights}\n")
    return 0


def _run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.command == "learn":
        return _learn(args, out)
    if args.top < 0:
        raise _InputError("--top must be 0 or more")
    learned = _weights(args.weights)
    hosts, newcomers, history = _load(args)
    truth = _truth(args.truth) if args.command == "evaluate" else {}
    try:
        proposals = propose(
            hosts,
            newcomers,
            history,
            top_k=args.top,
            weights=learned.weights if learned is not None else None,
        )
    except ProfileError as exc:
        raise _InputError(str(exc)) from exc

    if args.command == "propose":
        if args.json:
            for proposal in proposals:
                out.write(json.dumps(proposal.to_dict(args.lang), ensure_ascii=False) + "\n")
        else:
            _print_text(proposals, args.lang, out)
        return 0

    result = evaluate(proposals, truth, hosts, newcomers, history)
    if args.json:
        out.write(json.dumps(result.as_dict()) + "\n")
    else:
        sv = args.lang == "sv"
        lines = [
            ("nyinflyttade med planterad värd" if sv else "newcomers with a planted host")
            + f": {result.newcomers}",
            f"recall@1: {result.recall_at_1:.3f}",
            f"recall@3: {result.recall_at_3:.3f}",
            ("andel tilldelade sin planterade värd" if sv else "share assigned to planted host")
            + f": {result.assigned_to_planted:.3f}",
            ("brott mot hårda regler" if sv else "hard-rule violations") + f": {result.violations}",
        ]
        out.write("\n".join(lines) + "\n")
    for problem in hard_rule_violations(proposals, hosts, newcomers, history)[:20]:
        err.write(problem + "\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        return _run(args, sys.stdout, sys.stderr)
    except _InputError as exc:
        sys.stderr.write(f"python -m matching: error: {exc}\n")
        return 2
    except BrokenPipeError:
        # The reader went away (``| head``): not an error. Point stdout at devnull so the
        # interpreter's final flush does not complain again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
