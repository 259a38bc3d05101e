"""A record's form saved: the page leaves reading the record to the save, and reads it
only to show the form again; a record that is not there is a 404, whatever was sent."""

import pytest
from page_costs import ENTITIES, fullest_record, logged_in, served_demo
from sample_records import with_lines
from test_lines_form import FormValues
from werkzeug.datastructures import MultiDict

from engine.records.service import RecordService


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    return served_demo(tmp_path_factory)


def sent_form(client, path: str) -> MultiDict:
    """The edit form as a browser sends it, unchanged."""
    form = FormValues()
    form.feed(client.get(path).get_data(as_text=True))
    return MultiDict(form.pairs)


@pytest.fixture
def reads(monkeypatch):
    """The records read through the records service meanwhile, by id."""
    read, done = RecordService.read, []

    def counted(self, tenant, entity, record_id, *args, **kwargs):
        done.append((entity, record_id))
        return read(self, tenant, entity, record_id, *args, **kwargs)

    monkeypatch.setattr(RecordService, "read", counted)
    return done


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES)
def test_a_save_reads_the_record_once(demo_app, tenant, entity, reads):
    service = demo_app.extensions["formwork"]
    # an entity the demo leaves empty gets a record of its required fields
    record = fullest_record(service, tenant, entity) or with_lines(service, tenant, entity, 2)
    client = logged_in(demo_app, tenant)
    path = f"/{tenant}/{entity}/{record['id']}/edit"
    data = sent_form(client, path)
    reads.clear()
    response = client.post(path, data=data)
    assert response.status_code in (302, 422), response.get_data(as_text=True)[:2000]
    mine = [r for r in reads if r == (entity, record["id"])]
    if response.status_code == 302:
        assert len(mine) == 1, reads  # the save's own, as it answers the saved record
    else:  # a record the form may not save as it is (a locked one): shown again
        assert len(mine) >= 1 and "problem" in response.get_data(as_text=True)


@pytest.mark.parametrize(("tenant", "entity"), ENTITIES[:3])
def test_saving_a_record_that_is_not_there_is_a_404(demo_app, tenant, entity):
    client = logged_in(demo_app, tenant)
    path = f"/{tenant}/{entity}/new"
    data = sent_form(client, path)
    data["rev_number"] = "1"
    assert client.post(f"/{tenant}/{entity}/999999/edit", data=data).status_code == 404
    data["not_a_field"] = "x"  # nor with anything else sent
    assert client.post(f"/{tenant}/{entity}/999999/edit", data=data).status_code == 404
