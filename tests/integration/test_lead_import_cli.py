"""`flask leads import`: the browser's import from the shell, with its progress and every row accounted for."""
from sqlalchemy import func, select

from console.extensions import db
from console.imports.models import ImportMapping
from console.leads.models import Lead, LeadList


def test_the_command_imports_a_file_and_says_what_became_of_each_row(runner, campaign, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("Name,Company,Phone\nAnn Lee,Acme,(212) 555-0101\nBo Li,Acme,nope\n")
    result = runner.invoke(args=["leads", "import", str(path), "--campaign", str(campaign.id), "--source", "Scans"])
    assert result.exit_code == 0, result.output
    assert "Name → full_name, Company → company, Phone → phone" in result.output
    assert "rows read" in result.output  # progress
    assert "1 imported, 0 updated, 0 duplicate, 0 suppressed (do not call), 1 rejected of 2 rows." in result.output
    assert "/imports/" in result.output and "report.csv" in result.output
    db.session.commit()
    assert db.session.scalar(select(func.count(Lead.id))) == 1
    assert db.session.scalar(select(LeadList.created_by_id)) is None


def test_a_mapping_remembered_in_the_browser_is_used_by_name(runner, campaign, tmp_path):
    path = tmp_path / "salon.csv"
    path.write_text("Nom,Société,Numéro\nAnn Lee,Acme,(212) 555-0101\n")
    refused = runner.invoke(args=["leads", "import", str(path), "--campaign", str(campaign.id), "--source", "Salon"])
    assert refused.exit_code == 1 and "Map a column to Phone" in refused.output  # nothing to guess "Numéro" from
    db.session.add(ImportMapping(source_name="Salon", mapping={"full_name": "Nom", "company": "Société",
                                                               "phone": "Numéro"}))
    db.session.commit()
    result = runner.invoke(args=["leads", "import", str(path), "--campaign", str(campaign.id), "--mapping", "Salon"])
    assert result.exit_code == 0, result.output
    assert "1 imported" in result.output
    unknown = runner.invoke(args=["leads", "import", str(path), "--campaign", str(campaign.id), "--mapping", "Nope"])
    assert unknown.exit_code == 1 and "No column mapping is remembered as 'Nope'" in unknown.output


def test_an_unknown_campaign_or_an_unreadable_file_is_refused_before_anything_is_written(runner, campaign, tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"PK\x03\x04\x00\x00" * 100)
    assert "There is no campaign 999" in runner.invoke(args=["leads", "import", str(path), "--campaign", "999"]).output
    result = runner.invoke(args=["leads", "import", str(path), "--campaign", str(campaign.id)])
    assert result.exit_code == 1 and "not text in an encoding the console reads" in result.output
    db.session.commit()
    assert db.session.scalar(select(func.count(LeadList.id))) == 0
