#!/usr/bin/env python3
"""Helpers for scripts/check-deploy.sh and scripts/check-dashboards-live.sh.

Subcommands (each prints "ok - ..." / "FAIL - ..." lines, one per check, and
exits 0 only when every check passed; `exprs` prints JSON):

  parse            every YAML/JSON file under deploy/ and dashboards/ parses
  dashboards       dashboard structure: __inputs, variables, data sources, ids
  metric-names     every metric a dashboard or rule uses is in deploy/metric-names.txt
                   (or recorded by our rules, or added by Prometheus/Pushgateway)
  alert-tests      every alert has a unit test that fires it and one that does not
  operator-rules   deploy/kubernetes/prometheusrule.yaml holds exactly the rule files' groups
  manifests        Kubernetes objects have apiVersion/kind/metadata.name; kustomization is complete
  example-config   the example exporter configs use known keys and collectors
  exprs VARS_JSON  every dashboard and recording-rule expression, template
                   variables substituted from VARS_JSON, as a JSON list
  exposition SOURCE...
                   every name in deploy/metric-names.txt appears in the given
                   exposition texts (files or http:// URLs, e.g. the exporter's
                   /metrics and /ipmi?target=...); names exported but not
                   listed are printed for information
  used-exported SOURCE...
                   every metric name a dashboard or rule reads (recorded and
                   Prometheus' own series aside) appears in the given
                   exposition texts, e.g. a live `ipmi-exporter demo`'s
                   /metrics and /ipmi?target=... (scripts/check-demo-live.sh)
  live PROM_URL JOB EXPORTER_JOB
                   against a running Prometheus that scrapes the exporter (see
                   scripts/check-dashboards-live.sh): every panel query and
                   recording rule returns data, and every sensor in warning or
                   critical state has a firing alert
"""

import glob
import json
import os
import re
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DASHBOARDS = sorted(glob.glob(os.path.join(ROOT, "dashboards", "*.json")))
RULE_FILES = sorted(glob.glob(os.path.join(ROOT, "deploy", "prometheus", "rules", "*.yml")))
TEST_FILES = sorted(glob.glob(os.path.join(ROOT, "deploy", "prometheus", "tests", "*.yml")))
K8S_DIR = os.path.join(ROOT, "deploy", "kubernetes")
METRIC_NAMES = os.path.join(ROOT, "deploy", "metric-names.txt")

# Series that Prometheus adds to every scrape, and that a Pushgateway adds to
# every pushed group: not exported by ipmi-exporter, but fine to use.
EXTERNAL_SERIES = {
    "up", "scrape_duration_seconds", "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling", "scrape_series_added",
    "push_time_seconds", "push_failure_time_seconds",
}

PROMQL_KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "atan2", "inf", "nan",
}

results = []


def check(ok, what, detail=""):
    results.append(ok)
    line = ("ok - " if ok else "FAIL - ") + what
    if detail and not ok:
        line += ": " + detail
    print(line)


def rel(path):
    return os.path.relpath(path, ROOT)


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def load_dashboard(path):
    with open(path) as f:
        return json.load(f)


def dashboard_exprs(d):
    """(where, expr) for every panel target and every query variable."""
    out = []
    for p in walk_panels(d.get("panels", [])):
        for t in p.get("targets", []):
            if "expr" in t:
                out.append((f'panel "{p.get("title")}" {t.get("refId")}', t["expr"]))
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            out.append((f'variable "{v.get("name")}"', q))
    return out


def rule_groups(path):
    with open(path) as f:
        return yaml.safe_load(f)["groups"]


def all_rules():
    for path in RULE_FILES:
        for g in rule_groups(path):
            for r in g["rules"]:
                yield path, r


def metric_names_in(expr):
    """Metric names used by a PromQL expression (or a Grafana label_values()
    query). A tokenizer, not a parser: strings, label matchers, ranges and
    grouping label lists are removed first; what remains that looks like an
    identifier and is not a function call or keyword is a metric name."""
    e = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', '""', expr)
    e = re.sub(r"\{[^{}]*\}", " ", e)
    e = re.sub(r"\[[^\[\]]*\]", " ", e)
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", " ", e)
    # label_values(metric, label): the second argument is a label name
    e = re.sub(r"label_values\s*\(([^,()]*),[^()]*\)", r"label_values(\1)", e)
    names = set()
    for m in re.finditer(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", e):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in PROMQL_KEYWORDS:
            continue
        names.add(name)
    return names


def known_names():
    names = set()
    with open(METRIC_NAMES) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.add(line)
    return names


def cmd_parse():
    files = []
    for base in ("deploy", "dashboards"):
        for ext in ("yml", "yaml", "json"):
            files += glob.glob(os.path.join(ROOT, base, "**", f"*.{ext}"), recursive=True)
    for path in sorted(files):
        try:
            with open(path) as f:
                if path.endswith(".json"):
                    json.load(f)
                else:
                    docs = [d for d in yaml.safe_load_all(f)]
                    if not docs or any(d is None for d in docs):
                        raise ValueError("empty document")
            check(True, f"parses: {rel(path)}")
        except Exception as exc:  # noqa: BLE001 - report any parse error
            check(False, f"parses: {rel(path)}", str(exc).replace("\n", " "))


def cmd_dashboards():
    uids = set()
    for path in DASHBOARDS:
        d = load_dashboard(path)
        name = rel(path)
        problems = []
        inputs = [i.get("name") for i in d.get("__inputs", [])]
        if "DS_PROMETHEUS" not in inputs:
            problems.append("no DS_PROMETHEUS in __inputs")
        if d.get("schemaVersion", 0) < 36:
            problems.append(f"schemaVersion {d.get('schemaVersion')} < 36")
        if not d.get("uid") or d["uid"] in uids:
            problems.append("missing or duplicate uid")
        uids.add(d.get("uid"))
        variables = {v["name"]: v for v in d.get("templating", {}).get("list", [])}
        for v in ("datasource", "job", "instance"):
            if v not in variables:
                problems.append(f"no template variable {v}")
        if variables.get("datasource", {}).get("type") != "datasource":
            problems.append("variable datasource is not of type datasource")
        ids = set()
        for p in walk_panels(d.get("panels", [])):
            if p.get("id") in ids:
                problems.append(f"duplicate panel id {p.get('id')}")
            ids.add(p.get("id"))
            if "gridPos" not in p:
                problems.append(f'panel "{p.get("title")}" has no gridPos')
            if p.get("type") == "row":
                continue
            if p.get("datasource", {}).get("uid") != "${datasource}":
                problems.append(f'panel "{p.get("title")}" does not use ${{datasource}}')
            if not p.get("targets"):
                problems.append(f'panel "{p.get("title")}" has no query')
            for t in p.get("targets", []):
                if not t.get("expr", "").strip():
                    problems.append(f'panel "{p.get("title")}" has an empty expr')
        check(not problems, f"dashboard structure: {name}", "; ".join(problems))


def cmd_metric_names():
    known = known_names()
    recorded = {r["record"] for _, r in all_rules() if "record" in r}

    def allowed(n):
        if n in known or n in recorded or n in EXTERNAL_SERIES:
            return True
        for suffix in ("_bucket", "_sum", "_count"):
            if n.endswith(suffix) and n[: -len(suffix)] in known:
                return True
        return False

    sources = []
    for path in DASHBOARDS:
        for where, expr in dashboard_exprs(load_dashboard(path)):
            sources.append((f"{rel(path)} {where}", expr))
    for path, r in all_rules():
        sources.append((f"{rel(path)} {r.get('record') or r.get('alert')}", r["expr"]))
    unknown = {}
    used = set()
    for where, expr in sources:
        for n in metric_names_in(expr):
            used.add(n)
            if not allowed(n):
                unknown.setdefault(n, []).append(where)
    detail = "; ".join(f"{n} (in {', '.join(w[:2])})" for n, w in sorted(unknown.items()))
    check(not unknown, f"metric names: {len(used)} names used by {len(sources)} expressions are all exported, recorded or built in", detail)
    # The tokenizer itself must see what it is meant to see.
    probe = metric_names_in('sum by (job) (rate(foo_total{a="b"}[5m])) / on (x) group_left bar or label_replace(baz, "k", "v", "", "")')
    check(probe == {"foo_total", "bar", "baz"}, "metric names: tokenizer finds metric names and nothing else", str(sorted(probe)))


def cmd_alert_tests():
    alerts = {r["alert"] for _, r in all_rules() if "alert" in r}
    fired, silent = set(), set()
    for path in TEST_FILES:
        with open(path) as f:
            t = yaml.safe_load(f)
        for case in t.get("tests", []):
            for a in case.get("alert_rule_test", []):
                (fired if a.get("exp_alerts") else silent).add(a["alertname"])
    for a in sorted(alerts):
        missing = []
        if a not in fired:
            missing.append("no test where it fires")
        if a not in silent:
            missing.append("no test where it must not fire")
        check(not missing, f"alert unit tests: {a}", ", ".join(missing))


def cmd_operator_rules():
    groups = []
    for path in RULE_FILES:
        groups += rule_groups(path)
    with open(os.path.join(K8S_DIR, "prometheusrule.yaml")) as f:
        pr = yaml.safe_load(f)
    def by_name(gs):
        return sorted(gs, key=lambda g: g["name"])
    check(pr.get("kind") == "PrometheusRule" and by_name(pr["spec"]["groups"]) == by_name(groups),
          "kubernetes/prometheusrule.yaml matches deploy/prometheus/rules/*.yml",
          "regenerate it from the rule files")


def cmd_manifests():
    # deploy/kubernetes: the remote setup; deploy/kubernetes/local: local mode (a DaemonSet reading /dev/ipmi0), a
    # kustomization of its own.
    for directory in (K8S_DIR, os.path.join(K8S_DIR, "local")):
        check_manifests(directory)


def check_manifests(directory):
    local = os.path.basename(directory) == "local"
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        with open(path) as f:
            docs = list(yaml.safe_load_all(f))
        problems = []
        for d in docs:
            if os.path.basename(path) == "kustomization.yaml":
                for r in d.get("resources", []):
                    if not os.path.exists(os.path.join(directory, r)):
                        problems.append(f"resource {r} missing")
                listed = set(d.get("resources", []))
                for other in glob.glob(os.path.join(directory, "*.yaml")):
                    b = os.path.basename(other)
                    if b != "kustomization.yaml" and b not in listed:
                        problems.append(f"{b} not listed")
                continue
            for key in ("apiVersion", "kind"):
                if not d.get(key):
                    problems.append(f"no {key}")
            if not d.get("metadata", {}).get("name"):
                problems.append("no metadata.name")
            spec = d.get("spec", {})
            pod = spec.get("template", {}).get("spec") or \
                spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
            if pod:
                devices = [v for v in pod.get("volumes", [])
                           if v.get("hostPath", {}).get("type") == "CharDevice"]
                for c in pod.get("containers", []):
                    sc = c.get("securityContext", {})
                    if sc.get("privileged") is True:
                        # Local mode only: the device cgroup admits a host device to privileged containers alone.
                        # Then the root file system is still read-only, and the one host path is the IPMI device.
                        mounts = {m.get("name") for m in c.get("volumeMounts", [])}
                        if not (local and d.get("kind") == "DaemonSet" and sc.get("readOnlyRootFilesystem") is True
                                and devices and all(v.get("hostPath", {}).get("path", "").startswith("/dev/ipmi")
                                                    for v in devices)
                                and {v["name"] for v in devices} <= mounts
                                and not [v for v in pod.get("volumes", []) if "hostPath" in v and v not in devices]):
                            problems.append(f"container {c.get('name')} privileged outside a local-mode DaemonSet "
                                            "that mounts only the IPMI device read-only-root")
                        continue
                    if sc.get("allowPrivilegeEscalation") is not False or sc.get("readOnlyRootFilesystem") is not True:
                        problems.append(f"container {c.get('name')} not hardened")
                    if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
                        problems.append("pod may run as root")
            if d.get("kind") == "DaemonSet" and local:
                args = " ".join(a for c in pod.get("containers", []) for a in c.get("args", []))
                if "--local" not in args:
                    problems.append("local DaemonSet without --local")
        check(not problems, f"kubernetes manifest: {rel(path)}", "; ".join(problems))


MODULE_KEYS = {
    "user", "pass", "password_file", "kg_file", "privilege", "driver", "timeout",
    "collectors", "exclude_sensor_ids", "workaround_flags", "sel_events",
    "cipher_suite", "bridge", "collector_cmd", "default_args", "custom_args",
}
COLLECTORS = {"ipmi", "bmc", "bmc-watchdog", "chassis", "dcmi", "sel", "sel-events", "sm-lan-mode", "thresholds",
              "chassis-details", "dcmi-statistics", "fru", "lan"}


def cmd_example_config():
    paths = sorted(glob.glob(os.path.join(ROOT, "deploy", "config", "*.yml")))
    with open(os.path.join(K8S_DIR, "configmap.yaml")) as f:
        cm = yaml.safe_load(f)
    configs = [(rel(p), yaml.safe_load(open(p))) for p in paths]
    configs.append(("deploy/kubernetes/configmap.yaml", yaml.safe_load(cm["data"]["ipmi-exporter.yml"])))
    for name, c in configs:
        problems = []
        if set(c) - {"modules", "targets"}:
            problems.append(f"unknown top-level keys {sorted(set(c) - {'modules', 'targets'})}")
        for m, mod in c.get("modules", {}).items():
            if set(mod) - MODULE_KEYS:
                problems.append(f"module {m}: unknown keys {sorted(set(mod) - MODULE_KEYS)}")
            if set(mod.get("collectors", [])) - COLLECTORS:
                problems.append(f"module {m}: unknown collectors")
            if mod.get("driver", "LAN_2_0") != "LAN_2_0":
                problems.append(f"module {m}: driver must be LAN_2_0")
            if "pass" in mod:
                problems.append(f"module {m}: example should use password_file, not pass")
        for t in c.get("targets", []):
            if t.get("module", "default") not in c.get("modules", {}):
                problems.append(f"target {t.get('target')}: unknown module")
        check(not problems, f"example config: {name}", "; ".join(problems))


def substitute(expr, variables):
    def repl(m):
        name = m.group(1) or m.group(2)
        return variables.get(name, m.group(0))
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)


def cmd_exprs(variables):
    out = []
    for path in DASHBOARDS:
        d = load_dashboard(path)
        # Multi-value variables with "All" are substituted as Grafana does when
        # All is selected (their allValue); the others get the given value.
        local = dict(variables)
        for v in d.get("templating", {}).get("list", []):
            if v.get("includeAll") and v.get("allValue"):
                local[v["name"]] = v["allValue"]
        for where, expr in dashboard_exprs(d):
            if where.startswith("variable"):
                continue
            out.append({"source": f"{os.path.basename(path)}: {where}", "expr": substitute(expr, local)})
    for path, r in all_rules():
        if "record" in r:
            out.append({"source": f"{os.path.basename(path)}: {r['record']}", "expr": r["expr"]})
    json.dump(out, sys.stdout, indent=1)


def prom_get(prom, path, **params):
    import urllib.parse
    import urllib.request
    url = f"{prom}{path}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(body.get("error", "query failed"))
    return body["data"]


def prom_query(prom, expr):
    return prom_get(prom, "/api/v1/query", query=expr)["result"]


SENSOR_STATES = (
    'label_replace(ipmi_temperature_state{job="%(job)s"}, "kind", "temperature", "", "")'
    ' or label_replace(ipmi_fan_speed_state{job="%(job)s"}, "kind", "fan", "", "")'
    ' or label_replace(ipmi_voltage_state{job="%(job)s"}, "kind", "voltage", "", "")'
    ' or label_replace(ipmi_current_state{job="%(job)s"}, "kind", "current", "", "")'
    ' or label_replace(ipmi_power_state{job="%(job)s"}, "kind", "power", "", "")'
    ' or label_replace(ipmi_sensor_state{job="%(job)s"}, "kind", "other", "", "")'
)


def cmd_live(prom, job, exporter_job):
    import time
    # The BMC to show in the detail dashboard: the one exporting the most
    # metric families, unless $INSTANCE names one.
    instance = os.environ.get("INSTANCE")
    if not instance:
        rows = prom_query(prom, 'count by (instance) (count by (instance, __name__) ({job="%s", __name__=~"ipmi_.+"}))' % job)
        if not rows:
            check(False, f"job {job} has ipmi_* series")
            return
        # ties: prefer a BMC with sensors in warning or critical state, so the
        # detail dashboard's table of such sensors has rows
        bad = {r["metric"].get("instance"): float(r["value"][1]) for r in
               prom_query(prom, 'count by (instance) ((%s) >= 1)' % (SENSOR_STATES % {"job": job}))}
        instance = max(rows, key=lambda r: (float(r["value"][1]), bad.get(r["metric"].get("instance"), 0),
                                            r["metric"].get("instance", "")))["metric"]["instance"]
    print(f"# template variables: job={job} instance={instance} exporter_job={exporter_job}")
    variables = {"job": job, "instance": instance, "exporter_job": exporter_job,
                 "__rate_interval": "1m", "__interval": "15s", "__range": "5m", "datasource": "prometheus"}

    # 1. every panel query (variables substituted) and every recording rule's
    #    expression returns data; so does every recorded series.
    lenient = os.environ.get("LENIENT") == "1"
    allow_empty = os.environ.get("ALLOW_EMPTY", "")
    panels = {}
    import io
    import contextlib
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        cmd_exprs(variables)
    for item in json.loads(buf.getvalue()):
        try:
            n = len(prom_query(prom, item["expr"]))
            err = ""
        except Exception as exc:  # noqa: BLE001 - report the query error
            n, err = 0, str(exc)
        src = item["source"]
        panel = src.rsplit(" ", 1)[0] if ": panel " in src else src
        panels.setdefault(panel, []).append(n > 0)
        if n == 0 and not err and allow_empty and re.search(allow_empty, src + "\n" + item["expr"]):
            print(f"skip - no data, allowed by ALLOW_EMPTY: {src}")
            panels.setdefault(panel, [])[-1] = True
            continue
        if lenient and not err:
            print(("# " if n else "# no data: ") + f"{src} ({n} series)")
        else:
            check(n > 0, f"returns data ({n} series): {src}", err or "no data")
    if lenient:
        for panel, oks in panels.items():
            check(any(oks), f"panel returns data: {panel}", "no query of the panel returns data")
    for _, r in all_rules():
        if "record" in r:
            if allow_empty and re.search(allow_empty, r["record"] + "\n" + r["expr"]) and not prom_query(prom, r["record"]):
                print(f"skip - not recorded, allowed by ALLOW_EMPTY: {r['record']}")
                continue
            check(bool(prom_query(prom, r["record"])), f"recorded series exists: {r['record']}", "not (yet) recorded")

    # 2. every sensor in warning or critical state has a firing alert with the
    #    sensor's labels, and there is at least one of each.
    bad = prom_query(prom, "(" + SENSOR_STATES % {"job": job} + ") >= 1")
    want = {1: 0, 2: 0}
    deadline = time.time() + float(os.environ.get("ALERT_WAIT", "30"))
    missing = bad
    while True:
        firing = [a for a in prom_get(prom, "/api/v1/alerts")["alerts"] if a["state"] == "firing"]
        missing = []
        for s in bad:
            m = s["metric"]
            hit = [a for a in firing if all(a["labels"].get(k) == m.get(k) for k in ("instance", "id", "name"))]
            if not hit:
                missing.append(s)
        if not missing or time.time() > deadline:
            break
        time.sleep(2)
    for s in bad:
        m = s["metric"]
        state = int(float(s["value"][1]))
        want[state] = want.get(state, 0) + 1
        label = f'{m.get("instance")} {m.get("kind")} sensor "{m.get("name")}" (id {m.get("id")}) state {state}'
        names = sorted({a["labels"]["alertname"] for a in firing
                        if all(a["labels"].get(k) == m.get(k) for k in ("instance", "id", "name"))})
        check(s not in missing, f"alert fires for {label}: {', '.join(names)}", "no firing alert")
    if os.environ.get("REQUIRE_ALERTS", "1") == "1":
        check(want[1] > 0, "the exporter shows at least one sensor in warning state", "none: nothing to fire a warning alert")
        check(want[2] > 0, "the exporter shows at least one sensor in critical state", "none: nothing to fire a critical alert")


def read_exposition(sources):
    """(families from # TYPE lines, sample names) of exposition texts (files or http:// URLs)."""
    import urllib.request
    families, samples = set(), set()
    for src in sources:
        if src.startswith(("http://", "https://")):
            with urllib.request.urlopen(src, timeout=30) as r:
                text = r.read().decode()
        else:
            with open(src) as f:
                text = f.read()
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                families.add(line.split()[2])
            elif line and not line.startswith("#"):
                samples.add(re.split(r"[{\s]", line, 1)[0])
    return families, samples


def used_names():
    """{metric name: [where]} of every name a dashboard panel, recording or alerting rule reads (the
    Kubernetes PrometheusRule holds the same rules, see operator-rules)."""
    used = {}
    for path in DASHBOARDS:
        for where, expr in dashboard_exprs(load_dashboard(path)):
            for n in metric_names_in(expr):
                used.setdefault(n, []).append(f"{rel(path)} {where}")
    for path, r in all_rules():
        for n in metric_names_in(r["expr"]):
            used.setdefault(n, []).append(f"{rel(path)} {r.get('record') or r.get('alert')}")
    return used


def cmd_used_exported(sources):
    families, samples = read_exposition(sources)
    exported = families | samples
    recorded = {r["record"] for _, r in all_rules() if "record" in r}
    used = used_names()
    check(bool(used), f"used-exported: {len(used)} metric names read by dashboards and rules")
    for name in sorted(used):
        if name in recorded or name in EXTERNAL_SERIES:
            continue
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if name.endswith(suffix) and name[: -len(suffix)] in families:
                family = name[: -len(suffix)]
        check(family in exported, f"used and exported: {name}",
              "not in the live exposition; used by " + ", ".join(used[name][:3]))


def cmd_exposition(sources):
    families, samples = read_exposition(sources)
    exported = families | samples
    for name in sorted(known_names()):
        check(name in exported, f"exported: {name}", "not in the exposition (collector not enabled, or renamed?)")
    extra = sorted(n for n in families - known_names())
    if extra:
        print("# exported but not in metric-names.txt: " + ", ".join(extra))


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    table = {
        "parse": cmd_parse, "dashboards": cmd_dashboards, "metric-names": cmd_metric_names,
        "alert-tests": cmd_alert_tests, "operator-rules": cmd_operator_rules,
        "manifests": cmd_manifests, "example-config": cmd_example_config,
    }
    if cmd == "exprs":
        cmd_exprs(json.loads(sys.argv[2]))
        return 0
    if cmd == "exposition":
        cmd_exposition(sys.argv[2:])
        return 0 if all(results) else 1
    if cmd == "used-exported":
        cmd_used_exported(sys.argv[2:])
        return 0 if all(results) else 1
    if cmd == "live":
        cmd_live(*sys.argv[2:5])
        return 0 if all(results) else 1
    if cmd not in table:
        print(__doc__, file=sys.stderr)
        return 2
    table[cmd]()
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
