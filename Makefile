# The RNN Workbook. Every target creates or reuses .venv and reinstalls only when the pins change.
#   make workbook   execute every chapter in full mode -> build/*.ipynb, build/*.html, summary
#   make test       ruff, unit tests, notebook/source sync, nbval over every chapter in quick mode
#   make test-fast  the unit tests without the slow ones (XLA compiles), while editing rnnkit
#   make notebooks  rebuild chapters/*.ipynb from their .py and execute them (full mode)
#   make lab        JupyterLab on chapters/
#   make release    student copies of every chapter -> build/student/
#   make solutions  execute the instructor edition (solutions, hidden checks) -> build/solutions/
#   make test-installed  unit tests and chapters 1-4 on a non-editable install: Python 3.12 with
#                   the newest versions served, and Python 3.11 with the lowest ones admitted
#   make grade SUBMISSIONS='a.ipynb b.ipynb'   autograde submissions -> grades.csv, grades.json

PYTHON ?= $(shell command -v python3.11 || command -v python3)
PYTHON312 ?= $(shell for p in python3.12 $(HOME)/.pyenv/versions/3.12*/bin/python3.12; do $$p --version >/dev/null 2>&1 && { echo $$p; break; }; done)
# The lower ends of pyproject.toml's ranges for the TensorFlow stack.
LOWEST := "tensorflow==2.19.*" "keras==3.10.*" "tensorflow-text==2.19.*"
VENV := .venv
PY := $(VENV)/bin/python
# What the installed environment was made from; a change in either file means reinstall.
PINS := constraints.txt pyproject.toml
STAMP := $(VENV)/.pins
export TF_CPP_MIN_LOG_LEVEL := 3
NBVAL := --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	--nbval-cell-timeout=600 --timeout=900 -p no:cacheprovider

.PHONY: venv workbook solutions test test-fast test-installed lint unit nbval notebooks lab \
	release grade clean

venv:
	@test -x $(PY) || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@if cat $(PINS) | cmp -s - $(STAMP); then :; else \
		echo "installing pinned dependencies into $(VENV) ..."; \
		$(PY) -m pip install -q --upgrade pip && \
		$(PY) -m pip install -q -c constraints.txt -e '.[dev]' && \
		cat $(PINS) > $(STAMP); \
	fi

workbook: venv
	$(PY) -m rnnkit workbook --out build $(CHAPTER)

solutions: venv
	$(PY) -m rnnkit workbook --with-solutions --out build/solutions $(CHAPTER)

notebooks: venv
	$(PY) -m rnnkit notebooks $(CHAPTER)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# One worker per core (pytest-xdist): the tests are independent, and TensorFlow's small ops leave
# a core idle in a single process.
unit: venv
	$(PY) -m pytest tests -q -n auto

# The unit tests without those marked slow (XLA compiles): the quick loop while editing rnnkit.
test-fast: venv
	$(PY) -m pytest tests -q -n auto -m "not slow"

# The committed student notebooks, and the instructor edition built from the sources on the fly
# (unexecuted: nbval runs every cell, and a solution that fails its checks fails the cell).
nbval: venv
	$(PY) -m rnnkit release --with-solutions --out build/instructor > /dev/null
	RNNKIT_QUICK=1 $(PY) -m pytest $(NBVAL) chapters/*.ipynb build/instructor/*.ipynb

test-installed:
	.ci/installed $(PYTHON312) py312
	.ci/installed $(PYTHON) lowest $(LOWEST)

test: lint unit nbval

lab: venv
	@$(PY) -c "import jupyterlab" 2>/dev/null || $(PY) -m pip install -q -c constraints.txt -e '.[lab]'
	$(VENV)/bin/jupyter lab --notebook-dir=chapters

release: venv
	$(PY) -m rnnkit release --verify --out build/student $(CHAPTER)

grade: venv
	$(PY) -m rnnkit grade $(SUBMISSIONS) --out grades.csv --json grades.json --jobs 2

clean:
	rm -rf build
