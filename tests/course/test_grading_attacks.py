"""Red team: submissions that try to cheat, spy or break the grader, each at its deserved score.

Every spy and breaker sits in the ``vowel_count`` answer (1 point) of an otherwise correct
submission (5 more points), and every cheat in the ``moving_average`` answer (3 points, the last
exercise, so that it could reach every check after it), so a trick that works shows as a
changed score. The sandbox cases need
bubblewrap; CI (.ci/run) installs it and sets RNNKIT_REQUIRE_SANDBOX=1, so they cannot be
skipped there.
"""

import json
import os
import subprocess
import sys

import nbformat
import pytest
from grading_cases import CHAPTER, CHAPTERS, GOOD, released_copy, submission

from rnnkit.course import grading, runs, sandbox

PROBLEM = sandbox.available()
if PROBLEM and os.environ.get("RNNKIT_REQUIRE_SANDBOX") == "1":
    raise RuntimeError(f"RNNKIT_REQUIRE_SANDBOX=1 but {PROBLEM}")
pytestmark = pytest.mark.skipif(bool(PROBLEM), reason=PROBLEM or "")


def _answer_if(condition: str, setup: str = "") -> str:
    """A vowel_count answer that is right only when ``condition`` holds inside the sandbox."""
    return (
        f"{setup}\n"
        "def _attack():\n"
        "    try:\n"
        f"        return bool({condition})\n"
        "    except Exception:\n"
        "        return False\n"
        "\n"
        "\n"
        "vowel_count = 6 if _attack() else 0\n"
    )


SPIES = {
    # The instructor's chapter (with its solutions) through the installed package or its path.
    "instructor_source": _answer_if(f"'BEGIN SOLUTION' in open({str(CHAPTER)!r}).read()"),
    "instructor_folder": _answer_if(f"len(os.listdir({str(CHAPTERS)!r})) > 0", "import os"),
    "package_chapters": _answer_if(
        "any(p.suffix == '.py' for p in (Path(rnnkit.__file__).parents[1] / 'chapters').iterdir())",
        "from pathlib import Path\nimport rnnkit",
    ),
    # The checkout's git history, which holds every version of the chapters' solutions.
    "git_history": _answer_if(
        "len(os.listdir(Path(rnnkit.__file__).parents[1] / '.git')) > 0",
        "import os\nfrom pathlib import Path\nimport rnnkit",
    ),
    # The grader's command line (which names the chapter and the submissions) in /proc.
    "proc_cmdline": _answer_if(
        "any(b'pytest' in open(f'/proc/{p}/cmdline', 'rb').read() "
        "for p in os.listdir('/proc') if p.isdigit())",
        "import os",
    ),
    # Another submission of the same batch, in the folder next to this one.
    "other_submission": _answer_if(
        "'def pair_counts' in open(SUBMISSIONS + '/alice.ipynb').read()"
    ),
    # The network.
    "network": _answer_if(
        "socket.create_connection(('1.1.1.1', 53), timeout=2) is not None", "import socket"
    ),
}

BREAKERS = {
    "sys_exit": "import sys\n\nsys.exit(0)",
    "keyboard_interrupt": "raise KeyboardInterrupt",
    "huge_allocation": "block = bytearray(10 * 2**30)\nvowel_count = 6",
    "segfault": "import ctypes\n\nctypes.string_at(0)",
    "flood": "for _ in range(64):\n    print('x' * 2**20)\nvowel_count = 0",
    "fork_bomb": (
        "import os\n\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass"
    ),
    "vandal": (
        "import glob, os\n"
        "for path in glob.glob(SUBMISSIONS + '/*.ipynb'):\n"
        "    try:\n"
        "        open(path, 'w').close()\n"
        "    except OSError:\n"
        "        pass\n"
        f"for path in [{str(CHAPTER)!r}]:\n"
        "    try:\n"
        "        os.remove(path)\n"
        "    except OSError:\n"
        "        pass\n"
        "vowel_count = 0"
    ),
}


# Unsolved moving_average answers that try to pass anyway. The checks run in the grader, so
# all the kernel can do is say what the student's function returned.
_STUB = "def moving_average(values, k):\n    raise NotImplementedError\n"
CHEATS = {
    # Silence the checks and write the results they would have written.
    "forge_results_file": (
        "import json, os\n"
        "class _Silent:\n"
        "    def __enter__(self):\n"
        "        return self\n"
        "    def __exit__(self, *exc):\n"
        "        return True\n"
        "    def __getattr__(self, name):\n"
        "        return lambda *args, **kwargs: None\n"
        "check = lambda *args, **kwargs: None\n"
        "hidden_check = lambda *args, **kwargs: _Silent()\n"
        "for name in [os.environ.get('RNNKIT_GRADING_RESULTS', 'results.jsonl')]:\n"
        "    with open(name, 'a') as f:\n"
        "        for kind in ('visible', 'hidden'):\n"
        "            f.write(json.dumps({'exercise': 'moving_average', 'kind': kind,\n"
        "                                'status': 'passed', 'points': 3}) + '\\n')\n" + _STUB
    ),
    # Patch the checker where a kernel would have run it.
    "patch_checker": (
        "from rnnkit.course import exercises as _e\n"
        "_e.Tester.close = _e.Tester.equal = _e.Tester.true = lambda *a, **k: None\n"
        "_e.check = lambda *a, **k: None\n"
        "_e.hidden_check.__exit__ = lambda *a: True\n" + _STUB
    ),
    # Plant a fake rnnkit.course.exercises before anything imports it again.
    "fake_module": (
        "import sys, types\n"
        "_fake = types.ModuleType('rnnkit.course.exercises')\n"
        "_fake.check = _fake.exercise = lambda *a, **k: (lambda f: f)\n"
        "sys.modules['rnnkit.course.exercises'] = _fake\n" + _STUB
    ),
    # NumPy's comparisons always say yes.
    "patch_numpy": (
        "np.allclose = np.array_equal = lambda *a, **k: True\n"
        "def moving_average(values, k):\n    return np.zeros(1)\n"
    ),
    # An answer that equals everything, and one that is a list but not quite.
    "always_equal": (
        "class _Yes(list):\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    __hash__ = None\n"
        "def moving_average(values, k):\n    return _Yes([1.5, 2.5, 3.5])\n"
    ),
    # Answer every request of the grader itself, with the visible check's expected values.
    "forge_answers": (
        "import json, sys\n"
        "from IPython.display import publish_display_data\n"
        "from rnnkit.course import wire as _w\n"
        "def _serve(namespace, request):\n"
        "    asked = json.loads(request)\n"
        "    if asked['op'] == 'describe':\n"
        "        answer = {'kind': 'callable'}\n"
        "    else:\n"
        "        answer = {'result': _w.encode([1.5, 2.5, 3.5]), 'args_after': None}\n"
        "    publish_display_data({_w.MIME: {'id': asked['id'], **answer}})\n"
        "_w.serve = _serve\n" + _STUB
    ),
    # Read the hidden checks of the exercises before it in the kernel's history.
    "read_hidden_checks": (
        "def moving_average(values, k):\n"
        "    seen = get_ipython().user_ns.get('In', [])\n"
        "    if not any('with hidden_check(' in cell for cell in seen[:-1]):\n"
        "        raise NotImplementedError\n"
        "    v = np.asarray(values, dtype=float)\n"
        "    return np.array([v[i : i + k].mean() for i in range(len(v) - k + 1)])\n"
    ),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade every attack in one batch, two at a time, with alice's honest notebook beside."""
    subs = tmp_path_factory.mktemp("submissions")
    released = released_copy()
    paths = [subs / "alice.ipynb"]
    nbformat.write(submission(released), paths[0])
    for name, answer in {**SPIES, **BREAKERS}.items():
        path = subs / f"{name}.ipynb"
        # The attacker knows where the batch lies (a shared course folder, say).
        known = f"SUBMISSIONS = {str(subs)!r}\n{answer}"
        nbformat.write(submission(released, {**GOOD, "vowel_count": known}), path)
        paths.append(path)
    for name, answer in CHEATS.items():
        path = subs / f"{name}.ipynb"
        nbformat.write(submission(released, {**GOOD, "moving_average": answer}), path)
        paths.append(path)
    before = {path: path.read_bytes() for path in paths}
    chapter_before = CHAPTER.read_bytes()
    rows = grading.grade(paths, CHAPTERS, jobs=2, cell_timeout=8, timeout=90)
    by_student = {}
    for row in rows:
        by_student.setdefault(row.student, {})[row.exercise] = row
    return {
        "rows": by_student,
        "unchanged": all(path.read_bytes() == data for path, data in before.items()),
        "chapter_unchanged": CHAPTER.read_bytes() == chapter_before,
    }


def _score(graded, student):
    return sum(row.points for row in graded["rows"][student].values())


def test_the_honest_submission_gets_full_marks_beside_the_attacks(graded):
    assert _score(graded, "alice") == 6
    assert graded["unchanged"], "a submission changed another submission's file"
    assert graded["chapter_unchanged"], "a submission changed the instructor's chapter"


@pytest.mark.parametrize("trick", sorted(SPIES))
def test_a_spy_sees_nothing_and_scores_what_it_solved(graded, trick):
    rows = graded["rows"][trick]
    assert rows["vowel_count"].status == "failed", rows["vowel_count"]
    assert _score(graded, trick) == 5


@pytest.mark.parametrize("trick", sorted(BREAKERS))
def test_a_breaker_loses_only_its_own_exercise(graded, trick):
    rows = graded["rows"][trick]
    assert rows["vowel_count"].points == 0, rows["vowel_count"]
    assert rows["vowel_count"].status in ("failed", "error", "timeout"), rows["vowel_count"]
    assert _score(graded, trick) == 5, {e: (r.status, r.reason) for e, r in rows.items()}


def test_identity_comes_from_file_names_one_grade_per_student(tmp_path):
    released = released_copy()
    good = submission(released)
    good.metadata["rnnkit"]["student"] = "alice"  # the metadata's claim is ignored
    nbformat.write(good, tmp_path / "mallory.ipynb")
    nbformat.write(good, tmp_path / "bob.ipynb")
    nbformat.write(good, tmp_path / "bob_01_exercise_fixture.ipynb")
    (tmp_path / "carl.ipynb").mkdir()  # a folder named like a notebook
    v3 = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[])])
    v3.metadata["rnnkit"] = {"chapter": released.metadata["rnnkit"]["chapter"]}
    (tmp_path / "dora.ipynb").write_text(nbformat.v3.writes_json(v3))
    paths = [tmp_path / n for n in ("mallory.ipynb", "mallory.ipynb", "bob.ipynb")]
    paths += [tmp_path / n for n in ("bob_01_exercise_fixture.ipynb", "carl.ipynb", "dora.ipynb")]
    rows = grading.grade(paths, CHAPTERS, cell_timeout=8, timeout=60)
    students = {}
    for row in rows:
        students.setdefault(row.student, []).append(row)
    assert sorted(students) == ["bob", "carl", "dora", "mallory"]
    assert sum(r.points for r in students["mallory"]) == 6 and len(students["mallory"]) == 3
    assert all(r.status == "invalid" and "2 submissions claim" in r.reason for r in students["bob"])
    assert len(students["bob"]) == 6  # both files say why; neither is graded
    assert all(r.status == "invalid" and "folder" in r.reason for r in students["carl"])
    # An nbformat 3 notebook is converted and graded: it has no answer cells.
    assert {r.status for r in students["dora"]} == {"missing"}


def test_duplicated_answer_cells_score_zero_with_a_reason(tmp_path):
    nb = submission(released_copy())
    extra = next(c for c in nb.cells if c.metadata.get("exercise") == "pair_counts")
    nb.cells.append(nbformat.from_dict(json.loads(json.dumps(extra))))
    path = tmp_path / "eve.ipynb"
    nbformat.write(nb, path)
    rows = {r.exercise: r for r in grading.grade([path], CHAPTERS, cell_timeout=8, timeout=60)}
    assert rows["pair_counts"].status == "invalid" and "2 cells claim" in rows["pair_counts"].reason
    assert rows["vowel_count"].points + rows["moving_average"].points == 4


def test_a_students_other_cells_are_not_run(tmp_path):
    nb = submission(released_copy())
    # A cell of the student's own that would redefine the check to always pass.
    check_cell = nbformat.v4.new_code_cell(
        "from rnnkit.course import exercises\n"
        "exercises._REGISTRY.clear()\n"
        "raise SystemExit('the grader ran a cell that is not an answer')"
    )
    nb.cells.insert(1, check_cell)
    path = tmp_path / "oscar.ipynb"
    nbformat.write(nb, path)
    rows = grading.grade([path], CHAPTERS, cell_timeout=8, timeout=60)
    assert sum(r.points for r in rows) == 6 and {r.status for r in rows} == {"passed"}


@pytest.mark.parametrize("trick", sorted(CHEATS))
def test_a_cheat_scores_only_what_it_solved(graded, trick):
    rows = graded["rows"][trick]
    assert rows["moving_average"].points == 0, rows["moving_average"]
    assert _score(graded, trick) == 3, {e: (r.status, r.reason) for e, r in rows.items()}


def test_no_sandbox_is_explicit(tmp_path, capsys):
    from rnnkit import cli

    path = tmp_path / "alice.ipynb"
    nbformat.write(submission(released_copy()), path)
    out = tmp_path / "grades" / "g.csv"
    out.parent.mkdir()
    argv = ["grade", str(path), "--out", str(out), "--chapters", str(CHAPTERS), "--no-sandbox"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    summary_start = printed.index("WARNING: graded WITHOUT a sandbox", printed.index("graded "))
    assert printed[summary_start:].splitlines()[1].startswith("student")


def test_isolation_hides_the_folders_it_is_given(tmp_path):
    assert runs.SANDBOXED.sandbox and not runs.TRUSTED.sandbox
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    command = sandbox.wrap(["true"], scratch, [CHAPTERS], None)
    assert str(CHAPTERS.resolve()) not in command  # not on a command line /proc would show
    options = (tmp_path / "sandbox-options").read_bytes().split(b"\0")
    hidden = str(CHAPTERS.resolve()).encode()
    assert options[options.index(hidden) - 1] == b"--tmpfs"
    assert b"--unshare-net" in options and b"--unshare-pid" in options
    assert command[-1] == "true"


def test_a_python_environment_under_tmp_stays_visible_and_hidden_folders_in_it_stay_hidden(
    tmp_path, monkeypatch
):
    # A CI clone under /tmp: its packages must survive the sandbox's empty /tmp.
    lib, secret = tmp_path / "clone" / "lib", tmp_path / "clone" / "lib" / "solutions"
    secret.mkdir(parents=True)
    (lib / "module.py").write_text("X = 1\n")
    (secret / "answer.txt").write_text("42\n")
    monkeypatch.setattr(sys, "path", [*sys.path, str(lib)])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    script = f"cat {lib / 'module.py'} && ls -A {secret} && ls -A {tmp_path / 'clone'}"
    command = sandbox.wrap(["sh", "-c", script], scratch, [secret], None)
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["X", "=", "1", "lib"]  # the module; an empty secret folder


def test_a_long_batch_in_one_process_leaks_no_file_descriptors(tmp_path):
    # The sandbox's kernel manager is the grader's, not nbclient's: its channels must still close
    # (a batch of a few dozen submissions with --jobs 1 once ran out of descriptors).
    path = tmp_path / "alice.ipynb"
    nbformat.write(submission(released_copy()), path)

    def open_descriptors():
        return len(os.listdir("/proc/self/fd"))

    grading.grade([path], CHAPTERS, cell_timeout=8, timeout=60)  # warms what stays open
    before = open_descriptors()
    for _ in range(3):
        rows = grading.grade([path], CHAPTERS, cell_timeout=8, timeout=60)
        assert sum(r.points for r in rows) == 6
    assert open_descriptors() <= before + 2
