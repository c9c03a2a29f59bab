"""The benchmark's summary: medians of the repeats, the targets, a Markdown page, a plot."""
import os
import statistics
from pathlib import Path

START = "<!-- bench:results:start (written by bench/bench.py; edits here are replaced) -->"
END = "<!-- bench:results:end -->"
MEDIAN_FIELDS = [
    "joined", "join_s", "join_client_p50_ms", "join_client_p95_ms", "announcements",
    "announcements_expected", "join_server_cpu_s", "join_generator_cpu_s", "delivered",
    "expected", "loss", "disconnects", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
    "latency_max_ms", "deliveries_per_s", "server_cpu_s", "server_cpu_us_per_delivery",
    "generator_busy_max", "server_busy_max", "machine_busy", "other_cpu_s",
    "generator_cpu_us_per_delivery", "busiest_us_per_delivery", "projected_capacity_per_s",
]
EVENTLET_SINGLE = ["part2", "part3"]  # one eventlet worker: python app.py, the Procfile
GUARD_TARGET = 1.2  # issue 32: the chat behind the guard, against the chat alone


# --- numbers ----------------------------------------------------------------------------
def summarize(report):
    """{scenario: {server: medians of the repeats, plus the worst loss and failures}}."""
    summary = {}
    for run in report["runs"]:
        summary.setdefault(run["scenario"], {}).setdefault(run["server"], []).append(run)
    for by_server in summary.values():
        for server, runs in by_server.items():
            medians = {name: statistics.median(r[name] for r in runs) for name in MEDIAN_FIELDS}
            medians["repeats"] = len(runs)
            medians["clients"] = runs[0]["clients"]
            medians["worst_loss"] = max(r["loss"] for r in runs)
            medians["worst_joined"] = min(r["joined"] for r in runs)
            medians["generator_cpu_s"] = statistics.median(sum(r["generator_cpu_s"])
                                                           for r in runs)
            medians["server_cpu_parts"] = {
                part: statistics.median(r["server_cpu_parts"].get(part, 0) for r in runs)
                for part in runs[0]["server_cpu_parts"]}
            medians["users_per_worker"] = runs[0]["users_per_worker"]
            by_server[server] = medians
    summary["targets"] = targets(summary)
    return summary


def targets(summary):
    """The issue's three targets, judged from the medians (and the worst repeat)."""
    result = []
    big = summary.get("C1000", {})
    checked = {k: v for k, v in big.items() if k in EVENTLET_SINGLE}
    if checked:
        met = all(v["worst_joined"] == v["clients"] and v["worst_loss"] == 0
                  for v in checked.values())
        detail = "; ".join(f"{k}: worst repeat {v['worst_joined']}/{v['clients']} joined, "
                           f"loss {v['worst_loss']}" for k, v in checked.items())
        result.append({"target": "1,000 clients in one room on one eventlet worker: all "
                                 "connected, zero loss", "met": met, "detail": detail})
    fan = summary.get("B", {})
    if "bare" in fan and any(k in fan for k in EVENTLET_SINGLE):
        bare = fan["bare"]["server_cpu_us_per_delivery"]
        ratios = {k: fan[k]["server_cpu_us_per_delivery"] / bare
                  for k in EVENTLET_SINGLE + ["part3-gevent"] if k in fan}
        met = ratios.get("part2", ratios.get("part3")) <= 1.3
        detail = f"bare {bare:.1f} µs/delivery; " + "; ".join(
            f"{k} {fan[k]['server_cpu_us_per_delivery']:.1f} µs = {r:.2f}×"
            for k, r in ratios.items())
        result.append({"target": "our handlers cost at most 1.3× the bare server's CPU per "
                                 "delivery (scenario B, part2 against bare: same eventlet "
                                 "server)", "met": met, "detail": detail})
    guard = guard_target(summary.get("G", {}))
    if guard:
        result.append(guard)
    scaled = summary.get("D", {})
    if "part4-1w" in scaled and "part4-2w" in scaled:
        one, two = scaled["part4-1w"], scaled["part4-2w"]
        ratio = two["deliveries_per_s"] / max(one["deliveries_per_s"], 1e-9)
        generator_bound = max(one["generator_busy_max"], two["generator_busy_max"]) > 0.85
        machine_bound = max(one["machine_busy"], two["machine_busy"]) > 0.85
        projected = two["projected_capacity_per_s"] / max(one["projected_capacity_per_s"], 1e-9)
        detail = (f"{one['deliveries_per_s']:.0f}/s with 1 worker, "
                  f"{two['deliveries_per_s']:.0f}/s with 2: {ratio:.2f}×. Busiest generator "
                  f"process {one['generator_busy_max']:.0%} / {two['generator_busy_max']:.0%} "
                  f"of a core, busiest server process {one['server_busy_max']:.0%} / "
                  f"{two['server_busy_max']:.0%}, whole machine {one['machine_busy']:.0%} / "
                  f"{two['machine_busy']:.0%} busy")
        detail += (f". Projected from CPU per delivery (the busiest process at 100% of a "
                   f"core of its own): {one['projected_capacity_per_s']:,.0f}/s and "
                   f"{two['projected_capacity_per_s']:,.0f}/s, {projected:.2f}×")
        if generator_bound or machine_bound:
            met = None  # not established: the load generator or the machine was the limit
            detail += (". Not established by measurement: the " + (
                "generator" if generator_bound else "machine (all cores, shared by the "
                "generator and the server)") + " was the bottleneck, not the chat processes")
        else:
            met = ratio >= 1.6
        result.append({"target": "part4 with 2 workers delivers at least 1.6× the fan-out of "
                                 "1 worker (when the generator is not the bottleneck)",
                       "met": met, "detail": detail})
    return result


def guard_cost(medians):
    """The chat's and the guard's CPU per delivery (µs), from the medians of a run."""
    parts, delivered = medians["server_cpu_parts"], max(medians["delivered"], 1)
    return {part: seconds / delivered * 1e6 for part, seconds in parts.items()}


def guard_target(by_server):
    """Scenario G: what the guard adds to the CPU the chat costs per delivered message."""
    if not ("part2" in by_server and "part2-guard" in by_server):
        return None
    alone = by_server["part2"]["server_cpu_us_per_delivery"]
    guarded = by_server["part2-guard"]["server_cpu_us_per_delivery"]
    ratio = guarded / max(alone, 1e-9)
    parts = guard_cost(by_server["part2-guard"])
    detail = (f"part2 alone {alone:.1f} µs per delivery, behind the guard {guarded:.1f} µs "
              f"(the chat {parts['server']:.1f} + the guard {parts['guard']:.1f}): "
              f"{ratio:.2f}×")
    return {"target": f"the chat behind the guard costs at most {GUARD_TARGET:g}× the CPU "
                      "per delivery of the chat alone (scenario G: chat and guard processes "
                      "together)", "met": ratio <= GUARD_TARGET, "detail": detail}


def verdict(met):
    return {True: "met", False: "missed", None: "not established"}[met]


# --- text -------------------------------------------------------------------------------
def fmt(value, digits=0):
    return f"{value:,.{digits}f}"


def tables(report):
    """Markdown tables of the medians, one per kind of scenario."""
    summary, servers = report["summary"], report["servers"]
    scenarios = {s["key"]: s for s in report["scenarios"]}
    out = []

    def label(key):
        return f"{servers[key]['label']}"

    latency = [k for k in scenarios if k in ("A", "tiny")]
    fanout = [k for k in scenarios if k in ("B", "D", "G")]
    joins = [k for k in scenarios if k.startswith("C")]
    for key in latency:
        out += [f"**{key}: {scenarios[key]['title']}** ({scenarios[key]['describe']})", "",
                "| server | joined | delivered / expected | latency p50 | p95 | p99 | max "
                "| server CPU per delivery |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for server, m in summary[key].items():
            out.append(f"| {label(server)} | {fmt(m['joined'])}/{m['clients']} "
                       f"| {fmt(m['delivered'])} / {fmt(m['expected'])} "
                       f"| {fmt(m['latency_p50_ms'], 1)} ms | {fmt(m['latency_p95_ms'], 1)} ms "
                       f"| {fmt(m['latency_p99_ms'], 1)} ms | {fmt(m['latency_max_ms'], 1)} ms "
                       f"| {fmt(m['server_cpu_us_per_delivery'], 1)} µs |")
        out.append("")
    for key in fanout:
        out += [f"**{key}: {scenarios[key]['title']}** ({scenarios[key]['describe']})", "",
                "| server | delivered / expected | deliveries/s | server CPU per delivery "
                "| generator CPU per delivery | latency p50 / p99 | busy: busiest server "
                "process / busiest generator process / whole machine "
                "| projected: busiest server process alone on a core |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for server, m in summary[key].items():
            out.append(f"| {label(server)} | {fmt(m['delivered'])} / {fmt(m['expected'])} "
                       f"| {fmt(m['deliveries_per_s'])} "
                       f"| {fmt(m['server_cpu_us_per_delivery'], 1)} µs "
                       f"| {fmt(m['generator_cpu_us_per_delivery'], 1)} µs "
                       f"| {fmt(m['latency_p50_ms'])} / {fmt(m['latency_p99_ms'])} ms "
                       f"| {m['server_busy_max']:.0%} / {m['generator_busy_max']:.0%} / "
                       f"{m['machine_busy']:.0%} "
                       f"| {fmt(m['projected_capacity_per_s'])}/s |")
        out.append("")
    if joins:
        out += ["**C: connect and join** (users connect in waves of 100; a wave starts when "
                "the joins before it have been announced to the room)", "",
                "| server | clients | joined | connect+join (all announced) "
                "| one user's connect+join p50 / p95 | join announcements | server CPU "
                "| generator CPU | then 10 messages: delivered / expected |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for key in joins:
            for server, m in summary[key].items():
                out.append(f"| {label(server)} | {fmt(m['clients'])} | {fmt(m['joined'])} "
                           f"| {fmt(m['join_s'], 1)} s "
                           f"| {fmt(m['join_client_p50_ms'])} / {fmt(m['join_client_p95_ms'])}"
                           f" ms | {fmt(m['announcements'])} / "
                           f"{fmt(m['announcements_expected'])} "
                           f"| {fmt(m['join_server_cpu_s'], 1)} s "
                           f"| {fmt(m['join_generator_cpu_s'], 1)} s "
                           f"| {fmt(m['delivered'])} / {fmt(m['expected'])} |")
        out.append("")
    if "D" in summary:
        out += ["CPU of part4's processes in scenario D (message phase, medians):", "",
                "| setup | users per chat process | chat processes | redis-server | nginx |",
                "|---|---|---:|---:|---:|"]
        for server, m in summary["D"].items():
            parts = m["server_cpu_parts"]
            workers = sum(v for k, v in parts.items() if k.startswith("worker"))
            spread = ", ".join(str(n) for n in sorted(m["users_per_worker"].values(),
                                                      reverse=True)) or "-"
            out.append(f"| {label(server)} | {spread} | {fmt(workers, 2)} s "
                       f"| {fmt(parts.get('redis', 0), 2)} s "
                       f"| {fmt(parts.get('nginx', 0), 2)} s |")
        out.append("")
    return out


def machine_lines(report):
    m = report["machine"]
    return [f"- Machine: {m['cpu']}, {m['cores']} cores; {m['system']}; Python {m['python']}",
            f"- Run: {m['date']}, set `{report['set']}`, {report['repeats']} repeat(s) of every "
            f"scenario (medians quoted), servers interleaved, {report['generators']} load "
            f"generator processes, {report['elapsed_s']:.0f} s in all",
            f"- Load average before / after: {' '.join(m['loadavg_before'])} / "
            f"{' '.join(m.get('loadavg_after', []))} (1, 5, 15 minutes)",
            "- The chat's rate limit was raised for the benchmark: "
            + ", ".join(f"`{k}={v}`" for k, v in report["rate_limit_env"].items())
            + "; `SECRET_KEY` was set"]


DISTURBED = 0.2  # as in bench.py: other processes used more than this share of all cores


def busy_note(report):
    """Whether other work disturbed the run, from the machine's busy time (/proc/stat)."""
    runs = report["runs"]
    if not runs:
        return ""
    again = [r for r in runs if r["attempts"] > 1]
    busy = [r for r in runs if r["disturbance"] > DISTURBED]
    worst = max(r["disturbance"] for r in runs)
    if not again and not busy:
        return (f"The machine was otherwise quiet: in no run did other processes use more "
                f"than {DISTURBED:.0%} of it (at most {worst:.0%}).")
    note = (f"**Other work shared the machine**: {len(again)} of {len(runs)} runs were "
            f"disturbed (processes other than the benchmark used more than {DISTURBED:.0%} "
            f"of all cores during a phase) and were run once more; the quieter attempt "
            f"was kept.")
    if busy:
        names = ", ".join(f"{r['scenario']} {r['server']} #{r['repeat']} "
                          f"({r['disturbance']:.0%})" for r in busy)
        note += (f" {len(busy)} of the kept runs were still disturbed: {names}. Such runs "
                 "deliver less per "
                 "second and cost more CPU per delivery; the servers were interleaved so "
                 "that a disturbance does not favour one of them, and the medians damp it.")
    else:
        note += f" Every kept run was quiet (other processes at most {worst:.0%})."
    return note


def text_summary(report):
    lines = ["", "Results (medians):"] + tables(report) + ["Targets:"]
    for t in report["summary"]["targets"]:
        lines.append(f"- {t['target']}: {verdict(t['met']).upper()} ({t['detail']})")
    lines += ["", busy_note(report)]
    return "\n".join(lines)


# --- the page ---------------------------------------------------------------------------
def results_block(report, page, plot):
    lines = [START, ""]
    if report["set"] == "quick":
        lines += ["These are the figures of the quick set (`make bench`): one repeat, "
                  "fewer scenarios and servers; `make bench-full` runs everything three "
                  "times.", ""]
    lines += machine_lines(report) + ["", busy_note(report), ""]
    lines += tables(report)
    lines += ["**Targets**", ""]
    for t in report["summary"]["targets"]:
        lines.append(f"- {t['target']}: **{verdict(t['met'])}**. {t['detail']}.")
    if not report["summary"]["targets"]:
        lines.append("- (this set runs none of the scenarios the targets are judged on)")
    lines.append("")
    if plot:
        lines += plot_lines(report, os.path.relpath(plot, page.parent)) + [""]
    lines.append(END)
    return "\n".join(lines)


def run_name(report):
    """Which run a figure shows: "the quick set of 2026-11-25 16:00"."""
    return f"the {report['set']} set of {report['machine']['date']}"


def plot_lines(report, image):
    """The plot on the page, captioned with its run, and a link to it at full size (a
    phone shows it a third as large)."""
    return [f"[![The plot of {run_name(report)}: latency, server CPU per delivery, join "
            f"time and part4's fan-out]({image})]({image})", "",
            f"*The plot of this run, {run_name(report)}. Open it to see it at full size.*"]


def write_page(report, page, plot=None):
    """Put the results between the page's markers (the rest of the page is left alone);
    a missing page is created with just a title and the results."""
    page = Path(page)
    block = results_block(report, page, plot)
    if page.exists() and START in page.read_text() and END in page.read_text():
        text = page.read_text()
        before, rest = text.split(START, 1)
        after = rest.split(END, 1)[1]
        page.write_text(before + block + after)
    else:
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("# How many students can one laptop serve?\n\n" + block + "\n")


# --- the plot ---------------------------------------------------------------------------
# A page shows the plot about 750 px wide on a desktop, so a font of F points is drawn
# F × 750 / (72 × the figure's width in inches) px high: 11 points on 10 inches, 11.5 px.
FIGURE_SIZE = (10, 8.5)  # inches
FONT_POINTS = 11  # every text of the plot: titles, axes, ticks, legends
NOTE_POINTS = 10  # the figures written on the bars
HEADROOM = 1.3  # the top of a panel whose legend sits above its bars or lines, × the highest


def plot(report, path):
    import matplotlib  # noqa: PLC0415
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    summary, servers = report["summary"], report["servers"]
    plt.rcParams.update({"font.size": FONT_POINTS, "axes.titlesize": FONT_POINTS,
                         "axes.labelsize": FONT_POINTS, "legend.fontsize": FONT_POINTS,
                         "xtick.labelsize": FONT_POINTS, "ytick.labelsize": FONT_POINTS,
                         "figure.titlesize": FONT_POINTS + 1})
    figure, axes = plt.subplots(2, 2, figsize=FIGURE_SIZE)
    figure.suptitle(f"Chat benchmark ({report['set']} set, {report['machine']['cores']} cores, "
                    f"{report['machine']['date']})")

    def labels(keys):
        return [servers[k]["label"] for k in keys]

    ax = axes[0][0]
    latency = summary.get("A") or summary.get("tiny") or {}
    keys = list(latency)
    for offset, (name, field) in enumerate([("p50", "latency_p50_ms"), ("p95", "latency_p95_ms"),
                                            ("p99", "latency_p99_ms")]):
        ax.bar([i + (offset - 1) * 0.27 for i in range(len(keys))],
               [latency[k][field] for k in keys], width=0.27, label=name)
    ax.set_xticks(range(len(keys)), labels(keys), rotation=15)
    ax.set_ylabel("ms")
    ax.set_title("A: message latency (50 users, 50 messages/s)")
    ax.legend(loc="upper center")

    ax = axes[0][1]
    cost = {**summary.get("B", {}), **summary.get("D", {})}
    keys = list(cost)
    bottoms = [0.0] * len(keys)
    for part, color in [("chat process(es)", "tab:blue"), ("nginx", "tab:orange"),
                        ("redis-server", "tab:red")]:
        heights = []
        for k in keys:
            parts, delivered = cost[k]["server_cpu_parts"], max(cost[k]["delivered"], 1)
            if part == "chat process(es)":
                seconds = sum(v for name, v in parts.items() if name not in ("nginx", "redis"))
            else:
                seconds = parts.get(part.removesuffix("-server"), 0)
            heights.append(seconds / delivered * 1e6)
        ax.bar(range(len(keys)), heights, bottom=bottoms, label=part, color=[
            "tab:gray" if k == "bare" and part.startswith("chat") else color for k in keys])
        bottoms = [b + h for b, h in zip(bottoms, heights)]
    for i, total in enumerate(bottoms):
        ax.annotate(f"{total:.1f}", (i, total), ha="center", va="bottom",
                    fontsize=NOTE_POINTS)
    ax.set_xticks(range(len(keys)), labels(keys), rotation=30)
    ax.set_ylim(0, HEADROOM * max(bottoms, default=1))
    ax.set_ylabel("server CPU µs per delivery")
    ax.set_title("B and D: server CPU per delivery\n(200 users; bare socketio in gray)")
    ax.legend()

    ax = axes[1][0]
    joins = {k: v for k, v in summary.items() if k.startswith("C")}
    keys = [k for k in servers if any(k in by for by in joins.values())]
    width = 0.8 / max(len(joins), 1)
    for offset, (scenario, by) in enumerate(sorted(joins.items(),
                                                   key=lambda item: int(item[0][1:]))):
        positions = [i + (offset - (len(joins) - 1) / 2) * width for i in range(len(keys))]
        values = [by[k]["join_s"] if k in by else 0 for k in keys]
        ax.bar(positions, values, width=width, label=f"{scenario[1:]} users")
    ax.set_xticks(range(len(keys)), labels(keys), rotation=15)
    ax.set_ylabel("s until all joined and announced")
    ax.set_title("C: connect and join one room")
    if keys:
        ax.set_ylim(0, HEADROOM * max(by[k]["join_s"] for by in joins.values() for k in by))
        ax.legend(loc="upper right")

    ax = axes[1][1]
    scaled = summary.get("D", {})
    keys = list(scaled)
    workers = [int(k.removeprefix("part4-").removesuffix("w")) for k in keys]
    measured = [scaled[k]["deliveries_per_s"] / 1000 for k in keys]
    projected = [scaled[k]["projected_capacity_per_s"] / 1000 for k in keys]
    ax.plot(workers, measured, marker="o", label="measured on this machine")
    ax.plot(workers, projected, marker="s", linestyle="--",
            label="projected: the busiest process\nalone on a core")
    ax.set_xticks(workers or [1])
    ax.set_ylim(0, HEADROOM * max(measured + projected, default=1))
    ax.set_xlabel("part4 chat processes (through nginx, Redis)")
    ax.set_ylabel("thousand deliveries per second")
    ax.set_title(f"D: part4 fan-out\n({report['machine']['cores']} cores, "
                 "shared with the generator)")
    if keys:
        ax.legend(loc="upper left")
    figure.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
