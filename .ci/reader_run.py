"""The reader's path, checked: every chapter downloaded from the built book runs in a clean environment.

Run after ``make book`` (``make reader-run``; ``.ci/run`` calls it after ``make test``):

1. take companion's wheel that the book serves (``_build/html/_static/dist/``,
   built by ``make book`` from this checkout: the exact package the pages
   were executed with);
2. create a clean virtual environment in a temporary directory outside the
   repository and install *exactly the documented install line*
   (``book/_ext/reader_install.py``) with the wheel's ``file://`` URL, plus
   ``ipykernel``, which stands for the reader's Jupyter;
3. copy every notebook from the built site's download files
   (``_build/html/_sources/book/*.ipynb``) into another temporary directory;
4. execute each top to bottom with nbclient on a kernel of the clean
   environment, in that directory (no repository on the path, no ``.venv``).
   Like Jupyter's "Run all", except that the install cell, tagged
   ``skip-execution``, is skipped: step 2 ran it;
5. print the size of the clean environment and the time it took.

Needs only PyPI (for numpy, matplotlib, ipykernel and their dependencies).
Set ``KEEP=1`` to keep the temporary directories (their paths are printed).
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import reader_install  # noqa: E402  (the one place of the install line)

KERNEL = "companion-reader"
TIMEOUT = 600  # seconds per cell


def _size(path: pathlib.Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def _run(cmd: list[str], **kwargs) -> None:
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)


def main() -> int:
    start = time.perf_counter()
    wheel = HTML / reader_install.DIST_DIR / reader_install.wheel_name()
    sources = sorted((HTML / "_sources" / "book").glob("*.ipynb"))
    if not wheel.is_file() or not sources:
        print(f"== reader-run: no built book with {wheel.name} and notebooks: run `make book` first", file=sys.stderr)
        return 2

    tmp = pathlib.Path(tempfile.mkdtemp(prefix="companion-reader-"))
    venv, work, jupyter = tmp / "venv", tmp / "notebooks", tmp / "jupyter"
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    clean_env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    try:
        # 2. a clean environment with exactly the documented install line
        _run([sys.executable, "-m", "venv", str(venv)], env=clean_env, cwd=tmp)
        python = venv / "bin" / "python"
        site_root = HTML.as_uri() + "/"
        line = reader_install.install_line(site_root)  # pip install "companion[plot,dask] @ file:///.../x.whl"
        print(f"== reader-run: the documented install line, with this build's address:\n   {line}", flush=True)
        words = line.split(" ", 2)  # ["pip", "install", '"companion[plot,dask] @ URL"']
        assert words[:2] == ["pip", "install"], line
        _run([str(python), "-m", "pip", "install", "--quiet", words[2].strip('"')], env=clean_env, cwd=tmp)
        _run([str(python), "-m", "pip", "install", "--quiet", "ipykernel"], env=clean_env, cwd=tmp)
        probe = (
            "import companion, importlib.util as u, sys; "
            "assert 'site-packages' in companion.__file__, companion.__file__; "
            "assert u.find_spec('myst_nb') is None, 'myst_nb must not be in the reader environment'; "
            "print('companion', companion.__version__, 'from', companion.__file__)"
        )
        _run([str(python), "-c", probe], env=clean_env, cwd=tmp)
        env_bytes = _size(venv)
        installed = subprocess.run(
            [str(python), "-m", "pip", "list", "--format=freeze"], env=clean_env, cwd=tmp,
            check=True, capture_output=True, text=True,
        ).stdout.split()
        print(f"== reader-run: clean environment {env_bytes / 2**20:.0f} MiB, {len(installed)} packages", flush=True)

        # a kernel spec for the clean environment, found through JUPYTER_PATH only
        spec = jupyter / "kernels" / KERNEL
        spec.mkdir(parents=True)
        (spec / "kernel.json").write_text(json.dumps({
            "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "companion reader (clean environment)",
            "language": "python",
            "env": {"PYTHONPATH": ""},
        }))

        # 3. the notebooks as the book serves them
        work.mkdir()
        for source in sources:
            shutil.copy2(source, work / source.name)

        # 4. run each top to bottom
        import nbformat
        from nbclient import NotebookClient

        os.environ["JUPYTER_PATH"] = str(jupyter)
        os.environ.pop("PYTHONPATH", None)
        failures, times = [], {}
        run_start = time.perf_counter()
        for path in sorted(work.glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            t0 = time.perf_counter()
            client = NotebookClient(
                nb, kernel_name=KERNEL, timeout=TIMEOUT, allow_errors=False,
                resources={"metadata": {"path": str(work)}},
            )
            try:
                client.execute(cwd=str(work))
            except Exception as exc:  # a cell error (CellExecutionError) or a dead kernel
                failures.append((path.name, str(exc).strip().splitlines()[-1][:300]))
                print(f"== reader-run: {path.name} FAILED: {failures[-1][1]}", flush=True)
            else:
                skipped = sum(
                    "".join(o.get("text", "")).startswith("Skipped: this cell needs")
                    for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
                )
                note = f" ({skipped} cells skipped: an optional package is not installed)" if skipped else ""
                print(f"== reader-run: {path.name} ran in {time.perf_counter() - t0:.1f} s{note}", flush=True)
            times[path.name] = time.perf_counter() - t0
            nbformat.write(nb, path)
        run_time = time.perf_counter() - run_start

        print(
            f"== reader-run: {len(sources) - len(failures)} of {len(sources)} notebooks ran in a clean environment "
            f"({env_bytes / 2**20:.0f} MiB); notebooks {run_time:.0f} s, total {time.perf_counter() - start:.0f} s",
            flush=True,
        )
        for name, message in failures:
            print(f"   FAILED {name}: {message}")
        return 1 if failures else 0
    finally:
        if os.environ.get("KEEP"):
            print(f"== reader-run: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
