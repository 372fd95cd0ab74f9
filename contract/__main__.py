"""`python -m contract` (what `make contract` runs).

Starts one Prism per spec file in ``$ZOOM_SPEC_DIR`` on loopback, runs every
action of the built catalog through ``Toolkit`` against it, prints the
verdict (with a table per product) and writes the full report as JSON.
``--product``/``--only`` narrow the run, ``--sample K --whole PRODUCT``
thins it for CI (``contract/selection.py``). Exit status: 0 when every action
checked is conformant or covered by the allow-list and no allow-list entry is
stale for an action checked, 1 otherwise, 2 when the check could not run.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

from . import check, prism, selection


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m contract", description=__doc__.splitlines()[0])
    p.add_argument("--spec-dir", type=Path, default=None, help="Zoom's spec files (default: $ZOOM_SPEC_DIR)")
    p.add_argument("--catalog", type=Path, default=None,
                   help="built catalog (default: $ZOOM_ACTIONS_DIR or actions/)")
    p.add_argument("--only", action="append", help="check only this action (repeatable)")
    p.add_argument("--product", action="append", help="check only this product (repeatable)")
    p.add_argument("--sample", type=int, metavar="K", default=None,
                   help="check a deterministic sample: every K-th operation of each product, every allow-listed "
                        "action and every download (see contract/selection.py)")
    p.add_argument("--whole", action="append", default=[], metavar="PRODUCT",
                   help="with --sample: check this product entire (repeatable)")
    p.add_argument("--concurrency", type=int, default=6, help="actions in flight at once (default 6)")
    p.add_argument("--allowlist", type=Path, default=check.ALLOWLIST)
    p.add_argument("--report", type=Path, default=Path("build/contract-report.json"),
                   help="where to write the JSON report (default: build/contract-report.json)")
    p.add_argument("--dynamic", action="store_true",
                   help="let Prism generate responses from the schemas instead of Zoom's examples")
    p.add_argument("-v", "--verbose", action="store_true", help="print each action's verdict as it comes")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from zoom_actions.codegen import sources
    from zoom_actions.catalog import CatalogNotBuilt, load_catalog

    spec_dir = (args.spec_dir or sources.default_spec_dir())
    if spec_dir is None:
        print("error: set ZOOM_SPEC_DIR (or pass --spec-dir) to the directory holding Zoom's spec files",
              file=sys.stderr)
        return 2
    try:
        catalog = load_catalog(args.catalog)
        files = sources.locate(spec_dir.resolve(), download=False)
        allow = check.load_allowlist(args.allowlist)
    except (CatalogNotBuilt, sources.SpecNotFound, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    built_from = {p: s.get("sha256") for p, s in catalog.index.get("specs", {}).items()}
    stale = [f.source["id"] for f in files if built_from.get(f.source["id"]) not in (None, f.sha256)]
    if stale:
        print(f"error: the catalog was built from other spec files than {spec_dir} for {', '.join(stale)}: "
              "run `zoom-actions generate` first", file=sys.stderr)
        return 2

    if args.whole and args.sample is None:
        print("error: --whole names the products a --sample run checks entire; add --sample K", file=sys.stderr)
        return 2
    try:
        names = selection.operations(catalog, products=args.product, names=args.only)
        if args.sample is not None:
            catalog.product_set(args.whole or None)   # an unknown --whole id is an error naming the valid ones
            names = selection.sample(catalog, names, args.sample, whole=args.whole,
                                     always=[a for e in allow for a in check.entry_actions(e)])
    except ValueError as exc:   # UnknownProduct too
        print(f"error: {exc}", file=sys.stderr)
        return 2
    actions = [catalog.get(n) for n in names]
    specs = {f.source["id"]: f.path for f in files if any(a["product"] == f.source["id"] for a in actions)}
    t0 = check.now()
    try:
        with prism.serve(specs, dynamic=args.dynamic) as servers:
            started = check.now() - t0
            print(f"contract: Prism {', '.join(f'{p} on :{s.port}' for p, s in servers.items())} "
                  f"ready in {started:.1f}s; checking {len(actions)} actions", file=sys.stderr)

            def progress(res: check.ActionResult) -> None:
                check.apply_allowlist([res], allow)
                if args.verbose or res.status == "failing":
                    print(f"  {res.status:12} {res.name}", file=sys.stderr)

            results = check.run(actions, {p: s.url for p, s in servers.items()},
                                concurrency=args.concurrency, catalog=catalog, progress=progress)
    except prism.PrismUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    # an entry is stale for each action it names that was checked and that it no longer covers, and for
    # each name the catalog does not hold (an action renamed or gone)
    checked = {r.name for r in results}
    stale_entries = []
    for e in check.apply_allowlist(results, allow):
        gone = [a for a in check.entry_actions(e) if a in checked or a not in catalog]
        if gone:
            stale_entries.append({**{k: v for k, v in e.items() if k not in ("action", "actions")}, "actions": gone})
    report = check.summary(results, stale_entries, check.now() - t0)
    report["prism_startup_seconds"] = round(started, 1)
    # where the CPU went: this process (inputs, toolkit, relays, schema checks) and the Prism processes
    me, prisms = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    report["cpu_seconds"] = {"harness": round(me.ru_utime + me.ru_stime, 1),
                             "prism": round(prisms.ru_utime + prisms.ru_stime, 1)}
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report, indent=1) + "\n")
    print(check.render(report))
    print(f"contract: wall {report['seconds']}s (Prism ready in {report['prism_startup_seconds']}s), CPU "
          f"{report['cpu_seconds']['harness']}s here + {report['cpu_seconds']['prism']}s in Prism, "
          f"concurrency {args.concurrency}", file=sys.stderr)
    return 1 if report["failing"] or stale_entries else 0


if __name__ == "__main__":
    sys.exit(main())
