"""What a load run measured, from the stand-in's counters and the workers' records, and its Markdown.

The rates, the 429s, the token fetches and the POSTs come from the
stand-in (what reached "Zoom"); the outcomes and latencies from the
workers' envelopes. Steady state starts one second after the start (the
first burst is the warm-up; each worker also makes one call before the start).
"""

from __future__ import annotations

import re
from collections import Counter
from statistics import median

from zoom_actions.limiter import PLANS

from .harness import RunResult, expected_seconds

WARMUP = 1.0
RATE_GOAL = 0.90
RECOVERY_GOAL = 10.0

# envelope error -> why, first match wins; anything else is "unclassified" (a failure that does not say why)
REASONS = [
    ("client-side: per-user daily cap", r"not sent: the daily cap of meeting and webinar creates|"
                                        r"not sent: the daily cap of creates and updates for the host"),
    ("client-side: account daily cap", r"not sent: the account's daily cap"),
    ("client-side: next slot past the deadline", r"not sent: the next free slot"),
    ("client-side: limiter's Redis unreachable", r"rate limiter's Redis is unreachable"),
    ("Zoom 429: daily limit", r"HTTP 429 .*daily rate limit"),
    ("Zoom 429: per-second limit", r"HTTP 429 .*per-second rate limit"),
    ("token", r"access token|credential was rejected|token endpoint"),
    ("store unreachable", r"store at .* is unreachable"),
    ("transport", r"could not connect|connection failed|did not answer in time"),
    ("deadline", r"deadline"),
    ("internal error", r"^Internal error"),
    ("load worker", r"^load worker"),
    ("other HTTP error", r"HTTP \d{3}"),
]


def reason(error: str | None) -> str:
    for name, pattern in REASONS:
        if error and re.search(pattern, error):
            return name
    return "unclassified"


def max_in_window(times: list[float], window: float) -> int:
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while times[lo] <= t - window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def summarize(result: RunResult) -> dict:
    cfg, stats, t0 = result.config, result.stats, result.started
    labels = {r["name"]: r["label"] for r in stats["routes"]}
    limits = PLANS[cfg.plan]
    refused = stats["refused"]
    out: dict = {"name": cfg.name, "config": cfg, "seconds": result.ended - t0, "expected": expected_seconds(cfg)}
    # --- outcomes ---
    recs = result.records
    failed = [r for r in recs if not r["ok"]]
    out["planned"] = sum(sum(c.values()) for c in result.counts)
    out["calls"], out["ok"], out["failed"] = len(recs), len(recs) - len(failed), len(failed)
    out["reasons"] = Counter(reason(r["error"]) for r in failed)
    out["unclassified"] = [r["error"] for r in failed if reason(r["error"]) == "unclassified"][:5]
    out["examples"] = {}
    for r in failed:
        out["examples"].setdefault(reason(r["error"]), r["error"])
    lat = [r["t1"] - r["t0"] for r in recs if r["ok"]]
    out["p50"], out["p99"] = _pct(lat, 0.5), _pct(lat, 0.99)
    # --- 429s ---
    out["429"] = len(refused)
    out["429_steady"] = sum(1 for t, _, _ in refused if t >= t0 + WARMUP)
    out["429_by"] = Counter(f"{label} {kind}" for _, label, kind in refused)
    out["429_first"] = [(t - t0, label) for t, label, _ in refused[:8]]
    out["lag_max"] = max((lag for _, lag in stats.get("lags", [])), default=0.0)
    # --- rates per label ---
    rows = []
    for label, (limit, window) in limits.items():
        served = sorted(stats["served"].get(label, []))
        arrived = sorted(served + [t for t, lb, kind in refused if lb == label and kind == "QPS"])
        row = {"label": label, "cap": limit, "window": window, "served": len(served),
               "max_window": max_in_window(arrived, window) if arrived else 0,
               "p50": median([r["t1"] - r["t0"] for r in recs if r["ok"] and labels.get(r["name"]) == label] or [0])}
        if window <= 1.0 and served:
            a, b = t0 + WARMUP, served[-1]
            n = sum(1 for t in served if a < t <= b)
            row["rate"] = n / (b - a) if b - a >= 1.0 else None
        else:
            row["rate"] = None   # a minute's cap in a shorter run: what counts is its count in the first minute
            row["first_window"] = sum(1 for t in served if t < t0 + window)
        rows.append(row)
    out["labels"] = rows
    # --- tokens and POSTs ---
    out["token_fetches"], out["token_lifetimes"] = stats["token_fetches"], 1 + stats["revocations"]
    received, applied = stats["posts_received"], stats["posts_applied"]
    out["posts_planned"] = sum(c["create_own"] + c["create_busy"] + c["group"] for c in result.counts)
    out["posts_received"], out["posts_applied"] = len(received), len(applied)
    out["posts_resent"] = sum(1 for n in received.values() if n > 1)   # after a 429 or a 401: Zoom did nothing
    out["posts_applied_twice"] = sum(1 for n in applied.values() if n > 1)
    out["served_ok"] = sum(n for code, n in stats["status"].items() if 200 <= int(code) < 300)
    # --- faults ---
    if result.faults:
        out["faults"] = _faults(result, recs)
    return out


def _faults(result: RunResult, recs: list[dict]) -> dict:
    f, t0 = dict(result.faults), result.started
    killed = f.get("killed_worker")
    if "redis_up_at" in f:
        up, down = t0 + f["redis_up_at"], t0 + f["redis_down_at"]
        back = []
        for w in {e["worker"] for e in result.events} - {killed}:
            shared = [e["t"] for e in result.events if e["worker"] == w and e["event"] == "shared" and e["t"] >= up]
            degraded = [e for e in result.events if e["worker"] == w and e["event"] == "degraded"]
            if degraded:
                back.append((shared[0] - up) if shared else None)
        f["workers_degraded"] = len(back)
        f["recovery"] = None if not back or None in back else max(back)
        f["429_outage"] = sum(1 for t, _, _ in result.stats["refused"] if down <= t < up + (f["recovery"] or 0))
        f["429_after"] = sum(1 for t, _, _ in result.stats["refused"] if t >= up + (f["recovery"] or 0))
        f["failed_outage"] = sum(1 for r in recs if not r["ok"] and down <= r["t1"] < up + (f["recovery"] or 0))
    f["killed_calls_made"] = sum(1 for r in recs if r["worker"] == killed)
    f["exit_codes"] = result.exit_codes
    return f


# --- Markdown -----------------------------------------------------------------------------

def _num(x, fmt="{:.1f}") -> str:
    return "n/a" if x is None else fmt.format(x)


def _ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def render_run(s: dict) -> list[str]:
    cfg = s["config"]
    lines = [f"## {s['name']}", "",
             f"{cfg.workers} worker processes x {cfg.calls} calls, plan `{cfg.plan}`, limiter "
             f"{'on (Redis)' if cfg.limiter else 'off'}{', with faults' if cfg.faults else ''}; "
             f"{s['seconds']:.1f} s (paced, the slowest label needs about {s['expected']:.1f} s).", "",
             "| measure | value |", "|---|---:|",
             f"| calls planned / made / ok / failed | {s['planned']} / {s['calls']} / {s['ok']} / {s['failed']} |",
             f"| 429s received (all / steady state, after {WARMUP:.0f} s) | {s['429']} / {s['429_steady']} |",
             f"| token fetches / token lifetimes | {s['token_fetches']} / {s['token_lifetimes']} |",
             f"| latency of successful calls, p50 / p99 (pacing waits included) | {_ms(s['p50'])} / {_ms(s['p99'])} |",
             f"| POSTs planned / received / applied | {s['posts_planned']} / {s['posts_received']} / "
             f"{s['posts_applied']} |",
             f"| POSTs applied twice / sent again after Zoom refused them (429, or 401 for a revoked token) | "
             f"{s['posts_applied_twice']} / "
             f"{s['posts_resent']} |", ""]
    if s["429_by"]:
        lines += ["429s by label and type: " + ", ".join(f"{k}: {v}" for k, v in sorted(s["429_by"].items()))
                  + "; the first at " + ", ".join(f"{t:.2f} s ({label})" for t, label in s["429_first"]) + ".", ""]
    if s["lag_max"]:
        lines += [f"The stand-in's event loop woke up to {s['lag_max'] * 1000:.0f} ms late at times (it times a "
                  "request when it handles it, so a late loop bunches arrivals).", ""]
    lines += ["| label | cap | served | steady rate | of cap | most in any window (sent, incl. refused) | "
              "p50 of ok calls |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in s["labels"]:
        per = "/s" if r["window"] <= 1.0 else f" per {r['window']:.0f} s"
        if r["rate"] is not None:
            rate, of = f"{r['rate']:.1f}/s", f"{r['rate'] / r['cap']:.0%}"
        elif "first_window" in r:
            rate, of = f"{r['first_window']} in the first {r['window']:.0f} s", f"{r['first_window'] / r['cap']:.0%}"
        else:
            rate, of = "n/a", "n/a"
        lines.append(f"| {r['label']} | {r['cap']}{per} | {r['served']} | {rate} | {of} | {r['max_window']} | "
                     f"{r['p50'] * 1000:.0f} ms |")
    lines.append("")
    if s["reasons"]:
        lines += ["Failed calls by reason (from the envelope's error): "
                  + ", ".join(f"{k}: {v}" for k, v in s["reasons"].most_common()), ""]
    for why, error in s["examples"].items():
        lines.append(f"- {why}, for example: `{error[:300]}`")
    if s["examples"]:
        lines.append("")
    if s["unclassified"]:
        lines += ["Unclassified failures (first few): " + "; ".join(f"`{e[:160]}`" for e in s["unclassified"]), ""]
    f = s.get("faults")
    if f:
        lines += ["Faults: " + "; ".join([
            f"worker {f['killed_worker']} killed (SIGKILL) at {f['kill_at']:.1f} s after "
            f"{f['killed_calls_made']} calls",
            f"Redis killed at {f['redis_down_at']:.1f} s and started again at {f['redis_up_at']:.1f} s",
            f"token revoked at {f['revoke_at']:.1f} s"]) + ".", "",
            f"After Redis came back, every live worker's limiter decided on Redis again within "
            f"{_num(f.get('recovery'), '{:.2f}')} s ({f.get('workers_degraded', 0)} workers had fallen back to "
            f"in-process pacing at their share of the limits). 429s while Redis was out and until recovery: "
            f"{f.get('429_outage', 'n/a')}; after recovery: {f.get('429_after', 'n/a')}. Calls failed in the "
            f"outage: {f.get('failed_outage', 'n/a')}. Worker exit codes: {f['exit_codes']}.", ""]
    return lines


def goals(runs: dict[str, dict]) -> list[tuple[str, str, bool | None]]:
    out = []
    on, off, faults = runs.get("on"), runs.get("off"), runs.get("faults")
    if on:
        n = on["config"].workers
        out.append((f"{n} workers at the {on['config'].plan} plan: 0 429s at steady state",
                    f"{on['429_steady']} (all: {on['429']})", on["429_steady"] == 0))
        low = [r for r in on["labels"] if r["rate"] is not None and r["rate"] < RATE_GOAL * r["cap"]]
        rates = ", ".join(f"{r['label']} {r['rate'] / r['cap']:.0%}" for r in on["labels"] if r["rate"] is not None)
        ri = [r for r in on["labels"] if "first_window" in r]
        rates += "".join(f", {r['label']} {r['first_window']}/{r['cap']} in its first minute" for r in ri)
        ok = not low and all(r["first_window"] >= RATE_GOAL * r["cap"] for r in ri)
        out.append((f"each label's aggregate rate at least {RATE_GOAL:.0%} of its cap (steady state)", rates, ok))
        over = [r for r in on["labels"] if r["max_window"] > r["cap"]]
        out.append(("never above the cap (most requests sent in any window)",
                    ", ".join(f"{r['label']} {r['max_window']}/{r['cap']}" for r in on["labels"]), not over))
        out.append(("1 token fetch per token lifetime (limiter on)",
                    f"{on['token_fetches']} fetches, {on['token_lifetimes']} lifetimes",
                    on["token_fetches"] == on["token_lifetimes"]))
    if off:
        out.append(("limiter off, for comparison: the 429s it costs",
                    f"{off['429']} 429s ({off['429_steady']} at steady state), {off['failed']} calls failed", None))
    if faults:
        f = faults["faults"]
        out.append(("faults: no POST applied twice", f"{faults['posts_applied_twice']} of {faults['posts_applied']} "
                    f"applied ({faults['posts_resent']} sent again after Zoom refused them unapplied)",
                    faults["posts_applied_twice"] == 0))
        bad = faults["reasons"].get("unclassified", 0)
        out.append(("faults: every failure an envelope that says why",
                    f"{faults['failed']} failed, {bad} unclassified, {faults['reasons'].get('internal error', 0)} "
                    "internal errors", bad == 0 and faults["reasons"].get("internal error", 0) == 0))
        rec = f.get("recovery")
        out.append((f"faults: recovery within {RECOVERY_GOAL:.0f} s of Redis coming back", _num(rec, "{:.2f} s"),
                    rec is not None and rec <= RECOVERY_GOAL))
        out.append(("faults: 1 token fetch per token lifetime (one revocation)",
                    f"{faults['token_fetches']} fetches, {faults['token_lifetimes']} lifetimes",
                    faults["token_fetches"] == faults["token_lifetimes"]))
    return out


def render(runs: dict[str, dict], header: str) -> str:
    lines = ["# Load: many workers on one Zoom account", "", header, "", "## Goals", "",
             "| goal | measured | result |", "|---|---|---|"]
    for text, measured, met in goals(runs):
        lines.append(f"| {text} | {measured} | {({True: 'met', False: '**missed**', None: 'reported'})[met]} |")
    lines.append("")
    for s in runs.values():
        lines += render_run(s)
    return "\n".join(lines).rstrip() + "\n"
