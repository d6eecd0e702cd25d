#!/usr/bin/env python3
"""Measures hedge batch against one `hedge check` process per scenario (docs/scale.md).

Writes N scenarios over the Pakistan posture (a US tariff cutting FY2025 exports to the
US by i/N, for i = 1..N) into a scratch folder, then times
  1. N separate `hedge check --format json --scenario s_i` runs, one after another;
  2. one `hedge batch` run reading the N lines {"id": i, "scenario": "s_i"};
  3. the same batch as N lines {"id": i, "text": "scenario ..."} (nothing declared ahead);
  4. with GNU parallel when installed: `parallel --pipe -k -N 250 hedge batch` (lines split
     over the cores, the output in input order);
  5. with Dask when it imports (Debian's python3-dask): a bag of the lines in 4 partitions,
     each piped through one `hedge batch` (docs/scale.md), on the processes scheduler;
and checks that every batch answer equals the separate run's report.

Usage: batch_vs_check.py [--hedge PATH] [--n N]. Prints one line per way with its wall time.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PAK = os.path.join(ROOT, "examples", "pakistan")


def scenario(i, n):
    return (f"scenario s_{i} {{ update d in deals where d.exporter == PAK and d.importer == USA "
            f"and d.commodity == goods and d.year == FY {{ value: d.value * {n - i} / {n} }} }}")


def main(argv):
    hedge, n = os.path.join(ROOT, "hedge"), 1000
    while argv:
        if argv[0] == "--hedge": hedge, argv = argv[1], argv[2:]
        elif argv[0] == "--n": n, argv = int(argv[1]), argv[2:]
        else: raise SystemExit(f"unknown argument {argv[0]}")
    hedge = os.path.abspath(hedge)
    d = tempfile.mkdtemp(prefix="hedge-batch-")
    many = os.path.join(d, "many.hedge")
    with open(many, "w") as f:
        f.write(f'import "{os.path.join(PAK, "scenarios.hedge")}"\n')
        for i in range(1, n + 1):
            f.write(scenario(i, n) + "\n")
    names_in = "".join(json.dumps({"id": i, "scenario": f"s_{i}"}) + "\n" for i in range(1, n + 1))
    text_in = "".join(json.dumps({"id": i, "text": scenario(i, n)}) + "\n" for i in range(1, n + 1))
    env = dict(os.environ, NO_COLOR="1")
    quiet = subprocess.DEVNULL

    t = time.perf_counter()
    separate = []
    for i in range(1, n + 1):
        p = subprocess.run([hedge, "check", "--format", "json", "--scenario", f"s_{i}", many], capture_output=True, text=True, env=env)
        separate.append(json.loads(p.stdout))
    t_sep = time.perf_counter() - t

    def run_batch(stdin, files, cmd=None):
        t = time.perf_counter()
        p = subprocess.run(cmd or [hedge, "batch", *files], input=stdin, stdout=subprocess.PIPE, stderr=quiet, text=True, env=env)
        return time.perf_counter() - t, [json.loads(l) for l in p.stdout.splitlines()]

    t_names, by_name = run_batch(names_in, [many])
    t_text, by_text = run_batch(text_in, [os.path.join(PAK, "scenarios.hedge")])
    same_names = [g["report"] for g in by_name] == separate
    # a text scenario is not declared in many.hedge: its report equals the named one's
    same_text = [g["report"] for g in by_text] == separate
    print(f"{n} scenarios over examples/pakistan (2 cores)")
    print(f"  {n} separate `hedge check --format json --scenario` runs: {t_sep:7.2f} s  ({t_sep / n * 1000:.1f} ms each)")
    print(f"  one `hedge batch`, scenarios by name:        {t_names:7.2f} s  ({t_names / n * 1000:.2f} ms each)"
          f"  same reports: {same_names}")
    print(f"  one `hedge batch`, scenarios as text:        {t_text:7.2f} s  ({t_text / n * 1000:.2f} ms each)"
          f"  same reports: {same_text}")
    if shutil.which("parallel"):
        cmd = ["parallel", "--pipe", "-k", "-N", str(max(1, n // 4)), hedge, "batch", many]
        t_par, by_par = run_batch(names_in, [], cmd)
        print(f"  GNU parallel --pipe -k -N {max(1, n // 4)} hedge batch:       {t_par:7.2f} s"
              f"  same reports, in order: {[g['report'] for g in by_par] == separate}")
    try:
        import dask.bag as db
    except ImportError:
        db = None
    if db is not None:
        lines = names_in.splitlines()

        def through_hedge(part):
            p = subprocess.run([hedge, "batch", many], input="\n".join(part) + "\n", stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, check=True)
            return p.stdout.splitlines()

        t = time.perf_counter()
        by_dask = db.from_sequence(lines, npartitions=4).map_partitions(through_hedge).map(json.loads).compute(scheduler="processes")
        t_dask = time.perf_counter() - t
        print(f"  Dask bag, 4 partitions through hedge batch:   {t_dask:7.2f} s"
              f"  same reports, in order: {[g['report'] for g in by_dask] == separate}")
    shutil.rmtree(d)
    return 0 if same_names and same_text else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
