"""The bad-input corpus: every way a careful user can hand quasimarket a bad input, as data.

Each :class:`Case` is one invocation of the ``quasimarket`` CLI in a fresh folder. The folder is
built from the valid base inputs (``tests/corpus/base/`` plus activity, a tariff, an MFF table, a
performance file and a run store generated once per test session) by **one** change: an edited
line of a TOML file, one bad cell in an activity or tariff table, a missing file, a folder where
a file should be, an odd option. The expectation is what a careful user wants, never what the
code happens to do today: exit code 2, one message on stderr that matches ``message`` (a regular
expression, searched case-insensitively in the whitespace-normalised stderr) naming the file,
field or row and the fix, no traceback, and nothing in the folder created or changed.

``tests/integration/test_bad_input_corpus.py`` runs them. To add a case, add one line to the
list of its area below; ``message`` and ``argv`` may name ``{placeholders}`` that the case's
build step records in ``Workspace.values`` (a record id, a run id), so that a message is checked
for the exact row or id.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

CORPUS = Path(__file__).resolve().parent
BASE_FILES = CORPUS / "base"

#: The CLI, in-process: ``run(["price", ...])`` returns the exit code.
Runner = Callable[[list[str]], int]

# -- the valid base ----------------------------------------------------------------------------

#: How many activity records the base has (generated once per session).
BASE_RECORDS = 200
#: Commands that must succeed on the base inputs: each case is one change away from these.
BASE_COMMANDS: dict[str, tuple[str, ...]] = {
    "contract": ("contract", "check", "contract.toml"),
    "price": (
        "price", "contract.toml", "activity.csv", "--tariff", "tariff", "--mff", "mff.csv",
        "--achievement", "achievement.toml", "--performance", "performance.toml",
        "--out", "priced",
    ),
    "price-parquet": ("price", "contract.toml", "activity.parquet"),
    "price-xlsx": ("price", "contract.toml", "activity.xlsx"),
    "stress-check": ("stress", "check", "scenario.toml"),
    "stress-run": ("stress", "run", "scenario.toml", "--draws", "200", "--json"),
    "stress-contract": (
        "stress", "check", "--contract", "contract.toml", "--uncertainty", "uncertainty.toml",
        "--costs", "costs.toml", "--ignore-rule", "readmissions", "--ignore-rule", "sanctions",
    ),
    "simulate": ("simulate", "simulation.toml", "--out", "runs", "--json"),
    "runs-show": ("runs", "show", "{stress}", "--store", "runs"),
}  # fmt: skip


def performance_text(attendances: int) -> str:
    """The valid base performance file: 90% of the activity's A&E attendances within 4 hours."""
    return (
        "# Valid base performance file (A&E 4-hour standard) for the corpus contract.\n"
        'format = "quasimarket.performance/1"\n\n'
        "[lines.ae.ae_4_hour]\n"
        f"numerator = {attendances * 9 // 10}\n"
        f"denominator = {attendances}\n"
    )


class Base:
    """The valid base inputs of the corpus, built once per session in *folder*.

    Files: the committed ``tests/corpus/base/*.toml``; ``activity.csv``, ``.parquet`` and
    ``.xlsx`` (the same 200 records, generated for the base contract); ``tariff/`` (the small
    economy's Annex A tables for 2016/17 as CSVs: ``apc``, ``outpatient``, ``ae``, ``mff``,
    ``top_up``); ``mff.csv``; ``performance.toml``; and, on first use, ``runs/`` (a run store
    holding one stress run and one simulation run).
    """

    def __init__(self, folder: Path, run: Runner) -> None:
        self.folder = folder
        self._run = run
        self._store: dict[str, str] | None = None
        self._build()

    def _check(self, argv: list[str]) -> None:
        code = self._run(argv)
        if code != 0:
            raise RuntimeError(f"building the corpus base failed (exit {code}): {argv}")

    def _build(self) -> None:
        from quasimarket.economy import small_economy

        for source in BASE_FILES.iterdir():
            if source.suffix == ".toml":
                shutil.copy2(source, self.folder / source.name)
        contract = str(self.folder / "contract.toml")
        for suffix in ("csv", "parquet", "xlsx"):
            self._check(
                [
                    "activity", "generate", "--n", str(BASE_RECORDS), "--contract", contract,
                    "--seed", "1", "--out", str(self.folder / f"activity.{suffix}"),
                ]
            )  # fmt: skip
        frame = pd.read_csv(self.folder / "activity.csv", dtype=str, keep_default_na=False)
        attendances = int((frame["pod"] == "ae").sum())
        (self.folder / "performance.toml").write_text(
            performance_text(attendances), encoding="utf-8"
        )
        tariff = self.folder / "tariff"
        tariff.mkdir()
        for key, table in small_economy(seed=0, year="2016/17").tariff.items():
            table.to_csv(tariff / f"{key}.csv", index=False)
        shutil.copy2(tariff / "mff.csv", self.folder / "mff.csv")

    def store(self) -> dict[str, str]:
        """Build ``runs/`` on first use; return the run ids by kind (stress, simulation)."""
        if self._store is None:
            store = str(self.folder / "runs")
            scenario = str(self.folder / "scenario.toml")
            simulation = str(self.folder / "simulation.toml")
            self._check(["stress", "run", scenario, "--draws", "200", "--store", store, "--json"])
            self._check(["simulate", simulation, "--out", store, "--json"])
            ids = sorted(p.name for p in Path(store).iterdir() if p.is_dir())
            self._store = {
                "stress": next(i for i in ids if i.startswith("stress-")),
                "simulation": next(i for i in ids if i.startswith("simulation-")),
            }
        return self._store


class Workspace:
    """The folder one case runs in (its current directory), and tools to build its inputs."""

    def __init__(self, root: Path, base: Base) -> None:
        self.root = root
        self.base = base
        #: Values for the ``{placeholders}`` of the case's argv and message.
        self.values: dict[str, str] = {}

    def copy(self, *names: str) -> None:
        """Copy base files or folders unchanged (``runs`` also records the run ids)."""
        for name in names:
            if name == "runs":
                self.values.update(self.base.store())
            source = self.base.folder / name
            if source.is_dir():
                shutil.copytree(source, self.root / name)
            else:
                shutil.copy2(source, self.root / name)

    def text(self, name: str) -> str:
        return (self.base.folder / name).read_text(encoding="utf-8")

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def edit(
        self, name: str, old: str, new: str, *, last: bool = False, to: str | None = None
    ) -> None:
        """Write base file *name* with the first (or *last*) *old* replaced by *new*."""
        text = self.text(name)
        if old not in text:
            raise AssertionError(f"the corpus base {name} no longer contains {old!r}")
        at = text.rindex(old) if last else text.index(old)
        self.write(to or name, text[:at] + new + text[at + len(old) :])

    def frame(self, name: str = "activity.csv") -> pd.DataFrame:
        """A base table as text cells (so a rewrite changes only what the case changes)."""
        return pd.read_csv(self.base.folder / name, dtype=str, keep_default_na=False)

    def save(self, frame: pd.DataFrame, name: str = "activity.csv") -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith(".parquet"):
            frame.to_parquet(path, index=False)
        elif name.endswith(".xlsx"):
            frame.to_excel(path, index=False)
        else:
            frame.to_csv(path, index=False)
        return path


Build = Callable[[Workspace], object]  # the result is ignored


def _nothing(ws: Workspace) -> None:
    """No inputs beyond the case's ``uses``."""


@dataclass(frozen=True)
class Case:
    """One bad invocation and what a careful user expects of it.

    Attributes:
        name: Unique within its area; the test id is ``area-name``.
        area: contract, activity, tariff, mff, achievement, performance, stress, simulation, cli.
        argv: The arguments after ``quasimarket``; paths are relative to the case folder.
        message: Regular expression the whitespace-normalised stderr must match.
        build: Writes the case's inputs into the folder (after ``uses`` are copied).
        uses: Base files and folders copied unchanged first.
        exit: The expected exit code.
        subprocess: Run the installed script with a timeout (named pipes, devices: cases that
            would hang the test run if a check regressed).
        allowed: Paths (relative) the command may create; none for an error.
    """

    name: str
    area: str
    argv: tuple[str, ...]
    message: str
    build: Build = _nothing
    uses: tuple[str, ...] = ()
    exit: int = 2
    subprocess: bool = False
    allowed: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.area}-{self.name}"


# -- builders shared by several cases ------------------------------------------------------------


def edit(name: str, old: str, new: str, *, last: bool = False, to: str | None = None) -> Build:
    return lambda ws: ws.edit(name, old, new, last=last, to=to)


def write(name: str, content: str | bytes | Callable[[Workspace], str | bytes]) -> Build:
    def build(ws: Workspace) -> None:
        ws.write(name, content(ws) if callable(content) else content)

    return build


def mkdir(name: str) -> Build:
    return lambda ws: (ws.root / name).mkdir()


def fifo(name: str) -> Build:
    return lambda ws: os.mkfifo(ws.root / name)


def sparse(name: str, size: int) -> Build:
    def build(ws: Workspace) -> None:
        with open(ws.root / name, "wb") as handle:  # sparse: no disk space used
            handle.truncate(size)

    return build


def truncated(source: str, name: str) -> Build:
    """The first half of a base binary file (a Parquet or XLSX cut off mid-copy)."""

    def build(ws: Workspace) -> None:
        data = (ws.base.folder / source).read_bytes()
        ws.write(name, data[: len(data) // 2])

    return build


def all_of(*parts: str) -> str:
    """A regular expression matching text that contains every part, in any order."""
    return "".join(f"(?=.*{part})" for part in parts)


def none_of(*parts: str) -> str:
    """A regular expression matching text that contains none of the parts."""
    return "^" + "".join(f"(?!.*{part})" for part in parts)


#: A message for a `nan` the user wrote must say it is not a number (not "negative", "above 50").
NOT_A_NUMBER = r"(finite|not a number)"

NOISE = bytes(range(256)) * 8
DEEP_TOML = "a = " + "[" * 5000 + "]" * 5000 + "\n"

# -- contracts: `quasimarket contract check contract.toml` --------------------------------------

C = "contract.toml"
CHECK = ("contract", "check", C)
OP_MECHANISM = 'mechanism = "national_tariff"\n'  # the outpatient line's, last in the file


def with_terms(mechanism: str, terms: str) -> Build:
    """The outpatient line under *mechanism* with these ``[lines.terms]``."""

    def build(ws: Workspace) -> None:
        ws.edit(C, OP_MECHANISM, f'mechanism = "{mechanism}"\n[lines.terms]\n{terms}\n', last=True)

    return build


def contract_case(
    name: str,
    build: Build,
    message: str,
    *,
    argv: tuple[str, ...] = CHECK,
    uses: tuple[str, ...] = (),
    subprocess: bool = False,
) -> Case:
    return Case(name, "contract", argv, message, build=build, uses=uses, subprocess=subprocess)


def contract_edit(name: str, old: str, new: str, message: str, *, last: bool = False) -> Case:
    return contract_case(name, edit(C, old, new, last=last), message)


def _cut_lines(ws: Workspace) -> None:
    text = ws.text(C)
    ws.write(C, text[: text.index("[[lines]]")])


def _cut_providers(ws: Workspace) -> None:
    text = ws.text(C)
    start = text.index("[[providers]]")
    ws.write(C, text[:start] + text[text.index("[[lines]]") :])


def _huge_name(ws: Workspace) -> None:
    ws.edit(C, 'name = "Corpus acute contract 2016/17"', 'name = "' + "x" * 100_000 + '"')


def _latin1_name(ws: Workspace) -> None:
    text = ws.text(C).replace("Synthetic Midlands CCG 1", "Synthétique CCG")
    ws.write(C, text.encode("latin-1"))


GOALS = (
    '[[lines.adjustments.goals]]\nname = "Staff health and wellbeing"\nweight = 0.4\n'
    '[[lines.adjustments.goals]]\nname = "Sepsis screening and antibiotic review"\nweight = 0.6\n'
)

CONTRACT_CASES = [
    # TOML syntax
    contract_edit("syntax-unclosed-string", 'name = "Corpus acute contract 2016/17"',
                  'name = "Corpus acute contract', r"contract\.toml.*line 5"),
    contract_edit("syntax-missing-value", "planned_activity = 38_000", "planned_activity =",
                  r"contract\.toml.*line 23"),
    contract_edit("syntax-duplicate-key", 'year = "2016/17"', 'year = "2016/17"\nyear = "2017/18"',
                  r"contract\.toml.*line 7"),
    contract_edit("syntax-bad-table-header", "[[lines]]\nid = \"nel\"", "[[lines]\nid = \"nel\"",
                  r"contract\.toml.*line 35"),
    contract_edit("syntax-bare-word", "avoidable_share = 0.5", "avoidable_share = half",
                  r"contract\.toml.*line 50"),
    # unknown keys
    contract_edit("unknown-top-level-key", 'form = "nhs_standard_contract"',
                  'form = "nhs_standard_contract"\nnmae = "x"', r"nmae.*did you mean 'name'"),
    contract_edit("unknown-line-key", "planned_activity = 38_000", "planned_activty = 38_000",
                  r"planned_activty.*did you mean 'planned_activity'"),
    contract_edit("unknown-adjustment-key", "baseline_value = 90_000_000",
                  "baseline_valu = 90_000_000", r"baseline_valu\b.*did you mean 'baseline_value'"),
    contract_edit("unknown-goal-key", "weight = 0.4", "wieght = 0.4",
                  r"wieght.*did you mean 'weight'"),
    contract_case("unknown-terms-key", with_terms("national_tariff", "mf = 1.0"),
                  r"\bmf\b.*did you mean 'mff'"),
    # bad enum values
    contract_edit("currency-spel", 'currency = "spell"', 'currency = "spel"',
                  all_of("currency", "'spel'", "'spell'")),
    contract_edit("pod-banana", 'pods = ["elective", "day_case"]', 'pods = ["elective", "banana"]',
                  r"pods.*'banana'.*day_case"),
    contract_edit("mechanism-typo", 'mechanism = "national_tariff"', 'mechanism = "national_tarif"',
                  r"'national_tarif'.*did you mean 'national_tariff'"),
    contract_edit("rule-typo", 'rule = "mret"', 'rule = "mert"', r"'mert'.*mret"),
    contract_edit("form-unknown", 'form = "nhs_standard_contract"', 'form = "handshake"',
                  r"form.*'handshake'.*nhs_standard_contract"),
    contract_edit("sanctions-kind-unknown", 'kind = "threshold"', 'kind = "threshhold"',
                  r"kind.*'threshhold'"),
    contract_edit("sanctions-standard-unknown", 'standard = "ae_4_hour"',
                  'standard = "ae_4_hours"', r"'ae_4_hours'.*did you mean 'ae_4_hour'"),
    contract_case("local-price-method-unknown",
                  with_terms("local_price", 'method = "guess"\nprice = 100'),
                  r"method.*'guess'.*agreed"),
    contract_case("settlement-rule-unknown",
                  lambda ws: ws.write(C, ws.text(C) + '\n[settlement]\nrule = "haggle"\n'),
                  r"rule.*'haggle'.*pay_in_full"),
    # years and formats
    contract_edit("year-garbage", 'year = "2016/17"', 'year = "garbage"', r"year.*'?garbage"),
    contract_edit("year-before-1991", 'year = "2016/17"', 'year = "1989/90"', r"year.*1989/90"),
    contract_edit("year-inconsistent", 'year = "2016/17"', 'year = "2016/18"', r"year.*2016/18"),
    contract_edit("year-float", 'year = "2016/17"', "year = 2016.5", r"year.*2016\.5"),
    contract_edit("year-toml-date", 'year = "2016/17"', "year = 2016-04-01", r"year.*2016-04-01"),
    contract_edit("format-missing", 'format = "quasimarket.contract/1"\n', "",
                  r"format.*quasimarket\.contract/1"),
    contract_edit("format-future-version", 'format = "quasimarket.contract/1"',
                  'format = "quasimarket.contract/9"',
                  r"quasimarket\.contract/9.*quasimarket\.contract/1"),
    # wrong types, negative money, non-finite numbers
    contract_edit("planned-activity-text", "planned_activity = 38_000",
                  'planned_activity = "lots"', r"planned_activity.*lots"),
    contract_edit("planned-activity-negative", "planned_activity = 38_000",
                  "planned_activity = -38_000", r"planned_activity.*-38"),
    contract_edit("planned-activity-overflow", "planned_activity = 38_000",
                  "planned_activity = 1e400", r"planned_activity.*(inf|finite)"),
    contract_edit("planned-value-negative", "planned_value_gbp = 48_000_000",
                  "planned_value_gbp = -48_000_000", r"planned_value_gbp.*-48"),
    contract_edit("planned-value-nan", "planned_value_gbp = 48_000_000",
                  "planned_value_gbp = nan", r"planned_value_gbp.*(nan|finite)"),
    contract_edit("planned-value-inf", "planned_value_gbp = 48_000_000",
                  "planned_value_gbp = inf", r"planned_value_gbp.*(inf|finite)"),
    contract_edit("mret-baseline-nan", "baseline_value = 90_000_000", "baseline_value = nan",
                  r"baseline_value.*(nan|finite)"),
    contract_edit("mret-baseline-negative", "baseline_value = 90_000_000",
                  "baseline_value = -90_000_000", r"baseline_value.*-90"),
    contract_edit("mret-rate-above-1", "baseline_value = 90_000_000",
                  "baseline_value = 90_000_000\nrate = 1.5", r"rate.*1\.5"),
    contract_edit("mret-rate-negative", "baseline_value = 90_000_000",
                  "baseline_value = 90_000_000\nrate = -0.1", r"rate.*-0\.1"),
    contract_edit("avoidable-share-above-1", "avoidable_share = 0.5", "avoidable_share = 1.2",
                  r"avoidable_share.*1\.2"),
    contract_edit("avoidable-share-inf", "avoidable_share = 0.5", "avoidable_share = inf",
                  r"avoidable_share.*(inf|finite)"),
    contract_edit("avoidable-share-bool", "avoidable_share = 0.5", "avoidable_share = true",
                  r"avoidable_share.*true"),
    contract_edit("cquin-weights-over-100", "weight = 0.6", "weight = 0.7",
                  r"CQUIN weights over 100%"),
    contract_edit("cquin-weight-negative", "weight = 0.4", "weight = -0.4", r"weight.*-0\.4"),
    contract_edit("cquin-weight-inf", "weight = 0.4", "weight = inf", r"weight.*(inf|finite)"),
    contract_edit("cquin-rate-nan", 'rule = "cquin"', 'rule = "cquin"\nrate = nan',
                  r"rate.*(nan|finite)"),
    contract_edit("cquin-no-goals", GOALS, "", r"goals"),
    contract_edit("sanctions-threshold-above-1", "threshold = 0.95", "threshold = 1.5",
                  r"threshold.*1\.5"),
    contract_edit("sanctions-penalty-negative", "unit_penalty = 120", "unit_penalty = -120",
                  r"unit_penalty.*-120"),
    contract_edit("sanctions-floor-above-threshold", "floor_threshold = 0.85",
                  "floor_threshold = 0.99", r"floor_threshold.*above.*threshold"),
    contract_edit("allow-out-of-era-text", 'pods = ["elective", "day_case"]',
                  'pods = ["elective", "day_case"]\nallow_out_of_era = "sometimes"',
                  r"allow_out_of_era.*sometimes"),
    contract_edit("pods-not-a-list", 'pods = ["elective", "day_case"]', 'pods = "elective"',
                  r"pods"),
    # references and required fields
    contract_edit("duplicate-line-ids", 'id = "nel"', 'id = "elective"',
                  r"(duplicate|unique).*'elective'|'elective'.*(duplicate|unique|twice)"),
    contract_edit("missing-service", 'service = "Elective and day case inpatients"\n', "",
                  r"lines #1 \('elective'\).*service"),
    contract_edit("missing-mechanism", 'mechanism = "national_tariff"\n', "",
                  r"lines #1 \('elective'\).*mechanism"),
    contract_case("no-providers", _cut_providers, r"providers"),
    contract_case("no-lines", _cut_lines, r"lines"),
    contract_edit("provider-not-a-party", 'pods = ["elective", "day_case"]',
                  'pods = ["elective", "day_case"]\nprovider = "RXX99"', r"provider.*'?RXX99"),
    contract_edit("commissioner-not-a-party", 'pods = ["elective", "day_case"]',
                  'pods = ["elective", "day_case"]\ncommissioner = "QZZ"', r"commissioner.*'?QZZ"),
    contract_edit("provider-code-blank", 'code = "SR001"', 'code = ""', r"code"),
    # mechanism-specific terms
    contract_case("block-profile-sum", with_terms("block", "monthly_profile = " + str([0.1] * 12)),
                  r"monthly_profile.*(sum|1)"),
    contract_case("block-profile-eleven-months",
                  with_terms("block", "monthly_profile = " + str([1 / 11] * 11)),
                  r"monthly_profile.*12"),
    contract_case("block-annual-value-negative", with_terms("block", "annual_value = -1_000"),
                  r"annual_value.*-1"),
    contract_case("caps-cap-below-collar",
                  with_terms("caps_and_collars", "collar_activity = 320_000\n"
                             "cap_activity = 300_000\nprice = 116\nmarginal_rate = 0.5"),
                  r"(cap_activity|collar_activity)"),
    contract_case("caps-missing-price",
                  with_terms("caps_and_collars", "collar_activity = 300_000\n"
                             "cap_activity = 320_000\nmarginal_rate = 0.5"),
                  r"price.*(required|missing)|(required|missing).*price"),
    contract_case("cost-and-volume-missing-threshold",
                  with_terms("cost_and_volume", "base_value = 30_000_000\nprice = 116"),
                  r"threshold_activity"),
    contract_case("blended-variable-rate-2", with_terms("blended", "variable_rate = 2"),
                  r"variable_rate.*2"),
    contract_case("local-price-negative",
                  with_terms("local_price", 'method = "agreed"\nprice = -10'), r"price.*-10"),
    contract_case("capitation-rate-negative",
                  with_terms("capitation", "weighted_population = 1000\nrate_per_head = -5"),
                  r"rate_per_head.*-5"),
    contract_case("capitation-outcome-share-above-1",
                  with_terms("capitation", "weighted_population = 1000\nrate_per_head = 5\n"
                             "outcome_share = 1.5"), r"outcome_share.*1\.5"),
    contract_case("national-tariff-mff-percent", with_terms("national_tariff", "mff = 96.5"),
                  r"mff.*96\.5"),
    contract_case("national-tariff-top-up-300", with_terms("national_tariff", "top_up_pct = 3"),
                  r"top_up_pct.*3"),
    contract_case("national-tariff-rsse-age-negative",
                  with_terms("national_tariff", "rsse_min_age = -1"), r"rsse_min_age.*-1"),
    contract_case("activity-cap-out-of-era",
                  edit(C, "weight = 0.6\n", 'weight = 0.6\n\n[[lines.adjustments]]\n'
                       'rule = "activity_cap"\n'), r"activity_cap.*(2011/12|2016/17)"),
    contract_case("local-variation-dates-reversed",
                  edit(C, "weight = 0.6\n", 'weight = 0.6\n\n[[lines.adjustments]]\n'
                       'rule = "local_variation"\neffective_from = 2016-10-01\n'
                       "effective_to = 2016-04-01\nfactor = 0.9\n"),
                  r"effective_(to|from)"),
    contract_case("risk-share-shares-not-summing",
                  lambda ws: ws.write(C, ws.text(C) + "\n[risk_share]\nband_edges = [0.95, 1.05]\n"
                                      "provider_shares = [0.5, 0.0, 0.5]\n"
                                      "commissioner_shares = [0.6, 1.0, 0.5]\n"),
                  r"(provider|commissioner)_shares"),
    # the file itself
    contract_case("deep-nesting", write(C, DEEP_TOML), r"nested too deeply"),
    contract_case("name-100-kb", _huge_name, r"name.*200 characters"),
    contract_case("not-utf8", _latin1_name, r"contract\.toml.*UTF-8"),
    contract_case("a-folder", mkdir(C), r"contract\.toml.*(folder|directory)"),
    contract_case("missing-file", _nothing, r"contract\.toml.*(not found|no such|does not exist)"),
    contract_case("empty-file", write(C, ""), r"contract\.toml.*empty"),
    contract_case("binary-noise", write(C, NOISE), r"contract\.toml.*(not text|UTF-8)"),
    contract_case("nul-bytes", lambda ws: ws.write(C, ws.text(C).encode() + b"\x00\x00"),
                  r"contract\.toml.*(not text|NUL)"),
    contract_case("too-large", sparse(C, 2 * 1024**2), r"contract\.toml.*too large"),
    contract_case("named-pipe", fifo(C), r"contract\.toml.*named pipe", subprocess=True),
    contract_case("dev-zero", _nothing, r"/dev/zero.*character device",
                  argv=("price", "/dev/zero", "activity.csv"), uses=("activity.csv",),
                  subprocess=True),
    contract_case("price-an-activity-file-as-contract", _nothing,
                  r"activity\.csv.*(TOML|contract)",
                  argv=("price", "activity.csv", "activity.csv", "--out", "priced"),
                  uses=("activity.csv",)),
    contract_case("price-unknown-key", edit(C, "planned_activity = 38_000",
                                            "planned_activty = 38_000"),
                  r"planned_activty.*did you mean 'planned_activity'",
                  argv=("price", C, "activity.csv", "--out", "priced"), uses=("activity.csv",)),
]  # fmt: skip

# -- activity: `quasimarket price contract.toml activity.csv --out priced` -----------------------

A = "activity.csv"
PRICE = ("price", C, A, "--out", "priced")
DATES = ["admission_date", "discharge_date"]

Change = Callable[[pd.DataFrame, dict[str, str]], pd.DataFrame | None]


def first(frame: pd.DataFrame, pod: str, skip: int = 0) -> int:
    """The index of the *skip*-th record of *pod* (the file's line is index + 2)."""
    return int(frame.index[frame["pod"] == pod][skip])


def activity_case(
    name: str,
    change: Change,
    message: str,
    *,
    extra: tuple[str, ...] = (),
    file: str = A,
) -> Case:
    """The base activity with *change* applied, priced under the base contract."""

    def build(ws: Workspace) -> None:
        frame = ws.frame()
        changed = change(frame, ws.values)
        ws.save(frame if changed is None else changed, file)

    argv = ("price", C, file, "--out", "priced", *extra)
    return Case(name, "activity", argv, message, build=build, uses=(C,))


def cell(column: str, value: str, pod: str = "elective", *, nodates: bool = False) -> Change:
    """Set one cell of the first *pod* record (recording ``{id}`` and ``{line}``)."""

    def change(frame: pd.DataFrame, values: dict[str, str]) -> pd.DataFrame:
        i = first(frame, pod)
        frame.loc[i, column] = value
        values.update(id=frame.loc[i, "record_id"], line=str(i + 2))
        return frame.drop(columns=DATES) if nodates else frame

    return change


def drop(column: str) -> Change:
    return lambda frame, values: frame.drop(columns=[column])


def readmission(target: Callable[[pd.DataFrame, int], int]) -> Change:
    """Point the first non-elective spell's readmission_of at *target* (``{id}`` = the spell)."""

    def change(frame: pd.DataFrame, values: dict[str, str]) -> None:
        i = first(frame, "non_elective")
        frame.loc[i, "readmission_of"] = frame.loc[target(frame, i), "record_id"]
        values.update(id=frame.loc[i, "record_id"], line=str(i + 2))

    return change


def _later_spell(frame: pd.DataFrame, values: dict[str, str]) -> None:
    """An emergency spell linked to the same patient's *next* emergency spell (the wrong way
    round): the later spell is given the patient's id, so only the order is wrong."""
    i = first(frame, "non_elective")
    spells = frame[
        (frame["pod"] == "non_elective") & (frame["provider"] == frame.loc[i, "provider"])
    ]
    j = int(spells.index[spells["admission_date"] > frame.loc[i, "discharge_date"]][0])
    frame.loc[j, "patient_id"] = frame.loc[i, "patient_id"]
    frame.loc[i, "readmission_of"] = frame.loc[j, "record_id"]
    values.update(id=frame.loc[i, "record_id"], line=str(i + 2))


def _elective_readmission(frame: pd.DataFrame, values: dict[str, str]) -> None:
    """A planned (elective) spell marked as readmitting the spell before it."""
    i = first(frame, "elective", skip=1)
    frame.loc[i, "readmission_of"] = frame.loc[first(frame, "elective"), "record_id"]
    values.update(id=frame.loc[i, "record_id"], line=str(i + 2))


def _duplicate_ids(frame: pd.DataFrame, values: dict[str, str]) -> None:
    frame.loc[1, "record_id"] = frame.loc[0, "record_id"]
    values["id"] = frame.loc[0, "record_id"]


def _us_dates(frame: pd.DataFrame, values: dict[str, str]) -> None:
    for column in DATES:
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%m/%d/%Y")


def _mixed_dates(frame: pd.DataFrame, values: dict[str, str]) -> None:
    half = frame.index[: len(frame) // 2]
    for column in DATES:
        frame.loc[half, column] = pd.to_datetime(frame.loc[half, column]).dt.strftime("%d/%m/%Y")


def _los_contradicts_dates(frame: pd.DataFrame, values: dict[str, str]) -> None:
    i = first(frame, "elective")
    frame.loc[i, "los_days"] = str(int(frame.loc[i, "los_days"]) + 5)
    values.update(id=frame.loc[i, "record_id"], line=str(i + 2))


def _all_string_parquet(frame: pd.DataFrame, values: dict[str, str]) -> None:
    frame.loc[0, "age"] = "unknown"  # every column is a string column in this Parquet file


def _csv_text(change: Callable[[str], str | bytes]) -> Build:
    """The base activity CSV's text through *change* (a raw edit a DataFrame cannot make)."""

    def build(ws: Workspace) -> None:
        ws.write(A, change(ws.text(A)))

    return build


def _duplicate_column(text: str) -> str:
    """A second ``age`` column (a careless join in a spreadsheet)."""
    return "\n".join(
        line + (",age" if i == 0 else ",7") if line else line
        for i, line in enumerate(text.split("\n"))
    )


def raw_case(
    name: str, build: Build, message: str, *, file: str = A, subprocess: bool = False
) -> Case:
    """An activity file written (or not) by *build*, priced under the base contract."""
    argv = ("price", C, file, "--out", "priced")
    return Case(name, "activity", argv, message, build=build, uses=(C,), subprocess=subprocess)


ACTIVITY_CASES = [
    # columns and ids
    activity_case("missing-provider-column", drop("provider"), r"missing column 'provider'"),
    activity_case("missing-record-id-column", drop("record_id"), r"missing column 'record_id'"),
    activity_case("missing-age-column", drop("age"), r"missing column 'age'"),
    activity_case("duplicate-ids", _duplicate_ids,
                  all_of(r"duplicate record ids?: {id}\b", "rows 2, 3")),
    activity_case("blank-id", cell("record_id", ""), r"record_id.*(row|line)s? {line}\b"),
    raw_case("duplicate-column-name", _csv_text(_duplicate_column), r"age.*(twice|duplicate)"),
    raw_case("semicolon-separated", write(A, lambda ws: ws.frame().to_csv(index=False, sep=";")),
             r"(semicolon|;|header row)"),
    # dates
    activity_case("date-month-13", cell("admission_date", "2016-13-45"),
                  r"admission_date.*2016-13-45"),
    activity_case("date-a-word", cell("discharge_date", "yesterday"), r"discharge_date.*yesterday"),
    activity_case("us-dates", _us_dates, r"(admission|discharge)_date.*--date-format.*%m/%d/%Y"),
    activity_case("mixed-date-formats", _mixed_dates, r"(admission|discharge)_date.*mix"),
    activity_case("date-before-the-nhs", cell("admission_date", "1947-01-01"),
                  r"admission_date.*1947-01-01.*1948"),
    activity_case("date-2100", cell("discharge_date", "2100-01-01"), r"discharge_date.*2100"),
    activity_case("date-format-mismatch", lambda f, v: None,
                  all_of("admission_date", "--date-format", "%d/%m/%Y"),
                  extra=("--date-format", "%d/%m/%Y")),
    activity_case("discharge-before-admission",
                  cell("discharge_date", "2016-04-01", pod="non_elective"),
                  r"discharge date before admission date.*{id}"),
    # lengths of stay, ages, codes
    activity_case("los-10000", cell("los_days", "10000", nodates=True), r"los_days.*10,?000"),
    activity_case("los-contradicts-dates", _los_contradicts_dates,
                  r"los_days.*(dates|discharge).*{id}|{id}.*los_days"),
    activity_case("los-negative", cell("los_days", "-2", nodates=True), r"los_days.*-2"),
    activity_case("los-fraction", cell("los_days", "2.5", nodates=True), r"los_days.*2\.5"),
    activity_case("age-65566", cell("age", "65566"), r"age.*65,?566"),
    activity_case("age-negative", cell("age", "-1"), r"age.*-1"),
    activity_case("age-200", cell("age", "200"), r"age.*200"),
    activity_case("age-a-word", cell("age", "forty"), r"age.*forty"),
    activity_case("age-inf", cell("age", "inf"), r"age.*inf"),
    activity_case("ae-dept-type-9", cell("ae_dept_type", "9", pod="ae"), r"ae_dept_type.*9"),
    activity_case("ae-dept-type-0", cell("ae_dept_type", "0", pod="ae"), r"ae_dept_type.*0"),
    activity_case("pod-banana", cell("pod", "banana"), r"pod.*banana"),
    activity_case("month-13", cell("month", "13", nodates=True), r"month.*13"),
    activity_case("year-garbage", cell("year", "2016/18", nodates=True), r"year.*2016/18"),
    activity_case("unknown-hrg", cell("hrg", "ZZ999"), r"ZZ999"),
    activity_case("blank-provider", cell("provider", ""), r"provider.*(blank|row|line|{id})"),
    activity_case("commissioner-not-covered", cell("commissioner", "QZZ01"), r"QZZ01",
                  extra=("--refuse-non-contract",)),
    activity_case("provider-code-100-kb", cell("provider", "X" * 100_000), r"provider"),
    activity_case("line-id-unknown", cell("line_id", "nope"), r"line_id.*nope"),
    activity_case("patient-id-fraction", cell("patient_id", "1.5"), r"patient_id.*1\.5"),
    activity_case("bpt-met-maybe", cell("bpt_met", "maybe"), r"bpt_met.*maybe"),
    activity_case("top-up-eligible-2", cell("top_up_eligible", "2"), r"top_up_eligible.*2"),
    # extract fields (formats.py) and counted rows
    activity_case("count-zero", cell("count", "0"), r"count.*\b0\b.*{line}|count.*{line}"),
    activity_case("count-negative", cell("count", "-2"), r"count.*-2"),
    activity_case("count-fraction", cell("count", "1.5"), r"count.*1\.5"),
    activity_case("admimeth-unknown", cell("admission_method", "77"),
                  all_of(r"unknown admimeth code.*'77'", "rows? {line}")),
    activity_case("classpat-unknown", cell("patient_class", "7"),
                  all_of(r"unknown classpat code.*'7'", "rows? {line}")),
    activity_case("fyear-disagrees-with-dates", cell("year", "1516"),
                  all_of("disagrees with their dates", "1516", "rows? {line}")),
    Case("same-ids-in-two-files", "activity", ("price", C, A, "activity.parquet", "--out",
         "priced"), r"record id\(s\) of .*activity\.parquet are also in .*activity\.csv",
         uses=(C, A, "activity.parquet")),
    # readmission links
    activity_case("readmission-of-itself", readmission(lambda f, i: i), r"readmission_of.*{id}"),
    activity_case("readmission-of-an-outpatient",
                  readmission(lambda f, i: first(f, "op_first")), r"readmission_of.*{id}"),
    activity_case("readmission-of-a-later-spell", _later_spell,
                  r"readmission_of.*{id}"),
    activity_case("readmission-of-unknown-id", cell("readmission_of", "99999999", "non_elective"),
                  r"readmission_of.*\b99999999\b(?!\.)"),
    activity_case("readmission-from-an-elective", _elective_readmission,
                  r"readmission_of.*{id}"),
    # the file itself
    raw_case("empty-file", write(A, ""), r"activity\.csv.*empty"),
    raw_case("header-only", _csv_text(lambda t: t.split("\n", 1)[0] + "\n"),
             r"activity\.csv.*no (records|rows)"),
    raw_case("blank-lines-only", write(A, "\n\n   \n"),
             r"activity\.csv.*(empty|no header|blank)"),
    raw_case("not-utf8", _csv_text(lambda t: t.replace("S001", "S\xe9001", 1).encode("latin-1")),
             r"activity\.csv.*UTF-8"),
    raw_case("binary-noise", write(A, NOISE), r"activity\.csv.*(not text|UTF-8)"),
    raw_case("nul-bytes", _csv_text(lambda t: t.encode() + b"\x00\x01\x02"),
             r"activity\.csv.*not text"),
    activity_case("all-string-parquet", _all_string_parquet, r"age.*unknown",
                  file="activity.parquet"),
    raw_case("truncated-parquet", truncated("activity.parquet", "activity.parquet"),
             r"activity\.parquet.*Parquet", file="activity.parquet"),
    raw_case("truncated-xlsx", truncated("activity.xlsx", "activity.xlsx"),
             r"activity\.xlsx.*(Excel|workbook)", file="activity.xlsx"),
    raw_case("xlsx-header-only",
             lambda ws: ws.save(ws.frame().iloc[:0], "activity.xlsx"),
             r"activity\.xlsx.*no (records|rows)", file="activity.xlsx"),
    raw_case("wrong-suffix", write("activity.json", lambda ws: ws.text(A)),
             r"activity\.json.*(\.json|suffix|CSV)", file="activity.json"),
    raw_case("csv-named-parquet", lambda ws: ws.write("activity.parquet", ws.text(A)),
             r"activity\.parquet.*Parquet", file="activity.parquet"),
    raw_case("a-folder", mkdir(A), r"activity\.csv.*(folder|directory)"),
    raw_case("missing-file", _nothing, r"activity\.csv.*(not found|no such|does not exist)"),
    raw_case("too-large", sparse(A, 2 * 1024**3 + 1), r"activity\.csv.*too large"),
    raw_case("named-pipe", fifo(A), r"activity\.csv.*named pipe", subprocess=True),
    Case("dev-zero", "activity", ("price", C, "/dev/zero", "--out", "priced"),
         r"/dev/zero.*character device", uses=(C,), subprocess=True),
]  # fmt: skip

# -- tariffs: `price ... --tariff tariff` (a folder of Annex A CSVs) -----------------------------

TARIFF_ARGV = (*PRICE, "--tariff", "tariff")
DAY_CASE = "Day case spell tariff (£)"
NON_ELECTIVE = "Non-elective spell tariff (£)"
ELECTIVE_TRIM = "Ordinary elective long stay trim point (days)"
RSSE_PERCENT = "% applied in calculation of reduced short stay emergency tariff"
EXCESS_BED_DAY = "Per day long stay payment (for days exceeding trim point) (£)"


def tariff_case(
    name: str,
    build: Build,
    message: str,
    *,
    argv: tuple[str, ...] = TARIFF_ARGV,
) -> Case:
    return Case(name, "tariff", argv, message, build=build, uses=(C, A, "tariff"))


def table_cell(table: str, column: str, value: str, row: int | None = None) -> Build:
    """Set one cell of ``tariff/<table>.csv`` (the first row with a value in *column*)."""

    def build(ws: Workspace) -> None:
        frame = ws.frame(f"tariff/{table}.csv")
        i = row if row is not None else int(frame.index[frame[column] != ""][0])
        frame.loc[i, column] = value
        ws.values.update(line=str(i + 2), code=frame.iloc[i, 0])
        ws.save(frame, f"tariff/{table}.csv")

    return build


def _duplicate_hrg(ws: Workspace) -> None:
    frame = ws.frame("tariff/apc.csv")
    frame.loc[1, "HRG code"] = frame.loc[0, "HRG code"]
    ws.values["code"] = frame.loc[0, "HRG code"]
    ws.save(frame, "tariff/apc.csv")


def _title_rows_no_header(ws: Workspace) -> None:
    """Title rows above a header none of whose cells is a tariff column (title rows alone
    are read: the header row is searched for)."""
    text = ws.text("tariff/apc.csv")
    header, _, body = text.partition("\n")
    renamed = ",".join(f"col{i}" for i, _ in enumerate(header.split(",")))
    title = "2016/17 National Tariff Payment System - Annex A\nNational prices\n\n"
    ws.write("tariff/apc.csv", title + renamed + "\n" + body)


def _tariff_workbook(ws: Workspace) -> bytes:
    path = ws.root / "full.xlsx"
    with pd.ExcelWriter(path) as writer:
        ws.frame("tariff/apc.csv").to_excel(writer, sheet_name="1 APC & OPROC", index=False)
    data = path.read_bytes()
    path.unlink()
    return data[: len(data) // 2]


def _no_tariff_sheet(ws: Workspace) -> bytes:
    """A workbook whose sheets have no tariff header row (issue: "a workbook with no
    recognisable tariff sheet")."""
    path = ws.root / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"Annex A": ["National tariff workbook"]}).to_excel(
            writer, sheet_name="Cover", index=False
        )
        pd.DataFrame({"Currency": ["AA01A"], "Day case (GBP)": [500]}).to_excel(
            writer, sheet_name="Prices", index=False
        )
    data = path.read_bytes()
    path.unlink()
    return data


def _empty_tariff(ws: Workspace) -> None:
    shutil.rmtree(ws.root / "tariff")
    (ws.root / "tariff").mkdir()


TARIFF_CASES = [
    tariff_case("price-negative", table_cell("apc", DAY_CASE, "-500"),
                r"apc\.csv.*Day case spell tariff.*-500"),
    tariff_case("price-inf", table_cell("apc", NON_ELECTIVE, "inf"),
                r"apc\.csv.*Non-elective spell tariff.*inf"),
    tariff_case("price-a-word", table_cell("apc", NON_ELECTIVE, "lots"), r"apc\.csv.*lots"),
    tariff_case("rsse-percent-300", table_cell("apc", RSSE_PERCENT, "300"),
                r"apc\.csv.*(RSSE|short stay|%).*300"),
    tariff_case("rsse-percent-negative", table_cell("apc", RSSE_PERCENT, "-0.4"),
                r"apc\.csv.*-0\.4"),
    tariff_case("trim-point-negative", table_cell("apc", ELECTIVE_TRIM, "-5"),
                r"apc\.csv.*trim point.*-5"),
    tariff_case("trim-point-10000", table_cell("apc", ELECTIVE_TRIM, "10000"),
                r"apc\.csv.*trim point.*10,?000"),
    tariff_case("excess-bed-day-negative", table_cell("apc", EXCESS_BED_DAY, "-250"),
                r"apc\.csv.*(long stay|bed day).*-250"),
    tariff_case("duplicate-hrg-codes", _duplicate_hrg, r"apc\.csv.*duplicate.*{code}"),
    tariff_case("missing-column",
                lambda ws: ws.save(ws.frame("tariff/apc.csv").drop(columns=[NON_ELECTIVE]),
                                   "tariff/apc.csv"),
                r"apc\.csv.*missing column 'Non-elective spell tariff"),
    tariff_case("two-apc-tables", write("tariff/apc2.csv", lambda ws: ws.text("tariff/apc.csv")),
                r"apc\.csv.*apc2\.csv|apc2\.csv.*apc\.csv"),
    tariff_case("missing-apc-table", lambda ws: (ws.root / "tariff/apc.csv").unlink(),
                r"tariff.*no admitted patient care"),
    tariff_case("annex-a-title-rows-no-header", _title_rows_no_header,
                none_of("tokenizing", "C error")
                + all_of(r"apc\.csv", "header candidates", "row 4: 'col0'")),
    tariff_case("empty-folder", _empty_tariff, r"tariff.*(no admitted patient care|empty)"),
    tariff_case("top-up-percent-300", table_cell("top_up", "Top-up %", "300"),
                r"top_up\.csv.*300"),
    tariff_case("ae-price-negative", table_cell("ae", "Type 01 and 02 departments (£)", "-311"),
                r"ae\.csv.*-311"),
    tariff_case("outpatient-price-inf",
                table_cell("outpatient", "First attendance - single professional (£)", "inf"),
                r"outpatient\.csv.*inf"),
    tariff_case("truncated-workbook", write("annex_a.xlsx", _tariff_workbook),
                r"annex_a\.xlsx.*(Excel|workbook)",
                argv=(*PRICE, "--tariff", "annex_a.xlsx")),
    tariff_case("workbook-no-tariff-sheet", write("annex_a.xlsx", _no_tariff_sheet),
                all_of(r"annex_a\.xlsx", "'Cover', 'Prices'", "header candidates",
                       "sheet 'Prices' row 1: 'Currency'"),
                argv=(*PRICE, "--tariff", "annex_a.xlsx")),
    tariff_case("a-contract-as-tariff", _nothing, r"contract\.toml.*(tariff|CSV|suffix)",
                argv=(*PRICE, "--tariff", C)),
    tariff_case("missing-path", _nothing, r"annex\.csv.*(not found|no such|does not exist)",
                argv=(*PRICE, "--tariff", "annex.csv")),
]  # fmt: skip

# -- MFF: `price ... --mff mff.csv` --------------------------------------------------------------

MFF_ARGV = (*PRICE, "--mff", "mff.csv")
MFF_INDEX = "MFF payment index"


def mff_case(
    name: str,
    change: Callable[[pd.DataFrame], pd.DataFrame],
    message: str,
    *,
    in_tariff: bool = False,
) -> Case:
    target = "tariff/mff.csv" if in_tariff else "mff.csv"

    def build(ws: Workspace) -> None:
        ws.save(change(ws.frame("mff.csv")), target)

    argv = TARIFF_ARGV if in_tariff else MFF_ARGV
    uses = (C, A, "tariff") if in_tariff else (C, A)
    return Case(name, "mff", argv, message, build=build, uses=uses)


def sr001(value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame["Org code"] == "SR001", MFF_INDEX] = value
        return frame

    return change


MFF_CASES = [
    mff_case("index-100", sr001("100"), r"mff\.csv.*MFF payment index.*100"),
    mff_case("index-96.5", sr001("96.5"), r"mff\.csv.*MFF payment index.*96\.5"),
    mff_case("index-inf", sr001("inf"), r"mff\.csv.*MFF payment index.*inf"),
    mff_case("index-zero", sr001("0"), r"mff\.csv.*MFF payment index.*\b0\b"),
    mff_case("index-negative", sr001("-0.96"), r"mff\.csv.*MFF payment index.*-0\.96"),
    mff_case("index-a-word", sr001("high"),
             none_of("£") + all_of(r"mff\.csv", "MFF payment index", "high")),
    mff_case("index-blank", sr001(""), all_of(r"mff\.csv", "MFF payment index", "(blank|empty)")),
    mff_case("missing-provider", lambda f: f[f["Org code"] != "SR001"], r"mff\.csv.*SR001"),
    mff_case("duplicate-org-codes", lambda f: pd.concat([f, f.iloc[[0]]], ignore_index=True),
             r"mff\.csv.*duplicate.*SR001"),
    mff_case("missing-index-column", lambda f: f.drop(columns=[MFF_INDEX]),
             r"mff\.csv.*missing column 'MFF payment index'"),
    mff_case("index-96.5-in-tariff-folder", sr001("96.5"), r"mff\.csv.*96\.5", in_tariff=True),
]  # fmt: skip

# -- achievement and performance files: `price ... --achievement/--performance` ----------------

ACH = "achievement.toml"
PERF = "performance.toml"
STAFF = '"Staff health and wellbeing" = 0.5'


def achievement_case(
    name: str, build: Build, message: str, extra: tuple[str, ...] = ("--achievement", ACH)
) -> Case:
    return Case(name, "achievement", (*PRICE, *extra), message, build=build, uses=(C, A))


def performance_case(
    name: str, build: Build, message: str, extra: tuple[str, ...] = ("--performance", PERF)
) -> Case:
    return Case(name, "performance", (*PRICE, *extra), message, build=build, uses=(C, A))


def perf_edit(key: str, new: str) -> Build:
    """The base performance file with the line of *key* replaced by *new*."""

    def build(ws: Workspace) -> None:
        lines = ws.text(PERF).splitlines()
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{key} = "))
        lines[at] = new
        ws.write(PERF, "\n".join(lines) + "\n")

    return build


ACHIEVEMENT_CASES = [
    achievement_case("share-above-1", edit(ACH, STAFF, STAFF.replace("0.5", "1.2")),
                     r"achievement\.toml.*Staff health and wellbeing.*1\.2.*0-1"),
    achievement_case("share-negative", edit(ACH, STAFF, STAFF.replace("0.5", "-0.5")),
                     r"achievement\.toml.*-0\.5"),
    achievement_case("share-nan", edit(ACH, STAFF, STAFF.replace("0.5", "nan")),
                     r"achievement\.toml.*Staff health and wellbeing.*nan"),
    achievement_case("share-inf", edit(ACH, STAFF, STAFF.replace("0.5", "inf")),
                     r"achievement\.toml.*Staff health and wellbeing.*inf"),
    achievement_case("share-a-word", edit(ACH, STAFF, STAFF.replace("0.5", '"half"')),
                     r"achievement\.toml.*half"),
    achievement_case("unknown-goal", edit(ACH, STAFF, '"Staff health" = 0.5'),
                     r"no CQUIN goal 'Staff health'.*did you mean 'Staff health and wellbeing'"),
    achievement_case("unknown-line",
                     lambda ws: ws.write(ACH, ws.text(ACH) + f"\n[lines.nope.cquin]\n{STAFF}\n"),
                     r"achievement\.toml.*lines\.nope.*(elective|nel|ae|outpatients)"),
    achievement_case("unknown-key", edit(ACH, "[cquin]", "[cqiun]"), r"did you mean 'cquin'"),
    achievement_case("no-format", edit(ACH, 'format = "quasimarket.achievement/1"\n', ""),
                     r"format.*quasimarket\.achievement/1"),
    achievement_case("future-format", edit(ACH, "achievement/1", "achievement/2"),
                     r"quasimarket\.achievement/2"),
    achievement_case("option-above-1", _nothing, r"--achievement.*1\.5",
                     extra=("--achievement", "1.5")),
    achievement_case("option-negative", _nothing, r"--achievement.*-0\.1",
                     extra=("--achievement", "-0.1")),
    achievement_case("option-nan", _nothing, all_of("--achievement", r"\bnan\b", NOT_A_NUMBER),
                     extra=("--achievement", "nan")),
]  # fmt: skip

PERFORMANCE_CASES = [
    performance_case("numerator-above-denominator", perf_edit("numerator", "numerator = 100000"),
                     r"performance\.toml.*numerator.*denominator"),
    performance_case("denominator-negative", perf_edit("denominator", "denominator = -40"),
                     r"performance\.toml.*denominator.*-40"),
    performance_case("numerator-inf", perf_edit("numerator", "numerator = inf"),
                     r"performance\.toml.*numerator.*inf"),
    performance_case("numerator-fraction", perf_edit("numerator", "numerator = 35.5"),
                     r"performance\.toml.*numerator.*35\.5"),
    performance_case("unknown-standard", edit(PERF, "ae_4_hour]", "ae_4hr]"),
                     r"ae_4hr.*did you mean 'ae_4_hour'"),
    performance_case("unknown-line", edit(PERF, "[lines.ae.", "[lines.nope."),
                     r"performance\.toml.*lines\.nope"),
    performance_case("no-format", edit(PERF, 'format = "quasimarket.performance/1"\n', ""),
                     r"format.*quasimarket\.performance/1"),
    performance_case("avoidable-share-above-1", _nothing, r"--avoidable-share.*1\.5",
                     extra=("--avoidable-share", "1.5")),
    performance_case("avoidable-share-nan", _nothing,
                     all_of("--avoidable-share", r"\bnan\b", NOT_A_NUMBER),
                     extra=("--avoidable-share", "nan")),
    performance_case("affordable-nan", _nothing, all_of("affordable", r"\bnan\b", NOT_A_NUMBER),
                     extra=("--affordable", "nan")),
    performance_case("affordable-inf", _nothing, all_of("affordable", r"\binf\b"),
                     extra=("--affordable", "inf")),
    performance_case("affordable-negative", _nothing, all_of("affordable", "negative"),
                     extra=("--affordable", "-1000000")),
]  # fmt: skip

# -- stress scenarios: `stress check scenario.toml` and `stress run` ---------------------------

S = "scenario.toml"
STRESS_CHECK = ("stress", "check", S)
STRESS_RUN = ("stress", "run", S, "--json")
INTERVAL = "interval_80 = [0.94, 1.04]"


def stress_case(
    name: str,
    build: Build,
    message: str,
    *,
    argv: tuple[str, ...] = STRESS_CHECK,
    uses: tuple[str, ...] = (),
) -> Case:
    return Case(name, "stress", argv, message, build=build, uses=uses)


def stress_edit(
    name: str, old: str, new: str, message: str, *, argv: tuple[str, ...] = STRESS_CHECK
) -> Case:
    return stress_case(name, edit(S, old, new), message, argv=argv)


def run_option(name: str, options: tuple[str, ...], message: str) -> Case:
    return stress_case(name, _nothing, message, argv=(*STRESS_RUN, *options), uses=(S,))


STRESS_CONTRACT = ("stress", "check", "--contract", C, "--uncertainty", "uncertainty.toml",
                   "--costs", "costs.toml", "--ignore-rule", "readmissions",
                   "--ignore-rule", "sanctions")  # fmt: skip
CONTRACT_INPUTS = (C, "uncertainty.toml", "costs.toml")

STRESS_CASES = [
    stress_edit("sd-nan", "sd = 0.01", "sd = nan", r"scenario\.toml.*demand_growth.*sd.*nan"),
    stress_edit("mean-inf", "mean = 0.01", "mean = inf",
                r"scenario\.toml.*demand_growth.*mean.*inf"),
    stress_edit("sd-negative", "sd = 0.01", "sd = -0.01", r"scenario\.toml.*sd.*-0\.01"),
    stress_edit("interval-negative", INTERVAL, "interval_80 = [-0.5, 1.04]",
                all_of(r"scenario\.toml", "elective", r"-0\.5")),
    stress_edit("interval-reversed", INTERVAL, "interval_80 = [1.04, 0.94]",
                r"scenario\.toml.*interval_80"),
    stress_edit("interval-nan", INTERVAL, "interval_80 = [nan, 1.04]",
                r"scenario\.toml.*interval_80.*nan"),
    stress_edit("interval-one-number", INTERVAL, "interval_80 = [0.94]",
                r"scenario\.toml.*interval_80"),
    stress_edit("triangular-low-above-high", "low = 0.01", "low = 0.05",
                r"scenario\.toml.*cost_inflation.*(low|mode|high)"),
    stress_edit("distribution-unknown", 'distribution = "normal"', 'distribution = "gaussian"',
                all_of(r"scenario\.toml", "demand_growth", "distribution", "normal")),
    stress_edit("year-garbage", 'year = "2014/15"', 'year = "garbage"',
                r"scenario\.toml.*year.*garbage"),
    stress_edit("draws-zero", "draws = 400", "draws = 0", r"scenario\.toml.*draws.*0"),
    stress_edit("draws-huge", "draws = 400", "draws = 1_000_000_000_000",
                r"draws.*1,000,000,000,000"),
    stress_edit("seed-negative", "seed = 20140401", "seed = -1", r"scenario\.toml.*seed.*-1"),
    stress_edit("seed-2-70", "seed = 20140401", f"seed = {2**70}", r"seed.*out of range|2\*\*63"),
    stress_edit("unknown-top-level-key", "draws = 400", "drwas = 400",
                r"drwas.*did you mean 'draws'"),
    stress_edit("unknown-volume-key", INTERVAL, "intervl_80 = [0.94, 1.04]",
                r"intervl_80.*did you mean 'interval_80'"),
    stress_edit("volume-for-unknown-line", "[uncertainty.volume.elective]",
                "[uncertainty.volume.electve]", r"electve.*elective"),
    stress_edit("factor-unknown-line", 'lines = ["non_elective", "elective"]',
                'lines = ["non_elective", "electve"]', r"electve"),
    stress_edit("factor-loading-2", "loading = 0.7", "loading = 2", r"loading.*2"),
    stress_edit("seasonality-eleven-months", "0.082, 0.087]", "0.082]", r"seasonality.*12"),
    stress_edit("party-role-unknown", 'role = "commissioner"', 'role = "buyer"',
                all_of("role", "'buyer'", "commissioner")),
    stress_edit("line-commissioner-not-a-party", 'commissioner = "QS01"', 'commissioner = "QS99"',
                r"QS99"),
    stress_edit("planned-activity-negative", "planned_activity = 30_000",
                "planned_activity = -30_000", r"planned_activity.*-30"),
    stress_edit("unit-price-nan", "unit_price_gbp = 3_500", "unit_price_gbp = nan",
                r"unit_price_gbp.*nan"),
    stress_edit("design-mechanism-unknown", 'mechanism = "caps_and_collars"',
                'mechanism = "caps_and_collers"', r"'caps_and_collers'.*caps_and_collars"),
    stress_edit("design-corridor-1.5", "corridor = 0.03", "corridor = 1.5", r"corridor.*1\.5"),
    stress_edit("design-mret-rate-above-1", "rate = 0.3", "rate = 1.3", r"rate.*1\.3"),
    stress_edit("format-future-version", 'format = "quasimarket.scenario/1"',
                'format = "quasimarket.scenario/9"', r"quasimarket\.scenario/9"),
    stress_case("not-utf8", lambda ws: ws.write(S, ws.text(S).replace("Synthetic CCG",
                                                                      "Synthétique CCG")
                                                .encode("latin-1")), r"scenario\.toml.*UTF-8"),
    stress_case("deep-nesting", write(S, DEEP_TOML), r"scenario\.toml.*nested too deeply"),
    # stress run options
    run_option("chunk-size-negative", ("--chunk-size", "-1"), r"--chunk-size.*-1"),
    run_option("chunk-size-zero", ("--chunk-size", "0"), r"--chunk-size.*\b0\b"),
    run_option("seed-option-2-70", ("--seed", str(2**70)), r"seed.*out of range"),
    run_option("seed-option-negative", ("--seed", "-1"), r"seed.*-1"),
    run_option("draws-option-zero", ("--draws", "0"), r"draws.*0"),
    run_option("draws-option-huge", ("--draws", str(10**12)), r"draws.*1,000,000,000,000"),
    run_option("workers-zero", ("--workers", "0"), r"--workers"),
    run_option("plots-onto-the-scenario", ("--plots", S), all_of("--plots", r"scenario\.toml")),
    stress_case("uncertainty-without-contract", _nothing, r"--uncertainty.*--contract",
                argv=(*STRESS_CHECK, "--uncertainty", "uncertainty.toml"),
                uses=(S, "uncertainty.toml")),
    # stress-testing a contract file
    stress_case("contract-uncertainty-nan", edit("uncertainty.toml", "sd = 0.01", "sd = nan"),
                r"uncertainty\.toml.*sd.*nan", argv=STRESS_CONTRACT, uses=CONTRACT_INPUTS),
    stress_case("contract-uncertainty-unknown-line",
                edit("uncertainty.toml", "[volume.nel]", "[volume.nope]"),
                r"uncertainty\.toml.*nope", argv=STRESS_CONTRACT, uses=CONTRACT_INPUTS),
    stress_case("contract-costs-unknown-line", edit("costs.toml", "[lines.nel]", "[lines.nope]"),
                r"costs\.toml.*nope", argv=STRESS_CONTRACT, uses=CONTRACT_INPUTS),
    stress_case("contract-costs-negative", edit("costs.toml", "variable_cost_gbp = 800",
                                                "variable_cost_gbp = -800"),
                r"costs\.toml.*variable_cost_gbp.*-800", argv=STRESS_CONTRACT,
                uses=CONTRACT_INPUTS),
    stress_case("contract-ignore-unknown-rule", _nothing, r"'?nope'?.*(readmissions|rule)",
                argv=(*STRESS_CONTRACT, "--ignore-rule", "nope"), uses=CONTRACT_INPUTS),
    stress_case("contract-record-level-rule", _nothing, r"readmissions.*--ignore-rule",
                argv=("stress", "check", "--contract", C), uses=(C,)),
]  # fmt: skip

# -- simulation scenarios and regimes: `simulate simulation.toml --out runs` -------------------

Z = "simulation.toml"
SIMULATE = ("simulate", Z, "--out", "runs")


def sim_case(
    name: str,
    argv: tuple[str, ...],
    message: str,
    *,
    build: Build = _nothing,
    uses: tuple[str, ...] = (),
) -> Case:
    return Case(name, "simulation", argv, message, build=build, uses=uses)


def sim_edit(name: str, old: str, new: str, message: str) -> Case:
    return sim_case(name, SIMULATE, message, build=edit(Z, old, new))


def sim_option(name: str, options: tuple[str, ...], message: str) -> Case:
    return sim_case(name, (*SIMULATE, *options), message, uses=(Z,))


SIMULATION_CASES = [
    sim_option("regime-unknown", ("--regime", "hsca-2031"), r"unknown regime 'hsca-2031'"),
    sim_option("regime-path-malformed", ("--regime-path", "hsca-2013"),
               r"regime path entry 1"),
    sim_option("years-option-garbage", ("--years", "abc"), all_of("--years", "abc")),
    sim_option("years-option-beyond-calendar", ("--years", "2013/14:2099/00"), r"2099/00"),
    sim_option("seed-option-2-70", ("--seed", str(2**70)), r"seed.*out of range|2\*\*63"),
    sim_option("draws-option-zero", ("--draws", "0"), r"--draws"),
    sim_edit("years-reversed", 'years = "2013/14:2014/15"', 'years = "2014/15:2013/14"',
             all_of(r"simulation\.toml", "years", "2014/15:2013/14")),
    sim_edit("years-garbage", 'years = "2013/14:2014/15"', 'years = "soon"',
             all_of(r"simulation\.toml", "years", "'soon'")),
    sim_edit("seed-negative", "seed = 1", "seed = -1", r"simulation\.toml.*seed.*-1"),
    sim_edit("seed-2-70", "seed = 1", f"seed = {2**70}", r"seed.*(out of range|2\*\*63)"),
    sim_edit("draws-zero", "draws = 1", "draws = 0", r"simulation\.toml.*draws.*0"),
    sim_edit("unknown-top-level-key", "seed = 1", "seed = 1\nyeras = 2",
             r"yeras.*unknown key"),
    sim_edit("choice-sensitivity-text", "choice_sensitivity = 2.0", 'choice_sensitivity = "lots"',
             r"choice_sensitivity.*lots"),
    sim_edit("choice-sensitivity-nan", "choice_sensitivity = 2.0", "choice_sensitivity = nan",
             all_of("choice_sensitivity", r"\bnan\b", NOT_A_NUMBER)),
    sim_edit("regime-unknown-key", "choice_sensitivity = 2.0", "choise_sensitivity = 2.0",
             r"choise_sensitivity.*unknown key"),
    sim_edit("settlement-rule-unknown", 'settlement_rule = "split_gap"',
             'settlement_rule = "haggle"', r"settlement_rule.*'haggle'"),
    sim_edit("contract-form-unknown", "settlements = true",
             'settlements = true\ncontract_forms = { acute_elective = "barter" }', r"barter"),
    sim_edit("behaviour-unknown", "settlements = true",
             'settlements = true\nbehaviours = ["winter_magic"]', r"winter_magic"),
    sim_edit("payment-rules-year-beyond-calendar", "settlements = true",
             'settlements = true\npayment_rules = "2099/00"', r"payment_rules.*2099/00"),
    sim_edit("lever-reduction-above-1", "reduction = 0.05", "reduction = 1.5",
             r"reduction.*1\.5"),
    sim_edit("lever-year-outside-run", 'from_year = "2014/15"', 'from_year = "2019/20"',
             r"from_year.*2019/20"),
    sim_edit("lever-unknown", "[levers.demand_management]", "[levers.demand_managment]",
             r"demand_managment.*unknown key"),
    sim_edit("rate-negative", "elective_referral = 0.29", "elective_referral = -0.29",
             r"elective_referral.*-0\.29"),
    sim_edit("rate-nan", "elective_referral = 0.29", "elective_referral = nan",
             all_of("elective_referral", r"\bnan\b", NOT_A_NUMBER)),
    sim_edit("allocation-scale-negative", "allocation_scale = 0.99", "allocation_scale = -1",
             r"allocation_scale.*-1"),
    sim_edit("allocation-scale-inf", "allocation_scale = 0.99", "allocation_scale = inf",
             r"allocation_scale.*inf"),
    sim_edit("economy-kind-unknown", 'kind = "small"', 'kind = "mars"', r"kind.*'mars'"),
    sim_case("example-unknown", ("simulate", "--example", "nope", "--out", "runs"),
             r"'nope'.*small-baseline"),
    sim_case("regimes-show-unknown", ("regimes", "show", "hsca-2031"), r"'hsca-2031'"),
    sim_case("regimes-diff-unknown", ("regimes", "diff", "nope", "hsca-2013"), r"'nope'"),
    sim_case("regimes-counterfactual-unknown",
             ("regimes", "counterfactual", "nope", "--out", "runs"), r"'nope'"),
]  # fmt: skip

# -- CLI paths: options, arguments, outputs, the run store --------------------------------------


def cli_case(
    name: str,
    argv: tuple[str, ...],
    message: str,
    build: Build = _nothing,
    uses: tuple[str, ...] = (),
) -> Case:
    return Case(name, "cli", argv, message, build=build, uses=uses)


def _foreign_folder(name: str) -> Build:
    def build(ws: Workspace) -> None:
        (ws.root / name).mkdir()
        ws.write(f"{name}/notes.txt", "my own notes, not quasimarket's\n")

    return build


def _foreign_file(name: str, content: str | bytes = "my own file\n") -> Build:
    return write(name, content)


GENERATE = ("activity", "generate", "--n", "20", "--year", "2016/17")

CLI_CASES = [
    cli_case("unknown-option", (*PRICE, "--bogus"), r"No such option.*--bogus", uses=(C, A)),
    cli_case("unknown-command", ("no-such-command",), r"No such command"),
    cli_case("price-no-arguments", ("price",), r"Missing argument"),
    cli_case("price-missing-activity", ("price", C), r"Missing argument", uses=(C,)),
    cli_case("option-missing-value", (*PRICE, "--tariff"), r"--tariff.*requires an argument",
             uses=(C, A)),
    cli_case("who-commissions-bad-year", ("who-commissions", "sexual health services", "--year",
                                          "abc"), all_of("'abc'", "financial year")),
    cli_case("services-year-1800", ("services", "--year", "1800"), r"1800"),
    cli_case("payment-rules-year-garbage", ("payment-rules", "--year", "garbage"), r"garbage"),
    cli_case("economy-describe-year-1066", ("economy", "describe", "--year", "1066"), r"1066"),
    cli_case("structure-graph-year-1800", ("structure", "graph", "--year", "1800"), r"1800"),
    cli_case("structure-unknown-org", ("structure", "answers-to", "NOPE", "--year", "2016"),
             r"unknown organisation type 'NOPE'"),
    cli_case("structure-graph-kind-unknown", ("structure", "graph", "--year", "2016", "--kind",
                                              "nonsense"), r"nonsense"),
    cli_case("price-economy-unknown", (*PRICE, "--economy", "mars"), r"--economy.*mars",
             uses=(C, A)),
    cli_case("price-explain-unknown-record", (*PRICE, "--explain", "99999999"), r"99999999",
             uses=(C, A)),
    # outputs never clobber
    cli_case("price-out-onto-the-activity", ("price", C, A, "--out", A),
             all_of("--out", r"activity\.csv"),
             uses=(C, A)),
    cli_case("price-out-onto-the-contract-force", ("price", C, A, "--out", C, "--force"),
             all_of("--out", r"contract\.toml"), uses=(C, A)),
    cli_case("price-out-into-a-foreign-folder", ("price", C, A, "--out", "mine"),
             all_of("--out", "mine"), build=_foreign_folder("mine"), uses=(C, A)),
    cli_case("price-out-into-a-foreign-folder-force", ("price", C, A, "--out", "mine", "--force"),
             all_of("--out", "mine"), build=_foreign_folder("mine"), uses=(C, A)),
    cli_case("price-out-under-a-file", ("price", C, A, "--out", "activity.csv/priced"),
             none_of("remove it") + all_of("--out", r"activity\.csv"), uses=(C, A)),
    cli_case("generate-onto-a-foreign-file", (*GENERATE, "--out", "notes.csv"),
             r"notes\.csv.*--force", build=_foreign_file("notes.csv")),
    cli_case("generate-onto-a-foreign-file-force", (*GENERATE, "--out", "notes.csv", "--force"),
             r"notes\.csv", build=_foreign_file("notes.csv")),
    cli_case("generate-onto-its-contract", ("activity", "generate", "--n", "20", "--contract", C,
                                            "--out", C, "--force"), r"contract\.toml",
             uses=(C,)),
    cli_case("generate-n-negative", (*GENERATE, "--out", "a.csv", "--n", "-5"),
             all_of("(--n|n_records)", "at least 1")),
    cli_case("generate-n-zero", (*GENERATE, "--out", "a.csv", "--n", "0"),
             all_of("(--n|n_records)", "at least 1")),
    cli_case("generate-readmission-rate-above-1",
             (*GENERATE, "--out", "a.csv", "--readmission-rate", "1.5"), r"readmission.*1\.5"),
    cli_case("generate-year-garbage",
             ("activity", "generate", "--n", "20", "--year", "2016/18", "--out", "a.csv"),
             r"2016/18"),
    cli_case("generate-unknown-suffix", (*GENERATE, "--out", "a.xyz"), r"a\.xyz.*(suffix|\.csv)"),
    cli_case("contract-new-unknown-mechanism", ("contract", "new", "-m", "nonsense"),
             r"nonsense"),
    cli_case("contract-new-onto-a-foreign-file", ("contract", "new", "-m", "mret", "--out", C),
             r"contract\.toml", uses=(C,)),
    cli_case("contract-new-onto-a-foreign-file-force",
             ("contract", "new", "-m", "mret", "--out", C, "--force"), r"contract\.toml",
             uses=(C,)),
    cli_case("structure-graph-onto-a-foreign-file",
             ("structure", "graph", "--year", "2016", "--out", "mine.png", "--force"),
             r"mine\.png", build=_foreign_file("mine.png", b"\x89PNG not really\n")),
    cli_case("economy-build-into-a-foreign-folder",
             ("economy", "build", "--small", "--out", "mine", "--force"), r"mine",
             build=_foreign_folder("mine")),
    cli_case("stress-example-unknown", ("stress", "run", "--example", "nope"), r"nope"),
    cli_case("demo-records-zero", ("demo", "--records", "0"), r"records"),
    # the run store
    cli_case("runs-show-unknown-id", ("runs", "show", "nope", "--store", "runs"),
             r"no run 'nope'", uses=("runs",)),
    cli_case("runs-compare-different-kinds",
             ("runs", "compare", "{stress}", "{simulation}", "--store", "runs"),
             r"(kind|stress).*(kind|simulation)", uses=("runs",)),
    cli_case("runs-compare-unknown-id", ("runs", "compare", "{stress}", "nope", "--store", "runs"),
             r"no run 'nope'", uses=("runs",)),
    cli_case("runs-delete-unknown-id", ("runs", "delete", "nope", "--store", "runs", "--yes"),
             r"no run 'nope'", uses=("runs",)),
    cli_case("runs-list-kind-unknown", ("runs", "list", "--kind", "bogus", "--store", "runs"),
             r"bogus", uses=("runs",)),
    cli_case("runs-store-is-a-file", ("runs", "show", "nope", "--store", C), r"contract\.toml",
             uses=(C,)),
    cli_case("report-unknown-id", ("report", "nope", "--store", "runs"), r"no run 'nope'",
             uses=("runs",)),
    cli_case("report-onto-an-input-file",
             ("report", "{stress}", "--store", "runs", "--out", C, "--force"),
             r"--out.*contract\.toml", uses=("runs", C)),
]  # fmt: skip

CASES: list[Case] = [
    *CONTRACT_CASES,
    *ACTIVITY_CASES,
    *TARIFF_CASES,
    *MFF_CASES,
    *ACHIEVEMENT_CASES,
    *PERFORMANCE_CASES,
    *STRESS_CASES,
    *SIMULATION_CASES,
    *CLI_CASES,
]

AREAS = ("contract", "activity", "tariff", "mff", "achievement", "performance", "stress",
         "simulation", "cli")  # fmt: skip


def format_args(argv: Sequence[str], values: Mapping[str, str]) -> list[str]:
    return [arg.format_map(values) if "{" in arg else arg for arg in argv]


__all__ = [
    "AREAS",
    "BASE_COMMANDS",
    "CASES",
    "Base",
    "Case",
    "Workspace",
    "format_args",
]
