"""``check`` output formats (check/formats.py): GitHub commands, SARIF, and how a known spoiler is named."""

from __future__ import annotations

import json

import jsonschema

from spoilerscan import check
from spoilerscan.check import check_texts
from tests.helpers.checkstub import keyword_scorer, known_scorer
from tests.helpers.tools import sarif_schema


def sample_report() -> check.Report:
    texts = [("reviews/a, b: c.md", "Fine.\r\nThe hero\r\ndies 100%."), ("reviews/ok.md", "Fine.")]
    files = list(check_texts(texts, keyword_scorer, 0.5, 0.5))
    return check.Report(files, 0.5, 0.5)


def test_github_commands_escape_properties_and_data() -> None:
    [line] = check.format_github(sample_report()).splitlines()
    assert line.startswith("::error file=reviews/a%2C b%3A c.md,line=2,col=1,endLine=3,endColumn=11,"
                           "title=Unmarked spoiler (score 0.90)::")
    assert "The hero dies 100%25." in line


def test_sarif_is_valid_against_the_official_schema_and_the_check_can_fail() -> None:
    schema = sarif_schema()
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


def test_every_format_names_the_known_spoiler_a_finding_restates() -> None:
    files = list(check_texts([("r.md", "Fine. The butler did it.")], known_scorer, 0.5, 0.9))
    report = check.Report(files, 0.5, 0.9)
    named = "unmarked spoiler (score 0.10, restates the known spoiler 'The butler is the killer.')"
    assert check.format_text(report).plain == f"r.md:1:7: error: {named}: The butler did it.\n"
    assert "title=U" + named[1:].replace(",", "%2C") + "::The butler did it." in check.format_github(report)
    [result] = check.as_sarif(report)["runs"][0]["results"]
    assert result["level"] == "error"
    assert result["message"]["text"] == "U" + named[1:] + ": The butler did it."
