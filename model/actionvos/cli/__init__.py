"""The ``actionvos`` command line.

Each sub-command lives in its own module in this package and exposes
``register(subparsers)``; that function adds a parser whose ``func`` default takes the parsed
arguments and returns an exit code. Modules are discovered, so adding a command touches no
shared file.

Failures: an ``ActionVOSError`` or a system ``OSError`` (full disk, read-only folder) is
printed as one line; any other exception is a bug and keeps its traceback (see
``_failures``).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from actionvos import __version__
from actionvos.cli._failures import describe_failure, is_environment_error, report_bug
from actionvos.errors import ActionVOSError

EXIT_BUG = 70  # EX_SOFTWARE: an internal error, as sysexits.h numbers it


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="actionvos",
        description="ActionVOS: segment the objects involved in a human action, headless.",
    )
    parser.add_argument("--version", action="version", version=f"actionvos {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except ActionVOSError as exc:
        print(f"actionvos {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"actionvos {args.command}: cancelled", file=sys.stderr)
        return 130
    except Exception as exc:
        if is_environment_error(exc):
            print(f"actionvos {args.command}: error: {describe_failure(exc)}", file=sys.stderr)
            return 1
        report_bug(args.command)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
