"""deploy/k8s against itself and against trackstrip (deploy/check.sh runs it, with the venv's
Python, after kubernetes-validate has checked each object against the Kubernetes schemas).

    check_k8s.py extract K8S_DIR OUT_DIR
        writes the trackstrip-config ConfigMap's trackstrip.toml to OUT_DIR/trackstrip.toml and
        the trackstrip-rules ConfigMap's files into OUT_DIR/rules/, for `serve --check`; prints
        the trackstrip container's args.
    check_k8s.py consistent K8S_DIR CHECK_OUTPUT
        kustomization.yaml lists every manifest but the secret-ca.yaml template, and each listed
        file exists; every object is in the kustomization's namespace; and the Deployment agrees
        with the effective config (`serve --check` output, TOML): the config and rules mounts,
        the data volume, and the container ports and probes against listen and admin.

Exits 1 with one line per problem. Needs PyYAML (kubernetes-validate's dependency) and
Python 3.11+ (tomllib).
"""

import pathlib
import sys
import tomllib

import yaml

CONFIG_PATH = "/etc/trackstrip/trackstrip.toml"
NOT_APPLIED = {"kustomization.yaml", "secret-ca.yaml"}  # a template: applying it would empty the CA


def objects(k8s):
    for path in sorted(k8s.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield path.name, doc


def find(k8s, kind, name):
    for _, doc in objects(k8s):
        if doc.get("kind") == kind and doc.get("metadata", {}).get("name") == name:
            return doc
    sys.exit(f"check_k8s: no {kind} {name} in {k8s}")


def trackstrip_container(k8s):
    spec = find(k8s, "Deployment", "trackstrip")["spec"]["template"]["spec"]
    containers = [c for c in spec["containers"] if c["name"] == "trackstrip"]
    if len(containers) != 1:
        sys.exit("check_k8s: the Deployment has no container named trackstrip")
    return spec, containers[0]


def extract(k8s, out):
    config = find(k8s, "ConfigMap", "trackstrip-config")["data"]["trackstrip.toml"]
    (out / "trackstrip.toml").write_text(config)
    rules = out / "rules"
    rules.mkdir(parents=True, exist_ok=True)
    for name, text in find(k8s, "ConfigMap", "trackstrip-rules").get("data", {}).items():
        (rules / name).write_text(text)
    _, container = trackstrip_container(k8s)
    print("\n".join(container.get("args", [])))


def under(path, mounts):
    """The mount that holds `path` (the longest mountPath that is it or a parent of it)."""
    best = None
    for m in mounts:
        mp = m["mountPath"].rstrip("/")
        if (path == mp or path.startswith(mp + "/")) and (best is None or len(mp) > len(best["mountPath"])):
            best = m
    return best


def consistent(k8s, check_output):
    problems = []
    kust = yaml.safe_load((k8s / "kustomization.yaml").read_text())
    listed = kust.get("resources", [])
    manifests = {p.name for p in k8s.glob("*.yaml")} - NOT_APPLIED
    for name in sorted(manifests - set(listed)):
        problems.append(f"kustomization.yaml: resources does not list {name}")
    for name in listed:
        if not (k8s / name).is_file():
            problems.append(f"kustomization.yaml: resources lists {name}, which is not in {k8s}")
    namespace = kust.get("namespace")
    for name, doc in objects(k8s):
        meta = doc.get("metadata", {})
        where = f"{name}: {doc.get('kind')} {meta.get('name')}"
        if doc.get("kind") == "Namespace":
            if meta.get("name") != namespace:
                problems.append(f"{where}: not the kustomization's namespace {namespace}")
        elif meta.get("namespace") != namespace:
            problems.append(f"{where}: namespace {meta.get('namespace')}, the kustomization's is {namespace}")

    settings = tomllib.loads(check_output)
    spec, container = trackstrip_container(k8s)
    mounts = container.get("volumeMounts", [])
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    args = container.get("args", [])
    if CONFIG_PATH not in args:
        problems.append(f"deployment.yaml: the trackstrip container's args don't name {CONFIG_PATH}: {args}")
    m = under(CONFIG_PATH, mounts)
    cm = volumes.get(m["name"], {}).get("configMap", {}) if m else {}
    if not m or cm.get("name") != "trackstrip-config" or m.get("subPath") != "trackstrip.toml":
        problems.append(f"deployment.yaml: {CONFIG_PATH} is not the trackstrip-config ConfigMap's trackstrip.toml")
    # `rules` as the ConfigMap writes it (deploy/check.sh's --check run points --rules at a copy).
    raw = tomllib.loads(find(k8s, "ConfigMap", "trackstrip-config")["data"]["trackstrip.toml"])
    if "rules" in raw:
        m = under(raw["rules"], mounts)
        cm = volumes.get(m["name"], {}).get("configMap", {}) if m else {}
        if cm.get("name") != "trackstrip-rules":
            problems.append(f"deployment.yaml: rules = {raw['rules']} is not the trackstrip-rules ConfigMap")
    for key in ("data_dir", "intercept.ca_dir"):
        value = settings
        for part in key.split("."):
            value = value[part]
        m = under(value, mounts)
        if not m or m.get("readOnly"):
            problems.append(f"deployment.yaml: {key} = {value} is on no writable volume of the trackstrip container")
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
    listen_ports = {int(a.rsplit(":", 1)[1]) for a in settings["listen"]}
    if ports.get("proxy") not in listen_ports:
        problems.append(f"deployment.yaml: containerPort proxy {ports.get('proxy')} is not a listen port {listen_ports}")
    admin = settings["admin"]
    if admin == "off" or ports.get("admin") != int(admin.rsplit(":", 1)[1]):
        problems.append(f"deployment.yaml: containerPort admin {ports.get('admin')} is not admin = {admin}")
    if admin != "off" and admin.rsplit(":", 1)[0] in ("127.0.0.1", "[::1]"):
        problems.append(f"configmap.yaml: admin = {admin} is loopback: the kubelet's probes can't reach it")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        port = container.get(probe, {}).get("httpGet", {}).get("port")
        if port not in ("admin", ports.get("admin")):
            problems.append(f"deployment.yaml: {probe} probes port {port}, not the admin port")
    service = find(k8s, "Service", "trackstrip")
    for p in service["spec"].get("ports", []):
        if p.get("targetPort") not in ports and p.get("targetPort") not in ports.values():
            problems.append(f"service.yaml: port {p.get('name')} targets {p.get('targetPort')}, no container port")

    for p in problems:
        print(f"check_k8s: {p}")
    return 1 if problems else 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "extract":
        extract(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "consistent":
        return consistent(pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3]).read_text())
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
