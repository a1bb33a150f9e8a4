"""Error pages keep the site around them and a way forward."""

from django.template.loader import render_to_string


def test_a_missing_page_keeps_the_site_around_it_and_offers_a_way_on(client, db):
    response = client.get("/roadmaps/no-such-roadmap/")

    page = response.content.decode()
    assert response.status_code == 404
    assert "<title>Page not found · Roadmap Tracker</title>" in page
    assert 'href="/roadmaps/"' in page and 'class="site-nav"' in page


def test_a_server_error_page_needs_no_request_context_and_links_home():
    page = render_to_string("500.html")

    assert "Something went wrong" in page and 'href="/"' in page
