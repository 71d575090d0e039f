"""Guides as files: sync into versions (idempotent, all-or-nothing), export back, round trip through both."""
import shutil

import pytest
from sqlalchemy import func, select

from console.scoring.rules import SHIPPED_MODEL
from console.auth.models import Role
from console.extensions import db
from console.guides import rules, services
from console.guides.models import CallGuide, GuideVersion

SHIPPED = services.GUIDES_DIR


def version_count() -> int:
    return db.session.scalar(select(func.count(GuideVersion.id)))


@pytest.fixture
def guide_files(tmp_path):
    """A copy of the shipped guide files that a test may change."""
    directory = tmp_path / "call_guides"
    shutil.copytree(SHIPPED, directory, ignore=shutil.ignore_patterns("*.md"))
    return directory


def test_syncing_the_same_files_twice_makes_no_new_versions(app_context):
    first = services.sync_directory(SHIPPED)
    db.session.commit()
    assert all(version is not None and version.number == 1 for _guide, version in first)
    again = services.sync_directory(SHIPPED)
    db.session.commit()
    assert [version for _guide, version in again] == [None] * len(first)
    assert version_count() == len(first)


def test_a_changed_file_becomes_a_new_published_version(app_context, guide_files):
    services.sync_directory(guide_files)
    path = guide_files / "default-b2b.yaml"
    path.write_text(path.read_text().replace("Compared with what?", "Compared with doing nothing?"))
    guide, version = services.sync_file(path)
    db.session.commit()
    assert version.number == 2 and guide.published_version == version
    assert version.change_note == "Synced from call_guides/default-b2b.yaml" and version.author is None


def test_one_invalid_file_stops_the_whole_sync_and_names_the_file_and_line(app_context, guide_files):
    path = guide_files / "it-director.yaml"
    path.write_text(path.read_text().replace("    question: |\n      Who would own", "    prompt: |\n      Who would own", 1))
    with pytest.raises(rules.GuideError) as refused:
        services.sync_directory(guide_files)
    db.session.rollback()
    assert str(refused.value).startswith("it-director.yaml: line ")
    assert "steps[3].question: required text is missing" in str(refused.value)
    assert version_count() == 0


def test_an_export_syncs_back_unchanged_and_exports_to_the_same_bytes(app_context, tmp_path):
    services.sync_directory(SHIPPED)
    db.session.commit()
    exported = tmp_path / "exported"
    written = services.export_directory(exported)
    assert sorted(path.name for _guide, path, _changed in written) == sorted(path.name for path in SHIPPED.glob("*.yaml"))
    for _guide, path, _changed in written:
        assert rules.parse(path.read_text(), path.name, model=SHIPPED_MODEL) == rules.parse((SHIPPED / path.name).read_text(), path.name, model=SHIPPED_MODEL)

    assert [version for _guide, version in services.sync_directory(exported)] == [None] * len(written)
    before = {path.name: path.read_bytes() for path in exported.iterdir()}
    assert [changed for _guide, _path, changed in services.export_directory(exported)] == [False] * len(written)
    assert {path.name: path.read_bytes() for path in exported.iterdir()} == before


def test_a_guide_edited_in_the_browser_exports_to_a_file_with_the_published_edit_only(app_context, tmp_path, make_user):
    services.sync_directory(SHIPPED)
    guide = db.session.scalar(select(CallGuide).where(CallGuide.slug == "default-b2b"))
    editor = make_user(Role.SALES)
    content = services.latest_version(guide).content
    content = dict(content, objections=[dict(content["objections"][0], response="Published words.")] + content["objections"][1:])
    services.save_draft(guide, content, author=editor, base_number=1)
    services.publish(guide, 2, actor=editor)
    draft = dict(content, objections=[dict(content["objections"][0], response="Draft words.")] + content["objections"][1:])
    services.save_draft(guide, draft, author=editor, base_number=2)
    db.session.commit()

    services.export_directory(tmp_path)
    text = (tmp_path / "default-b2b.yaml").read_text()
    assert "Published words." in text and "Draft words." not in text
    assert rules.parse(text, "default-b2b.yaml", model=SHIPPED_MODEL) == guide.published_version.content


def test_flask_guides_sync_and_export_report_each_guide(runner, app_context, tmp_path):
    result = runner.invoke(args=["guides", "sync"])
    assert result.exit_code == 0, result.output
    assert "default-b2b: version 1 published" in result.output
    assert "unchanged" in runner.invoke(args=["guides", "sync"]).output

    result = runner.invoke(args=["guides", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"default-b2b: version 1 written to {tmp_path / 'default-b2b.yaml'}" in result.output
    assert "default-b2b: version 1 unchanged" in runner.invoke(args=["guides", "export", str(tmp_path)]).output


def test_flask_guides_sync_refuses_an_invalid_file_with_its_name_and_line(runner, app_context, tmp_path):
    (tmp_path / "broken.yaml").write_text("name: Broken\nopening: Hi {{ contact.nickname }}\n")
    result = runner.invoke(args=["guides", "sync", str(tmp_path / "broken.yaml")])
    assert result.exit_code != 0
    assert "broken.yaml: line 2: opening: unknown merge field {{ contact.nickname }}" in result.output
    assert "broken.yaml: steps: at least one is required" in result.output
    assert version_count() == 0


def test_flask_guides_sync_warns_about_a_campaign_that_does_not_exist(runner, app_context, tmp_path):
    text = (SHIPPED / "gatekeeper.yaml").read_text().replace("persona: gatekeeper", "persona: gatekeeper\ncampaign: Spring push")
    (tmp_path / "spring-gatekeeper.yaml").write_text(text)
    result = runner.invoke(args=["guides", "sync", str(tmp_path / "spring-gatekeeper.yaml")])
    assert result.exit_code == 0
    assert "spring-gatekeeper: warning: no campaign is called 'Spring push'" in result.output
