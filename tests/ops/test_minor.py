"""Minor points of issue 18: unknown list filters are refused (422), not silently ignored."""

from __future__ import annotations

from tests.hotline.conftest import Api


def test_unknown_list_filters_are_refused(api: Api) -> None:
    hdr = api.headers("supervisor")
    r = api.client.get("/api/v1/tickets", params={"channel": "110"}, headers=hdr)
    assert r.status_code == 422 and "channel" in r.json()["detail"], r.text
    assert api.client.get("/api/v1/tickets", params={"status": "registered", "page": 1},
                          headers=hdr).status_code == 200
    assert api.client.get("/api/v1/supervision/board", params={"nope": 1},
                          headers=hdr).status_code == 422
    assert api.client.get("/api/v1/integrations/links", params={"peer": "110"},
                          headers=hdr).status_code == 422
    assert api.client.get("/api/v1/integrations/links", params={"mismatched": "true"},
                          headers=hdr).status_code == 200
