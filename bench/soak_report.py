"""soak.py's verdict: slopes after the warm-up, the checks, a summary JSON and the PNG."""
import json
import math
import os

from soak import P99_RATIO, RSS_LIMIT_MB_PER_H, log, ms, pct


SHORT_RUN_RSS_MB = 1.0
SHORT_RUN_P99_SLACK_S = 0.005


def slope(points):
    """Least-squares slope of (x, y) points and its standard error (None if under 3 points)."""
    n = len(points)
    if n < 3:
        return None, None
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None, None
    b = sum((x - mx) * (y - my) for x, y in points) / sxx
    resid = sum((y - my - b * (x - mx)) ** 2 for x, y in points)
    return b, math.sqrt(resid / (n - 2) / sxx)


def check(soak, t0, rows, after):
    minutes = soak.a.minutes
    warm = min(300.0, minutes * 60 * 0.4)
    window = min(600.0, minutes * 60 * 0.25)
    end = rows[-1]["t_s"] if rows else 0
    steady = [r for r in rows if r["t_s"] >= warm]
    results = []

    def verdict(name, ok, detail):
        results.append({"check": name, "ok": ok, "detail": detail})
        log("%s  %-12s %s" % ("PASS" if ok else "FAIL", name, detail))

    # RSS: MB per hour after the warm-up. Under 30 minutes the allocator's settling swamps a
    # 2 MB/h slope, so a short run checks absolute growth instead (a leak still shows there).
    b, se = slope([(r["t_s"] / 3600, r["rss_kb"] / 1024) for r in steady])
    if b is None:
        verdict("rss", False, "too few samples after the %.0f s warm-up" % warm)
    elif minutes >= 30:
        verdict("rss", b <= RSS_LIMIT_MB_PER_H, "%+.2f MB/h (± %.2f, 2 SE) after the %.0f s warm-up, limit %.0f MB/h"
                % (b, 2 * se, warm, RSS_LIMIT_MB_PER_H))
    else:
        grown = (steady[-1]["rss_kb"] - steady[0]["rss_kb"]) / 1024
        verdict("rss", grown <= SHORT_RUN_RSS_MB,
                "%+.2f MB after the %.0f s warm-up (limit %.0f MB in a run under 30 min; slope %+.1f MB/h "
                "± %.1f is not measurable this short)" % (grown, warm, SHORT_RUN_RSS_MB, b, 2 * se))
    fb, fse = slope([(r["t_s"] / 3600, r["fds_less_pool"]) for r in steady])
    if fb is not None:
        log("      fd-slope     %+.1f descriptors/h (± %.1f), less the upstream pool" % (fb, 2 * fse))

    # Back to baseline once the load stops.
    base = soak.baseline
    verdict("drain", after["conns"] == 0 and after["fds_less_pool"] <= base["fds_less_pool"],
            "after the load: %d connections (baseline %d), %d descriptors less the pool of %d "
            "(baseline %d), %d threads (baseline %d)" % (
                after["conns"], base["conns"], after["fds_less_pool"], after["upstream"],
                base["fds_less_pool"], after["threads"], base["threads"]))

    # p99: the last window against the first one after the warm-up.
    with soak.lock:
        lat = [(t - t0, v) for t, v in soak.done]
    first = [v for t, v in lat if warm <= t < warm + window]
    last = [v for t, v in lat if end - window <= t <= end]
    p_first, p_last = pct(first, 99), pct(last, 99)
    if p_first and p_last:
        # A short run's windows hold ~1,000 pages each, so their p99 is a handful of requests:
        # there a few milliseconds of scheduling noise are let through as well.
        slack = 0.0 if minutes >= 30 else SHORT_RUN_P99_SLACK_S
        verdict("p99", p_last <= max(P99_RATIO * p_first, p_first + slack),
                "last %.0f s %.1f ms vs first %.0f s after warm-up %.1f ms: %.2fx (limit %.1fx%s)" % (
                    window, ms(p_last), window, ms(p_first), p_last / p_first, P99_RATIO,
                    ", or +%.0f ms in a run under 30 min" % (slack * 1000) if slack else ""))
    else:
        verdict("p99", False, "no pages answered in a window")

    # Errors, process, log.
    log_text = open(soak.log_path, errors="replace").read()
    verdict("errors", not soak.errors, "%d unexpected; %d pages, %d slow pages, %d resets seen as cut transfers"
            % (len(soak.errors), soak.counts["page"], soak.counts["slow"], soak.counts["reset_cut"]))
    verdict("alive", soak.ts.poll() is None and "panicked" not in log_text,
            "process %s, %d panics in its log" % ("alive" if soak.ts.poll() is None else "gone",
                                                  log_text.count("panicked")))

    all_lat = [v for _, v in lat]
    summary = {"minutes": minutes, "rate": soak.a.rate, "warmup_s": warm, "window_s": window,
               "rss_mb_start": rows[0]["rss_kb"] / 1024 if rows else None,
               "rss_mb_end": rows[-1]["rss_kb"] / 1024 if rows else None,
               "rss_slope_mb_per_h": b, "rss_slope_2se": 2 * se if se is not None else None,
               "p50_ms": ms(pct(all_lat, 50)), "p99_ms": ms(pct(all_lat, 99)),
               "p99_first_ms": ms(p_first), "p99_last_ms": ms(p_last), "pages": soak.counts["page"],
               "errors": len(soak.errors), "checks": results}
    with open(os.path.join(soak.work, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    plot(soak, rows, warm)
    return all(r["ok"] for r in results)


def plot(soak, rows, warm):
    import plot_png
    mins = lambda r: r["t_s"] / 60  # noqa: E731
    panels = [
        {"title": "RSS (MB)", "x_label": "minutes", "vspan": (0, warm / 60),
         "series": [{"name": "rss", "points": [(mins(r), r["rss_kb"] / 1024) for r in rows], "color": (30, 90, 200)}]},
        {"title": "page latency (ms), per 10 s", "x_label": "minutes", "vspan": (0, warm / 60),
         "series": [{"name": "p99", "points": [(mins(r), r["p99_ms"]) for r in rows], "color": (200, 60, 30)},
                    {"name": "p50", "points": [(mins(r), r["p50_ms"]) for r in rows], "color": (40, 150, 60)}]},
    ]
    path = os.path.join(soak.work, "soak.png")
    plot_png.chart(path, panels, title="trackstrip soak: %.0f min at %.0f req/s" % (soak.a.minutes, soak.a.rate))
    log("# plot: %s" % path)
