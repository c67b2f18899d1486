import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_missing_page_says_so_in_danish_in_the_sites_look(client: Client) -> None:
    response = client.get("/findes-ikke/")
    text = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Siden findes ikke</h1>" in text
    assert 'class="header"' in text
