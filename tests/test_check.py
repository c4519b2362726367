"""``spoilerscan check``: marked text, pragmas, positions, config, output formats and exit codes.

Scores of the tiny random model mean nothing, so most tests score with a keyword stub: a sentence
that mentions "dies" is a spoiler (0.9), anything else is not (0.1). The CLI tests swap the stub
in for the model loader; a few subprocess runs use the tiny model with thresholds of 0 and 1.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from spoilerscan import check, cli
from spoilerscan.check import (
    CheckConfig,
    ConfigError,
    LineIndex,
    MarkupStyle,
    check_texts,
    expand_paths,
    find_config,
    is_spoiler_heading,
    is_warning_line,
    load_config,
    marked_regions,
    matches_glob,
    prepare,
    resolve_thresholds,
)

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
SARIF_SCHEMA = FIXTURES / "sarif-schema-2.1.0.json"
runner = CliRunner()


def keyword_scores(sentences: list[str]) -> list[float]:
    return [0.9 if "dies" in s.lower() else 0.1 for s in sentences]


class KeywordDetector:
    """Stands in for Detector: scores by keyword and records every batch it was asked to score."""

    threshold = 0.5
    context = False
    path = None

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def score(self, sentences: list[str], contexts: list[str] | None = None, batch_size: int = 32,
              on_batch: Any = None) -> list[float]:
        self.calls.append(list(sentences))
        return keyword_scores(sentences)


@pytest.fixture()
def detector(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> KeywordDetector:
    """The keyword stub as the CLI's model, run from an empty directory (no pyproject above it)."""
    stub = KeywordDetector()
    monkeypatch.setattr(cli, "load_detector", lambda model, precision=None, quiet=False: stub)
    monkeypatch.chdir(tmp_path)
    return stub


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(cli.app, ["check", *args], input=input)


def findings_of(text: str, styles: tuple[MarkupStyle, ...] = check.ALL_STYLES, phrases: tuple[str, ...] = (),
                threshold: float = 0.5, fail: float = 0.5) -> list[check.Finding]:
    [report] = check_texts([("r.md", text)], keyword_scores, threshold, fail, styles, phrases)
    return report.findings


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("spoilerscan: error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# --------------------------------------------------------------------------- marked text


@pytest.mark.parametrize(("style", "text", "marked"), [
    (MarkupStyle.reddit, "Fine. >!He dies.!< Fine.", ">!He dies.!<"),
    (MarkupStyle.reddit, "Fine >!he\ndies!< too.", ">!he\ndies!<"),
    (MarkupStyle.discord, "Fine. ||He dies.|| Fine.", "||He dies.||"),
    (MarkupStyle.bbcode, "Fine. [SPOILER]He dies.[/spoiler] Fine.", "[SPOILER]He dies.[/spoiler]"),
    (MarkupStyle.bbcode, "Fine. [spoiler=Ending]He dies.[/spoiler]", "[spoiler=Ending]He dies.[/spoiler]"),
    (MarkupStyle.bbcode, "[spoiler]a [spoiler]b[/spoiler] dies[/spoiler] x",
     "[spoiler]a [spoiler]b[/spoiler] dies[/spoiler]"),
    (MarkupStyle.discourse, 'Fine.\n[details="Ending"]\nHe dies.\n[/details]\n',
     '[details="Ending"]\nHe dies.\n[/details]'),
    (MarkupStyle.html, "Fine.\n<details><summary>Twist</summary>\n\nHe dies.\n</details>\nFine.",
     "<details><summary>Twist</summary>\n\nHe dies.\n</details>"),
    (MarkupStyle.html, 'A <span class="spoiler">he <b>dies</b></span> b',
     '<span class="spoiler">he <b>dies</b></span>'),
    (MarkupStyle.html, "A <div class='x md-spoiler-text'><div>he</div> dies</div> b",
     "<div class='x md-spoiler-text'><div>he</div> dies</div>"),
    (MarkupStyle.warning, "Fine.\n\n## Spoilers\n\nHe dies.\n", "## Spoilers\n\nHe dies.\n"),
])
def test_each_markup_style_marks_its_text_markup_included(style: MarkupStyle, text: str, marked: str) -> None:
    regions = marked_regions(text, [style])
    assert [text[r.start : r.end] for r in regions] == [marked]
    assert marked_regions(text, [s for s in MarkupStyle if s is not style]) == [] or style is MarkupStyle.bbcode
    assert "dies" not in prepare(text, [style]).scorable
    assert len(prepare(text, [style]).scorable) == len(text)


@pytest.mark.parametrize("text", [
    "He >!dies at the end.",
    "He ||dies at the end.",
    "He [spoiler]dies at the end.",
    "He <details>dies at the end.",
    'He <span class="spoiler">dies at the end.',
    "He >!dies\n\nat the end!<",  # inline markup never crosses a blank line
    'He <span class="highlight">dies</span>.',
])
def test_unclosed_or_non_spoiler_markup_marks_nothing(text: str) -> None:
    assert marked_regions(text) == []
    assert [f.text for f in findings_of(text)] != []


def test_style_setting_limits_which_markup_counts() -> None:
    text = "Fine. ||He dies.|| Fine."
    assert findings_of(text, styles=(MarkupStyle.reddit,))  # Discord markup shows on a Reddit-style site
    assert not findings_of(text, styles=(MarkupStyle.discord,))
    assert check.parse_styles(["reddit,html"]) == (MarkupStyle.reddit, MarkupStyle.html)
    assert set(check.parse_styles(["reddit", "all"])) == set(check.ALL_STYLES)
    with pytest.raises(ConfigError, match="unknown style 'spoilers'"):
        check.parse_styles(["spoilers"])


def test_marked_spoiler_is_not_reported_while_the_same_sentence_unmarked_is() -> None:
    assert [f.text for f in findings_of("Great cast. The mentor dies.")] == ["The mentor dies."]
    assert findings_of("Great cast. >!The mentor dies.!<") == []


def test_only_the_unmarked_rest_of_a_sentence_is_scored_and_shown() -> None:
    seen: list[str] = []

    def scorer(sentences: list[str]) -> list[float]:
        seen.extend(sentences)
        return [0.9] * len(sentences)

    [report] = check_texts([("r.md", "The hero >!dies!< at the end of it.")], scorer, 0.5, 0.5)
    assert len(seen) == 1 and "dies" not in seen[0] and "at the end of it." in seen[0]
    assert report.findings[0].text == "The hero … at the end of it."
    assert (report.findings[0].line, report.findings[0].column) == (1, 1)


def test_a_fully_marked_sentence_is_not_scored_at_all() -> None:
    seen: list[str] = []

    def scorer(sentences: list[str]) -> list[float]:
        seen.extend(sentences)
        return [0.9] * len(sentences)

    [report] = check_texts([("r.md", ">!The mentor dies.!<\n\n[spoiler]He dies.[/spoiler].")], scorer, 0.0, 0.0)
    assert report.findings == [] and report.sentences == 0


# --------------------------------------------------------------------------- warning sections


@pytest.mark.parametrize(("heading", "warns"), [
    ("Spoilers", True), ("The ending (spoilers!)", True), ("SPOILER SECTION", True), ("Major spoilers", True),
    ("Spoiler-free review", False), ("No spoilers here", False), ("Non-spoiler thoughts", False),
    ("Review without spoilers", False), ("The ending", False), ("Spoilerless take", False),
])
def test_spoiler_heading_rule(heading: str, warns: bool) -> None:
    assert is_spoiler_heading(heading) is warns


@pytest.mark.parametrize(("line", "warns"), [
    ("**Spoilers below**", True), ("Warning: major spoilers ahead!", True), ("> SPOILER WARNING", True),
    ("Spoilers for Dune Part Two below:", True), ("Spoilers!", True),
    ("I hate spoilers.", False), ("This review contains spoilers.", False), ("No spoilers below", False),
    ("Spoiler: he dies.", False),
])
def test_warning_line_rule(line: str, warns: bool) -> None:
    assert is_warning_line(line) is warns


def test_spoiler_heading_section_runs_to_the_next_heading_of_its_level() -> None:
    text = "# Film\n\nOk.\n\n## Spoilers\n\nShe dies.\n\n### Also\n\nHe dies.\n\n## Verdict\n\nThe dog dies.\n"
    assert [f.text for f in findings_of(text)] == ["The dog dies."]
    html = "<h2>Spoilers</h2>\n<p>She dies.</p>\n<h2>Verdict</h2>\n<p>The dog dies.</p>\n"
    [finding] = findings_of(html)
    assert "The dog dies." in finding.text and finding.line == 4


def test_warning_line_section_ends_at_a_rule_a_heading_or_an_end_line() -> None:
    text = ("Intro.\n\n**Spoilers below**\n\nShe dies.\n\n---\n\nThe cat dies.\n\nSpoilers ahead!\n\nHe dies.\n\n"
            "End of spoilers.\n\nThe dog dies.\n")
    assert [f.text for f in findings_of(text)] == ["The cat dies.", "The dog dies."]
    assert [f.text for f in findings_of("Spoiler warning\n\nHe dies.\n\nShe dies too.\n")] == []


def test_warning_sections_can_be_turned_off_by_style() -> None:
    text = "## Spoilers\n\nShe dies.\n"
    assert findings_of(text, styles=(MarkupStyle.reddit,))
    assert not findings_of(text, styles=(MarkupStyle.warning,))


# --------------------------------------------------------------------------- pragmas, allowed phrases


def test_ignore_pragma_skips_only_the_next_sentence() -> None:
    text = "Fine. <!-- spoilerscan: ignore --> The title dies. The mentor dies.\n"
    assert [f.text for f in findings_of(text)] == ["The mentor dies."]
    text = "<!--spoilerscan:IGNORE-->\n\nHe dies, says the blurb.\n\nShe dies.\n"
    assert [f.text for f in findings_of(text)] == ["She dies."]


def test_ignore_pragma_skips_a_sentence_even_after_marked_text() -> None:
    text = "<!-- spoilerscan: ignore --> >!Hidden dies.!< The quote dies. He dies.\n"
    assert [f.text for f in findings_of(text)] == ["He dies."]


def test_off_on_block_is_not_scored_and_off_without_on_runs_to_the_end() -> None:
    text = "A dies.\n<!-- spoilerscan: off -->\nB dies.\n<!-- spoilerscan: on -->\nC dies.\n<!-- spoilerscan: on -->\n"
    assert [f.text for f in findings_of(text)] == ["A dies.", "C dies."]
    text = "A dies.\n<!-- spoilerscan: off -->\nB dies.\n\nC dies.\n"
    assert [f.text for f in findings_of(text)] == ["A dies."]
    assert [f.text for f in findings_of("A dies. <!-- spoilerscan: of --> B dies.")] != []  # a typo hides nothing


def test_allowed_phrases_are_not_scored_case_and_line_wrap_insensitive() -> None:
    text = "I watched Nobody\nDies Today twice. Then the mentor dies.\n"
    assert [f.text for f in findings_of(text, phrases=("nobody dies today",))] == ["Then the mentor dies."]
    assert len(findings_of(text)) == 2
    assert len(findings_of("Everybody dies.", phrases=("body dies",))) == 1  # whole words only


# --------------------------------------------------------------------------- positions


def test_positions_with_crlf_bom_and_a_multi_line_sentence() -> None:
    text = "\ufeffFine.\r\nThe hero\r\nfinally dies here.\r\nOk. She dies.\r\n"
    first, second = findings_of(text)
    assert (first.line, first.column, first.end_line, first.end_column) == (2, 1, 3, 19)
    assert (second.line, second.column, second.end_line, second.end_column) == (4, 5, 4, 14)
    assert [(f.line, f.column) for f in findings_of("\ufeffHe dies.")] == [(1, 1)]


def test_line_index_counts_characters_and_every_line_break_once() -> None:
    text = "\ufeffé😀 ab\r\nx\ry\nz"
    lines = LineIndex(text)
    assert lines.position(text.index("a")) == (1, 4)  # BOM not counted; é and 😀 are one column each
    assert lines.position(text.index("x")) == (2, 1)
    assert lines.position(text.index("y")) == (3, 1)  # a lone CR ends a line
    assert lines.position(text.index("z")) == (4, 1)
    assert lines.span(text.index("é"), text.index("\r")) == (1, 1, 1, 6)


# --------------------------------------------------------------------------- scoring and thresholds


def test_all_reviews_of_a_run_are_scored_in_one_batch() -> None:
    calls: list[list[str]] = []

    def scorer(sentences: list[str]) -> list[float]:
        calls.append(sentences)
        return keyword_scores(sentences)

    texts = [("a.md", "A is fine. B dies."), ("b.md", "C is fine."), ("c.md", "D dies.")]
    reports = list(check_texts(texts, scorer, 0.5, 0.5))
    assert len(calls) == 1 and len(calls[0]) == 4
    assert [(r.path, len(r.findings)) for r in reports] == [("a.md", 1), ("b.md", 0), ("c.md", 1)]


def test_context_models_get_neighbours_from_the_unmarked_text() -> None:
    seen: list[tuple[str, str]] = []

    def scorer(sentences: list[str], contexts: list[str] | None = None) -> list[float]:
        assert contexts is not None
        seen.extend(zip(sentences, contexts, strict=True))
        return keyword_scores(sentences)

    [report] = check_texts([("r.md", "First. >!He dies.!< Last dies.")], scorer, 0.5, 0.5, context=True)
    assert [f.text for f in report.findings] == ["Last dies."]
    assert all("He dies" not in context for _, context in seen)


def test_thresholds_option_over_config_over_model() -> None:
    config = CheckConfig(threshold=0.6, fail_threshold=0.8)
    assert resolve_thresholds(None, None, CheckConfig(), 0.4) == (0.4, 0.4)
    assert resolve_thresholds(None, None, config, 0.4) == (0.6, 0.8)
    assert resolve_thresholds(0.3, None, config, 0.4) == (0.3, 0.8)
    assert resolve_thresholds(0.7, 0.2, config, 0.4) == (0.2, 0.2)  # what fails is always reported


def test_findings_below_the_fail_threshold_are_warnings() -> None:
    [finding] = findings_of("He dies.", threshold=0.5, fail=0.95)
    assert finding.severity == "warning" and not finding.failing
    [finding] = findings_of("He dies.", threshold=0.5, fail=0.9)
    assert finding.severity == "error"


# --------------------------------------------------------------------------- configuration


def write_pyproject(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pyproject.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_find_config_takes_the_nearest_pyproject_with_the_table(tmp_path: Path) -> None:
    outer = write_pyproject(tmp_path, "[tool.spoilerscan]\nthreshold = 0.7\n")
    write_pyproject(tmp_path / "site", '[project]\nname = "site"\n')
    inner = tmp_path / "site" / "reviews"
    inner.mkdir()
    assert find_config(inner) == outer
    nearer = write_pyproject(inner, "[tool.spoilerscan]\nthreshold = 0.9\n")
    assert find_config(inner) == nearer
    assert find_config(tmp_path / "site") == outer


def test_load_config_reads_every_key(tmp_path: Path) -> None:
    path = write_pyproject(tmp_path, """
[tool.spoilerscan]
threshold = 0.6
fail-threshold = 0.85
style = ["reddit", "warning"]
include = ["*.md", "posts/**/*.html"]
exclude = ["drafts", "*.draft.md"]
allowed-phrases = ["No Time to Die"]
model = "models/ours"
""")
    config = load_config(path)
    assert (config.threshold, config.fail_threshold) == (0.6, 0.85)
    assert config.styles == (MarkupStyle.reddit, MarkupStyle.warning)
    assert config.include == ("*.md", "posts/**/*.html") and config.exclude == ("drafts", "*.draft.md")
    assert config.allowed_phrases == ("No Time to Die",)
    assert config.model == tmp_path / "models" / "ours" and config.root == tmp_path
    assert load_config(write_pyproject(tmp_path / "b", '[tool.spoilerscan]\nstyle = "discord"\n')).styles == (
        MarkupStyle.discord,)


@pytest.mark.parametrize(("body", "message"), [
    ("[tool.spoilerscan]\ntreshold = 0.5\n", "unknown key 'treshold'"),
    ("[tool.spoilerscan]\nthreshold = 1.5\n", "'threshold' must be a number from 0 to 1"),
    ("[tool.spoilerscan]\nfail-threshold = true\n", "'fail-threshold' must be a number"),
    ('[tool.spoilerscan]\nexclude = "drafts"\n', "'exclude' must be a list of strings"),
    ('[tool.spoilerscan]\nstyle = ["reddit", "spoiler"]\n', "unknown style 'spoiler'"),
    ("[tool.spoilerscan]\nmodel = 3\n", "'model' must be a path"),
    ("[tool.spoilerscan\nthreshold = 0.5\n", "invalid TOML"),
    ("[tool]\nspoilerscan = 1\n", "must be a table"),
])
def test_bad_config_is_a_clear_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write_pyproject(tmp_path, body))


@pytest.mark.parametrize(("pattern", "path", "tree", "hit"), [
    ("*.md", "a/b/review.md", False, True),
    ("*.md", "a/b/review.txt", False, False),
    ("drafts", "reviews/drafts/x.md", True, True),
    ("drafts", "reviews/drafts/x.md", False, False),
    ("reviews/drafts", "reviews/drafts/x.md", True, True),
    ("reviews/drafts", "old/reviews/drafts/x.md", True, False),
    ("posts/**/*.html", "posts/2024/05/a.html", False, True),
    ("posts/**/*.html", "posts/a.html", False, True),
    ("posts/*.html", "posts/2024/a.html", False, False),
    ("./reviews/", "reviews/a.md", True, True),
])
def test_glob_rules(pattern: str, path: str, tree: bool, hit: bool) -> None:
    assert matches_glob(pattern, PurePosixPath(path), tree) is hit


def test_include_and_exclude_apply_to_directory_expansion(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("reviews/a.md", "reviews/b.txt", "reviews/c.py", "reviews/drafts/d.md", "reviews/.hidden/e.md",
                 "reviews/x.draft.md", "reviews/sub/f.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Fine.\n")
    config = CheckConfig(exclude=("drafts", "*.draft.md"), root=tmp_path)
    assert expand_paths(["reviews"], True, config) == ["reviews/a.md", "reviews/b.txt", "reviews/sub/f.md"]
    config = CheckConfig(include=("*.md",), exclude=("reviews/sub",), root=tmp_path)
    assert expand_paths(["reviews"], True, config) == ["reviews/a.md", "reviews/x.draft.md", "reviews/drafts/d.md"]
    # exclude also drops files named outright (pre-commit passes them); stdin and missing names stay
    config = CheckConfig(exclude=("drafts",), root=tmp_path)
    assert expand_paths(["reviews/drafts/d.md", "reviews/c.py", "-", "missing.md"], False, config) == [
        "reviews/c.py", "-", "missing.md"]
    assert expand_paths(["reviews/*.md", "reviews/a.md"], False, config) == ["reviews/a.md", "reviews/x.draft.md"]
    assert expand_paths([], False, config) == ["-"]


# --------------------------------------------------------------------------- formatters


def sample_report() -> check.Report:
    texts = [("reviews/a, b: c.md", "Fine.\r\nThe hero\r\ndies 100%."), ("reviews/ok.md", "Fine.")]
    files = list(check_texts(texts, keyword_scores, 0.5, 0.5))
    return check.Report(files, 0.5, 0.5)


def test_github_commands_escape_properties_and_data() -> None:
    [line] = check.format_github(sample_report()).splitlines()
    assert line.startswith("::error file=reviews/a%2C b%3A c.md,line=2,col=1,endLine=3,endColumn=11,"
                           "title=Unmarked spoiler (score 0.90)::")
    assert "The hero dies 100%25." in line


def test_sarif_is_valid_against_the_official_schema_and_the_check_can_fail() -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    document = check.as_sarif(sample_report())
    validator.validate(document)
    region = document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 2, "startColumn": 1, "endLine": 3, "endColumn": 11}
    broken = json.loads(json.dumps(document))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(broken)


# --------------------------------------------------------------------------- the command


def write(folder: Path, name: str, text: str | bytes) -> str:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return name


@pytest.mark.parametrize(("content", "code"), [
    ("The acting is great. I loved the score.\n", 0),
    ("The acting is great. In the end the mentor dies.\n", 1),
    ("The acting is great. In the end >!the mentor dies!<.\n", 0),
    (b"\x00\x01binary\x00", 2),
    (b"caf\xe9 dies", 2),
])
def test_exit_codes(detector: KeywordDetector, tmp_path: Path, content: str | bytes, code: int) -> None:
    result = run(write(tmp_path, "review.md", content))
    assert result.exit_code == code, result.output
    if code == 2:
        one_error_line(result.stderr)
    else:
        assert ("review.md:1:22: error: unmarked spoiler (score 0.90): In the end the mentor dies." in result.stdout) \
            is (code == 1)


def test_whole_fixtures_marked_and_unmarked(detector: KeywordDetector) -> None:
    assert run(str(FIXTURES / "check_marked.md")).exit_code == 0
    result = run(str(FIXTURES / "check_unmarked.md"), "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.stdout)["findings"]
    assert (finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (4, 1, 5, 28)


@pytest.mark.parametrize("args", [
    ["missing.md"],
    ["folder"],  # a directory without --recursive
    ["review.md", "--format", "xml"],
    ["review.md", "--fail-threshold", "2"],
    ["review.md", "--style", "spoilers"],
    ["review.md", "--config", "nope.toml"],
])
def test_usage_and_input_errors_exit_2_in_one_line(detector: KeywordDetector, tmp_path: Path,
                                                   args: list[str]) -> None:
    write(tmp_path, "review.md", "He dies.\n")
    (tmp_path / "folder").mkdir()
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_input_errors_still_report_the_readable_files_and_exit_2(detector: KeywordDetector, tmp_path: Path) -> None:
    result = run(write(tmp_path, "a.md", "He dies.\n"), "missing.md", "--exit-zero")
    assert result.exit_code == 2
    assert "a.md:1:1: error:" in result.stdout
    assert one_error_line(result.stderr) == "spoilerscan: error: missing.md: no such file"


def test_bad_config_exits_2_in_one_line(detector: KeywordDetector, tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.spoilerscan]\nthreshhold = 0.5\n")
    result = run(write(tmp_path, "a.md", "Fine.\n"))
    assert result.exit_code == 2
    assert "unknown key 'threshhold'" in one_error_line(result.stderr)


def test_exit_zero_reports_without_failing(detector: KeywordDetector, tmp_path: Path) -> None:
    result = run(write(tmp_path, "a.md", "He dies.\n"), "--exit-zero")
    assert result.exit_code == 0
    assert "a.md:1:1: error: unmarked spoiler" in result.stdout


def test_fail_threshold_separate_from_reporting_threshold(detector: KeywordDetector, tmp_path: Path) -> None:
    name = write(tmp_path, "a.md", "He dies.\n")
    result = run(name, "--fail-threshold", "0.95")
    assert result.exit_code == 0 and "a.md:1:1: warning: unmarked spoiler" in result.stdout
    assert run(name, "--fail-threshold", "0.9").exit_code == 1
    assert run(name, "--threshold", "0.95").exit_code == 0  # nothing reported, nothing fails


def test_text_format_is_compiler_style(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "Fine.\n\nSo it goes: the dog dies.\n")
    result = run("a.md", "--format", "text")
    assert result.stdout.splitlines() == ["a.md:3:1: error: unmarked spoiler (score 0.90): So it goes: the dog dies."]
    assert "1 unmarked spoiler" in result.stderr
    assert run("a.md", "-q").stderr == ""


def test_text_format_is_coloured_only_on_a_terminal(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "He dies.\n")
    plain = runner.invoke(cli.app, ["check", "a.md"], env={"FORCE_COLOR": None, "TTY_COMPATIBLE": None})
    assert "\x1b[" not in plain.stdout and "He dies." in plain.stdout
    coloured = runner.invoke(cli.app, ["check", "a.md"], env={"FORCE_COLOR": "1", "TERM": "xterm-256color"})
    assert "\x1b[" in coloured.stdout and "He dies." in coloured.stdout


def test_json_format_parses_back(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "Fine. He dies.\n")
    write(tmp_path, "b.md", ">!She dies.!< Fine.\n")
    result = run("a.md", "b.md", "-f", "json")
    document = json.loads(result.stdout)
    assert result.exit_code == 1
    assert document["findings"] == [{"path": "a.md", "line": 1, "column": 7, "end_line": 1, "end_column": 15,
                                     "start": 6, "end": 14, "score": 0.9, "severity": "error", "text": "He dies."}]
    assert document["summary"] == {"files": 2, "sentences": 3, "findings": 1, "errors": 1, "warnings": 0,
                                   "unreadable": []}


def test_github_format_parses_back(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "posts/a.md", "Fine.\n\nHe dies\nat last.\n")
    result = run("posts/a.md", "-f", "github")
    [line] = result.stdout.splitlines()
    match = re.fullmatch(r"::(error|warning) (?P<props>[^:]*)::(?P<message>.*)", line)
    assert match is not None, line
    props = dict(part.split("=", 1) for part in match["props"].split(","))
    assert props == {"file": "posts/a.md", "line": "3", "col": "1", "endLine": "4", "endColumn": "9",
                     "title": "Unmarked spoiler (score 0.90)"}
    assert match["message"].startswith("He dies at last.")


def test_sarif_format_from_the_command_is_schema_valid(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "my reviews/a.md", "\ufeffHe dies.\r\nFine.\r\n")
    result = run("my reviews/a.md", "--format", "sarif", "--fail-threshold", "0.95")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    [item] = document["runs"][0]["results"]
    assert item["level"] == "warning"
    location = item["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "my%20reviews/a.md", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 9}


def test_stdin_with_a_file_name(detector: KeywordDetector) -> None:
    result = run("--stdin-filename", "post.md", input="Fine.\nHe dies.\n")
    assert result.exit_code == 1
    assert result.stdout.startswith("post.md:2:1: error:")


def test_pragmas_through_the_command(detector: KeywordDetector, tmp_path: Path) -> None:
    write(tmp_path, "a.md", "<!-- spoilerscan: ignore -->\nHe dies, says the title.\n\n"
                            "<!-- spoilerscan: off -->\nShe dies.\n<!-- spoilerscan: on -->\nFine.\n")
    assert run("a.md").exit_code == 0
    write(tmp_path, "b.md", "He dies, says the title.\n\nShe dies.\n\nFine.\n")
    assert run("b.md").exit_code == 1


def test_config_is_honoured_and_options_override_it(detector: KeywordDetector, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "reviews/a.md", "I watched Nobody Dies Today.\n")
    write(tmp_path, "reviews/b.md", "Fine. ||She dies.||\n")
    write(tmp_path, "reviews/drafts/c.md", "He dies.\n")
    write_pyproject(tmp_path, '[tool.spoilerscan]\nallowed-phrases = ["Nobody Dies Today"]\n'
                              'exclude = ["drafts"]\nstyle = ["discord"]\nfail-threshold = 0.95\n')
    result = run("reviews", "-r", "-f", "json")
    assert result.exit_code == 0
    assert [f["path"] for f in json.loads(result.stdout)["files"]] == ["reviews/a.md", "reviews/b.md"]
    assert json.loads(result.stdout)["findings"] == []
    assert run("reviews", "-r", "--fail-threshold", "0.5").exit_code == 0  # still nothing unmarked
    assert run("reviews", "-r", "--style", "reddit", "--fail-threshold", "0.5").exit_code == 1  # || not marked
    assert run("reviews/drafts/c.md", "--fail-threshold", "0.5").exit_code == 0  # excluded even when named
    # the nearest pyproject with the table wins, found from a sub-directory too
    write_pyproject(tmp_path / "reviews", "[tool.spoilerscan]\nthreshold = 0.95\n")
    monkeypatch.chdir(tmp_path / "reviews")
    assert run("b.md", "--style", "reddit").exit_code == 0  # threshold 0.95 from reviews/pyproject.toml
    assert run("b.md", "--style", "reddit", "--threshold", "0.5").exit_code == 1


def test_pre_commit_style_run_over_several_files(detector: KeywordDetector, tmp_path: Path) -> None:
    """pre-commit passes the staged files by name; one run scores them all together."""
    names = [write(tmp_path, "reviews/clean.md", "A fine film.\n"),
             write(tmp_path, "reviews/marked.md", "The twist: >!the mentor dies!<.\n"),
             write(tmp_path, "reviews/leaky.md", "# Notes\n\nGood.\r\nThe mentor dies.\r\n"),
             write(tmp_path, "reviews/notes.txt", "The dog dies. <!-- spoilerscan: ignore -->\n"),
             write(tmp_path, "reviews/page.html", '<p>Good. <span class="spoiler">She dies.</span></p>\n')]
    result = run(*names)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "reviews/leaky.md:4:1: error: unmarked spoiler (score 0.90): The mentor dies.",
        "reviews/notes.txt:1:1: error: unmarked spoiler (score 0.90): The dog dies.",
    ]
    assert len(detector.calls) == 1  # one batch for the whole commit
    scored = detector.calls[0]
    assert not any("dies" in s for s in scored if "twist" in s or "Good" in s)  # marked parts never scored
    assert "2 unmarked spoilers" in result.stderr and "in 2 of 5 files" in result.stderr


def test_help_explains_with_an_example_and_exit_codes() -> None:
    result = runner.invoke(cli.app, ["check", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert "Example: spoilerscan check" in text
    assert "Exit codes: 0" in text and "1 unmarked spoiler" in text and "2 usage" in text
    assert "[spoiler]…[/spoiler]" in text and "[tool.spoilerscan]" in text  # brackets survive rich markup


# --------------------------------------------------------------------------- hook and docs


def test_pre_commit_hook_definition() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "spoilerscan" and hook["entry"] == "spoilerscan check" and hook["language"] == "python"
    assert hook["require_serial"] is True  # one process: the model loads once and all files share batches
    files = re.compile(hook["files"])
    assert all(files.search(n) for n in ("reviews/a.md", "b.markdown", "c.txt", "d.html", "e.rst"))
    assert not any(files.search(n) for n in ("setup.py", "pyproject.toml", "a.md.bak"))


def test_docs_list_every_config_key_style_and_format() -> None:
    text = (REPO / "docs" / "check.md").read_text(encoding="utf-8")
    for word in (*check.CONFIG_KEYS, *check.ALL_STYLES, *check.FORMATTERS, "<!-- spoilerscan: ignore -->",
                 "<!-- spoilerscan: off -->", "<!-- spoilerscan: on -->", "--format github", "upload-sarif"):
        assert word in text, word


# --------------------------------------------------------------------------- the installed command


def spoilerscan_command() -> str:
    found = Path(sys.executable).parent / "spoilerscan"
    return str(found) if found.exists() else str(shutil.which("spoilerscan"))


@pytest.mark.slow
def test_installed_command_with_the_tiny_model(tiny_model_dir: Path, tmp_path: Path) -> None:
    unmarked = write(tmp_path, "unmarked.md", "The acting is great.\n")
    marked = write(tmp_path, "marked.md", ">!The mentor dies.!<\n\n||He dies.||\n")
    base = [spoilerscan_command(), "check", "--model", str(tiny_model_dir)]

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base, *args], cwd=tmp_path, capture_output=True, text=True, timeout=300)

    spoiler = call(unmarked, marked, "--threshold", "0")  # every scored sentence is a finding
    assert spoiler.returncode == 1, spoiler.stderr
    assert spoiler.stdout.startswith("unmarked.md:1:1: error: unmarked spoiler (score ")
    assert "marked.md" not in spoiler.stdout.replace("unmarked.md", "")  # marked text was never scored
    clean = call(unmarked, marked, "--threshold", "1", "--format", "json")
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["summary"]["sentences"] == 1


@pytest.mark.slow
def test_installed_command_errors_are_one_line(tiny_model_dir: Path, tmp_path: Path) -> None:
    write_pyproject(tmp_path, "[tool.spoilerscan]\nthreshold = 'high'\n")
    write(tmp_path, "a.md", "Fine.\n")
    for args in (["a.md"], ["a.md", "--format", "xml"]):
        done = subprocess.run([spoilerscan_command(), "check", "--model", str(tiny_model_dir), *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("spoilerscan: error:")
        assert done.stdout == ""
